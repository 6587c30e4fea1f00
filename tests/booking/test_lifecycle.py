from datetime import timedelta

import pytest
from django.utils import timezone

from marquee.booking.models import Booking, BookingEvent, Ticket
from marquee.booking.services import ConfirmOutcome, booking_confirm, bookings_expire

pytestmark = pytest.mark.django_db


def cancel(client, booking):
    return client.post(f"/api/bookings/{booking.public_id}/cancel/")


def statuses(booking):
    return sorted(booking.tickets.values_list("status", flat=True))


def test_confirm_sells_the_held_seats_and_records_it(hold):
    booking = hold(["A1", "A2"])
    assert booking_confirm(booking_id=booking.pk) == ConfirmOutcome.CONFIRMED
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert statuses(booking) == ["sold", "sold"]
    assert list(booking.events.values_list("to_status", flat=True)) == ["pending", "confirmed"]


def test_confirming_twice_has_no_second_effect(hold):
    booking = hold(["A1"])
    booking_confirm(booking_id=booking.pk)
    assert booking_confirm(booking_id=booking.pk) == ConfirmOutcome.ALREADY_CONFIRMED
    assert booking.events.filter(to_status="confirmed").count() == 1


def test_late_payment_with_seats_still_free_confirms(hold):
    booking = hold(["A1"], now=timezone.now() - timedelta(minutes=30))
    bookings_expire()
    assert booking_confirm(booking_id=booking.pk) == ConfirmOutcome.CONFIRMED
    assert statuses(booking) == ["sold"]


def test_late_payment_after_the_seats_were_resold_is_detected(hold, other_customer):
    late = hold(["A1", "A2"], now=timezone.now() - timedelta(minutes=30))
    hold(["A2"], user=other_customer)
    assert booking_confirm(booking_id=late.pk) == ConfirmOutcome.SEATS_LOST
    late.refresh_from_db()
    assert late.status == "expired"
    assert Ticket.objects.filter(seat__row_label="A", seat__number=2, status="held").count() == 1
    assert "resold" in late.events.last().reason


def test_a_cancelled_booking_cannot_be_confirmed(hold, customer):
    booking = hold(["A1"])
    from marquee.booking.services import booking_cancel

    booking_cancel(booking=booking, actor=customer)
    assert booking_confirm(booking_id=booking.pk) == ConfirmOutcome.NOT_CONFIRMABLE


def test_owner_cancels_a_hold_and_the_seats_free_at_once(hold, customer_client, other_customer):
    booking = hold(["B1", "B2"])
    response = cancel(customer_client, booking)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert statuses(booking) == ["cancelled", "cancelled"]
    assert hold(["B1", "B2"], user=other_customer).status == "pending"
    assert list(booking.events.values_list("to_status", flat=True)) == ["pending", "cancelled"]


def test_confirmed_booking_cancellable_until_the_cutoff(settings, hold, customer_client, showtime):
    booking = hold(["C1"])
    booking_confirm(booking_id=booking.pk)
    showtime.starts_at = timezone.now() + timedelta(minutes=119)
    showtime.save()
    response = cancel(customer_client, booking)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cancellation_closed"
    settings.BOOKING_CANCELLATION_CUTOFF_MINUTES = 60
    assert cancel(customer_client, booking).status_code == 200


def test_staff_may_cancel_after_the_cutoff(hold, staff_client, showtime):
    booking = hold(["C2"])
    booking_confirm(booking_id=booking.pk)
    showtime.starts_at = timezone.now() + timedelta(minutes=10)
    showtime.save()
    assert cancel(staff_client, booking).status_code == 200


def test_cancelling_twice_is_409(hold, customer_client):
    booking = hold(["C3"])
    assert cancel(customer_client, booking).status_code == 200
    response = cancel(customer_client, booking)
    assert (response.status_code, response.json()["error"]["code"]) == (
        409,
        "booking_not_cancellable",
    )


def test_other_users_booking_is_404_for_read_and_cancel(hold, other_client):
    booking = hold(["D1"])
    for response in (
        other_client.get(f"/api/bookings/{booking.public_id}/"),
        cancel(other_client, booking),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "booking_not_found"
    assert Booking.objects.get(pk=booking.pk).status == "pending"


def test_unknown_and_malformed_booking_ids_are_404(customer_client):
    assert (
        customer_client.get("/api/bookings/00000000-0000-0000-0000-000000000000/").status_code
        == 404
    )
    assert customer_client.get("/api/bookings/not-a-uuid/").status_code == 404
    assert customer_client.post("/api/bookings/not-a-uuid/cancel/").status_code == 404


def test_anonymous_cannot_read_or_cancel(api_client, hold):
    booking = hold(["D2"])
    assert api_client.get(f"/api/bookings/{booking.public_id}/").status_code == 401
    assert cancel(api_client, booking).status_code == 401


def test_detail_shows_tickets_and_history(hold, customer_client):
    booking = hold(["D3"])
    body = customer_client.get(f"/api/bookings/{booking.public_id}/").json()
    assert body["id"] == str(booking.public_id)
    assert [t["seat"]["row"] + str(t["seat"]["number"]) for t in body["tickets"]] == ["D3"]
    assert [e["to_status"] for e in body["history"]] == ["pending"]


def test_expired_hold_reads_expired_before_the_sweeper(hold, customer_client):
    booking = hold(["D4"], now=timezone.now() - timedelta(minutes=11))
    assert customer_client.get(f"/api/bookings/{booking.public_id}/").json()["status"] == "expired"


def test_sweeper_expires_lapsed_holds_in_bulk_and_idempotently(hold, other_customer):
    old = timezone.now() - timedelta(minutes=20)
    lapsed = [hold(["A1"], now=old), hold(["A2"], user=other_customer, now=old)]
    live = hold(["A3"])
    confirmed = hold(["A4"], now=old)
    booking_confirm(booking_id=confirmed.pk)
    assert bookings_expire() == 2
    assert bookings_expire() == 0
    for booking in lapsed:
        booking.refresh_from_db()
        assert booking.status == "expired"
        assert statuses(booking) == ["expired"]
    live.refresh_from_db()
    confirmed.refresh_from_db()
    assert (live.status, confirmed.status) == ("pending", "confirmed")
    assert BookingEvent.objects.filter(to_status="expired").count() == 2


def test_expire_holds_command_runs(hold, capsys):
    from django.core.management import call_command

    hold(["E5"], now=timezone.now() - timedelta(minutes=20))
    call_command("expire_holds")
    assert "expired 1 bookings" in capsys.readouterr().out


def test_a_showtime_with_buyers_cannot_be_moved_or_retitled(hold, admin_client_api, showtime):
    from marquee.catalog.models import Showtime
    from tests import factories

    hold(["E8"])
    url = f"/api/showtimes/{showtime.pk}/"
    later = (showtime.starts_at + timedelta(days=3)).isoformat()
    other_movie = factories.MovieFactory()
    for change in ({"starts_at": later}, {"movie": other_movie.pk}, {"currency": "USD"}):
        response = admin_client_api.patch(url, change, format="json")
        assert response.status_code == 409, change
        assert response.json()["error"]["code"] == "showtime_has_bookings"
    unchanged = Showtime.objects.get(pk=showtime.pk)
    assert (unchanged.starts_at, unchanged.movie_id) == (showtime.starts_at, showtime.movie_id)
    # A new base price only applies to new holds: allowed.
    assert admin_client_api.patch(url, {"base_price": "12.00"}, format="json").status_code == 200


def test_a_showtime_without_buyers_can_be_moved(admin_client_api, showtime):
    later = (showtime.starts_at + timedelta(days=3)).isoformat()
    response = admin_client_api.patch(
        f"/api/showtimes/{showtime.pk}/", {"starts_at": later}, format="json"
    )
    assert response.status_code == 200


def test_the_admin_form_refuses_moving_a_showtime_with_buyers(hold, admin_user, showtime):
    from django.test import Client

    hold(["E7"])
    client = Client()
    client.force_login(admin_user)
    later = showtime.starts_at + timedelta(days=3)
    response = client.post(
        f"/admin/catalog/showtime/{showtime.pk}/change/",
        {
            "movie": showtime.movie_id,
            "screen": showtime.screen_id,
            "starts_at_0": later.strftime("%Y-%m-%d"),
            "starts_at_1": later.strftime("%H:%M:%S"),
            "base_price": "10.00",
            "currency": "EUR",
        },
    )
    assert response.status_code == 200  # the form again, with the error; not a 500
    assert b"can no longer change" in response.content


def test_every_state_change_logs_one_line_even_in_bulk(hold, other_customer, caplog):
    import logging

    old = timezone.now() - timedelta(minutes=20)
    lapsed = [hold(["B5"], now=old), hold(["B6"], user=other_customer, now=old)]
    with caplog.at_level(logging.INFO, logger="marquee.booking"):
        bookings_expire()
    lines = [r for r in caplog.records if r.getMessage() == "booking expired"]
    assert sorted(r.booking for r in lines) == sorted(str(b.public_id) for b in lapsed)


def test_a_lock_conflict_while_confirming_is_retried_then_answered_409(hold, monkeypatch):
    from django.db import OperationalError

    from marquee.booking import errors, services

    booking = hold(["C7"])
    real = services._booking_confirm_once
    calls = []

    def deadlock_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real(**kwargs)

    monkeypatch.setattr(services, "_booking_confirm_once", deadlock_once)
    assert booking_confirm(booking_id=booking.pk) == ConfirmOutcome.CONFIRMED
    assert len(calls) == 2

    def always_locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "_booking_confirm_once", always_locked)
    with pytest.raises(errors.SeatsBusy):
        booking_confirm(booking_id=booking.pk)
