"""Giving back some tickets of a booking: the refund policy decides the refund, the provider
is asked for exactly that, the seats are free at once, and the books still balance."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from marquee.booking import availability
from marquee.booking.models import Booking, RefundTier, TicketCancellation, TicketStatus
from marquee.booking.selectors import seat_statuses
from marquee.booking.services import booking_cancel_tickets, booking_refund_quote
from marquee.payments import reconciliation
from marquee.payments.models import Payment, Refund
from marquee.payments.services import payment_start
from marquee.tickets.outbox import email_deliveries_send_due

pytestmark = pytest.mark.django_db

CARD = "4242424242424242"


@pytest.fixture
def paid(hold, customer):
    """Pay for a hold of the given seats (10.00 EUR each in rows A-C)."""

    def _paid(labels, *, user=None):
        booking = hold(labels, user=user)
        payment_start(booking=booking, user=user or customer, card_number=CARD)
        booking.refresh_from_db()
        assert booking.status == "confirmed"
        return booking

    return _paid


def ids_of(booking, *labels):
    return [
        t.pk
        for t in booking.tickets.select_related("seat")
        if f"{t.seat.row_label}{t.seat.number}" in labels
    ]


def give_back(client, booking, body):
    return client.post(f"/api/bookings/{booking.public_id}/cancel/", body, format="json")


def before_show(showtime, **delta):
    return showtime.starts_at - timedelta(**delta)


def test_a_day_ahead_the_default_policy_refunds_in_full(
    paid, customer, showtime, django_capture_on_commit_callbacks
):
    booking = paid(["A1", "A2", "A3"])
    with django_capture_on_commit_callbacks(execute=True):
        quote = booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A1"),
            actor=customer,
            now=before_show(showtime, hours=30),
        )
    assert (quote.percent, quote.amount, quote.whole_booking) == (100, Decimal("10.00"), False)
    refund = Refund.objects.get(kind="partial")
    assert (refund.amount, refund.status) == (Decimal("10.00"), "succeeded")
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    payment = Payment.objects.get(booking=booking)
    assert payment.status == "succeeded"  # the booking still stands on it
    assert reconciliation.reconcile() == []


def test_between_the_steps_the_policy_refunds_half(
    paid, customer, showtime, django_capture_on_commit_callbacks
):
    booking = paid(["A1", "A2", "A3", "A4"])
    given = ids_of(booking, "A3", "A4")
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_tickets(
            booking=booking, ticket_ids=given, actor=customer, now=before_show(showtime, hours=5)
        )
    cancellation = TicketCancellation.objects.get()
    assert (cancellation.percent, cancellation.refund_amount) == (50, Decimal("10.00"))
    statuses = dict(booking.tickets.values_list("pk", "status"))
    assert [statuses[pk] for pk in given] == ["cancelled", "cancelled"]
    assert sorted(statuses.values()).count("sold") == 2
    assert Refund.objects.get(kind="partial").amount == Decimal("10.00")
    assert reconciliation.reconcile() == []


def test_a_theaters_own_policy_applies(paid, customer, showtime):
    RefundTier.objects.create(theater=showtime.screen.theater, minutes_before=600, percent=75)
    booking = paid(["A1", "A2"])
    quote = booking_refund_quote(
        booking=booking,
        ticket_ids=ids_of(booking, "A1"),
        actor=customer,
        now=before_show(showtime, hours=11),
    )
    assert (quote.percent, quote.amount) == (75, Decimal("7.50"))
    quote = booking_refund_quote(
        booking=booking,
        ticket_ids=ids_of(booking, "A1"),
        actor=customer,
        now=before_show(showtime, hours=9),
    )
    assert (quote.percent, quote.amount) == (0, Decimal("0"))


def test_a_quote_changes_nothing(paid, customer, showtime):
    booking = paid(["A1", "A2"])
    booking_refund_quote(booking=booking, ticket_ids=ids_of(booking, "A1"), actor=customer)
    assert set(booking.tickets.values_list("status", flat=True)) == {"sold"}
    assert not Refund.objects.exists()


def test_nothing_back_means_no_refund_but_the_tickets_are_given_back(
    paid, customer, staff_user, showtime
):
    booking = paid(["A1", "A2"])
    booking_cancel_tickets(
        booking=booking,
        ticket_ids=ids_of(booking, "A1"),
        actor=staff_user,  # after the cutoff only staff may
        now=before_show(showtime, minutes=30),
    )
    assert TicketCancellation.objects.get().refund_amount == 0
    assert not Refund.objects.exists()
    assert reconciliation.reconcile() == []


def test_the_freed_seats_can_be_held_at_once(
    paid, hold, customer, other_customer, showtime, monkeypatch
):
    changed = []
    monkeypatch.setattr(
        availability,
        "seats_changed",
        lambda showtime_id, seats: changed.append((showtime_id, seats)),
    )
    booking = paid(["A1", "A2"])
    changed.clear()
    booking_cancel_tickets(booking=booking, ticket_ids=ids_of(booking, "A2"), actor=customer)
    a2 = booking.tickets.get(seat__row_label="A", seat__number=2).seat_id
    assert changed == [(showtime.pk, {a2: "available"})]  # the live seat map hears of A2
    other = hold(["A2"], user=other_customer)
    assert other.status == "pending"


def test_the_history_records_the_given_back_tickets(paid, customer, showtime):
    booking = paid(["A1", "A2"])
    booking_cancel_tickets(
        booking=booking,
        ticket_ids=ids_of(booking, "A2"),
        actor=customer,
        now=before_show(showtime, hours=5),
    )
    event = booking.events.last()
    assert (event.from_status, event.to_status, event.actor) == ("confirmed", "confirmed", customer)
    assert event.reason == "tickets given back: A2; 5.00 EUR refunded (50%)"


def test_the_email_lists_the_tickets_given_back_and_the_refund(
    paid, customer, showtime, django_capture_on_commit_callbacks
):
    booking = paid(["A1", "A2", "A3"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A2", "A3"),
            actor=customer,
            now=before_show(showtime, hours=5),
        )
    email_deliveries_send_due()
    returned = [m for m in mail.outbox if m.subject.startswith("Tickets given back")]
    assert len(returned) == 1
    body = returned[0].body
    assert "Row A, seat 2" in body and "Row A, seat 3" in body and "Row A, seat 1" not in body
    assert "€10.00" in body and "50%" in body
    assert "keeps 1 ticket." in body
    assert any(m.subject.startswith("Refund of €10.00") for m in mail.outbox)


def test_every_remaining_ticket_by_list_follows_the_policy_not_a_full_refund(
    paid, customer, showtime, django_capture_on_commit_callbacks
):
    """A list of tickets is refunded by the policy whichever tickets it names: the last ones
    of a booking go back at the same percentage as the first (only `cancel/` without a list
    gives a paid booking back in full)."""
    booking = paid(["A1", "A2", "A3"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A1"),
            actor=customer,
            now=before_show(showtime, hours=5),
        )
        quote = booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A2", "A3"),
            actor=customer,
            now=before_show(showtime, hours=5),
        )
    assert quote.whole_booking  # every remaining ticket, and still the policy's 50 %
    assert (quote.percent, quote.amount) == (50, Decimal("10.00"))
    booking.refresh_from_db()
    assert booking.status == "confirmed"  # settled ticket by ticket; the payment is kept in part
    assert set(booking.tickets.values_list("status", flat=True)) == {"cancelled"}
    assert sorted(Refund.objects.values_list("kind", "amount")) == [
        ("partial", Decimal("5.00")),
        ("partial", Decimal("10.00")),
    ]
    assert Payment.objects.get(booking=booking).status == "succeeded"
    assert seat_statuses(showtime_id=showtime.pk, now=timezone.now()) == {}  # all seats free
    assert reconciliation.reconcile() == []


def test_a_booking_given_back_whole_by_list_in_one_go_follows_the_policy(
    paid, customer, showtime, django_capture_on_commit_callbacks
):
    booking = paid(["A1", "A2"])
    with django_capture_on_commit_callbacks(execute=True):
        quote = booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A1", "A2"),
            actor=customer,
            now=before_show(showtime, hours=5),
        )
    assert (quote.whole_booking, quote.percent, quote.amount) == (True, 50, Decimal("10.00"))
    cancellation = TicketCancellation.objects.get()
    assert (cancellation.percent, cancellation.refund_amount) == (50, Decimal("10.00"))
    assert Refund.objects.get().kind == "partial"
    assert reconciliation.reconcile() == []


def test_a_booking_with_every_ticket_given_back_cannot_be_cancelled_again(
    paid, customer, customer_client, showtime, django_capture_on_commit_callbacks
):
    """Nothing is left for a full refund to give back: the policy settled every ticket."""
    from django.core.management import call_command

    booking = paid(["A1", "A2"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A1", "A2"),
            actor=customer,
            now=before_show(showtime, hours=5),
        )
    response = customer_client.post(f"/api/bookings/{booking.public_id}/cancel/")
    assert (response.status_code, response.json()["error"]["code"]) == (
        409,
        "booking_not_cancellable",
    )
    assert Booking.objects.get(pk=booking.pk).status == "confirmed"
    assert not Refund.objects.filter(kind="full").exists()
    call_command("reconcile")  # exits 1 on a breach


def refunds_of(booking):
    return sorted(Refund.objects.filter(payment__booking=booking).values_list("kind", "amount"))


def test_a_family_gets_every_cent_back_when_the_cinema_cancels_after_they_gave_back_two(
    paid, customer, showtime, django_capture_on_commit_callbacks
):
    """Two of five tickets given back at 50 %, then the cinema calls the show off: the three
    active tickets come back in full, and so does the half the policy kept of the two."""
    from marquee.catalog.services import showtime_cancel

    booking = paid(["A1", "A2", "A3", "A4", "A5"])
    with django_capture_on_commit_callbacks(execute=True):
        quote = booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A4", "A5"),
            actor=customer,
            now=before_show(showtime, hours=5),
        )
        assert (quote.percent, quote.amount) == (50, Decimal("10.00"))
        showtime_cancel(showtime=showtime)
    # 30.00 for the three tickets + the 10.00 the policy had kept of the two given back.
    assert refunds_of(booking) == [("full", Decimal("40.00")), ("partial", Decimal("10.00"))]
    full = Refund.objects.get(kind="full")
    assert (full.reason_code, full.status) == ("showtime_cancelled", "succeeded")
    assert sum(amount for _, amount in refunds_of(booking)) == booking.total == Decimal("50.00")
    assert Booking.objects.get(pk=booking.pk).status == "refunded"
    assert Payment.objects.get(booking=booking).status == "refunded"
    assert reconciliation.reconcile() == []


def test_cancelling_the_show_refunds_what_the_policy_kept_of_a_booking_given_back_whole(
    paid, customer, showtime, django_capture_on_commit_callbacks
):
    """Every ticket given back by list leaves the booking confirmed with none; when the cinema
    cancels the show it is cancelled too, and the kept half goes back."""
    from marquee.catalog.services import showtime_cancel

    booking = paid(["A1", "A2"])
    others = paid(["B1"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A1", "A2"),
            actor=customer,
            now=before_show(showtime, hours=5),
        )
        showtime_cancel(showtime=showtime)
    booking.refresh_from_db()
    assert booking.status == "refunded"  # cancelled, then its refund went through
    assert list(booking.events.values_list("from_status", "to_status", "reason"))[-2:] == [
        ("confirmed", "cancelled", "showtime cancelled"),
        ("cancelled", "refunded", "booking cancelled: showtime cancelled"),
    ]
    assert refunds_of(booking) == [("full", Decimal("10.00")), ("partial", Decimal("10.00"))]
    assert Refund.objects.get(kind="full", payment__booking=booking).reason_code == (
        "showtime_cancelled"
    )
    assert Booking.objects.get(pk=others.pk).status == "refunded"
    assert reconciliation.reconcile() == []


def test_cancelling_the_show_leaves_a_booking_the_policy_gave_back_in_full_as_it_was(
    paid, customer, showtime, django_capture_on_commit_callbacks
):
    """Given back a day ahead at 100 %: nothing is owed, so nothing changes."""
    from marquee.catalog.services import showtime_cancel

    booking = paid(["A1", "A2"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A1", "A2"),
            actor=customer,
            now=before_show(showtime, hours=30),
        )
        showtime_cancel(showtime=showtime)
    assert Booking.objects.get(pk=booking.pk).status == "confirmed"
    assert refunds_of(booking) == [("partial", Decimal("20.00"))]
    assert reconciliation.reconcile() == []


def test_cancelling_the_show_with_a_voucher_gives_back_what_was_paid_not_the_discount(
    customer, showtime, seats, django_capture_on_commit_callbacks, default_ticket_types
):
    """The discount was never paid: the voucher's share of the tickets given back is not
    refunded, every cent that was paid is."""
    from marquee.booking import vouchers
    from marquee.booking.models import Voucher
    from marquee.booking.services import booking_hold
    from marquee.catalog.services import showtime_cancel

    vouchers.voucher_create(code="THREEOFF", kind="amount", value=Decimal("3.00"), currency="EUR")
    booking = booking_hold(
        user=customer,
        showtime_id=showtime.pk,
        seat_ids=[seats["A1"].id, seats["A2"].id, seats["E1"].id],
        voucher_code="THREEOFF",
    )
    payment_start(booking=booking, user=customer, card_number=CARD)
    booking.refresh_from_db()
    assert booking.total == Decimal("32.00")  # 10 + 10 + 15 - 3
    with django_capture_on_commit_callbacks(execute=True):
        quote = booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A1", "E1"),
            actor=customer,
            now=before_show(showtime, hours=5),  # 50 %
        )
        # Shares 0.85 and 1.28: (9.15 + 13.72) / 2, each rounded down.
        assert quote.amount == Decimal("4.57") + Decimal("6.86")
        showtime_cancel(showtime=showtime)
    assert refunds_of(booking) == [("full", Decimal("20.57")), ("partial", Decimal("11.43"))]
    assert sum(amount for _, amount in refunds_of(booking)) == booking.total
    assert Voucher.objects.get().redeemed == 0  # the cancelled booking gave its use back
    assert reconciliation.reconcile() == []


def test_the_cancellation_email_states_everything_that_goes_back(
    paid, customer, showtime, django_capture_on_commit_callbacks, mailoutbox
):
    from marquee.catalog.services import showtime_cancel

    booking = paid(["A1", "A2", "A3", "A4", "A5"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A4", "A5"),
            actor=customer,
            now=before_show(showtime, hours=5),
        )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        showtime_cancel(showtime=showtime)
    (cancelled,) = [m for m in mailoutbox if m.subject.startswith("Booking cancelled")]
    body = " ".join(cancelled.body.split())
    assert "this showtime was cancelled" in body
    assert "You paid €50.00; €10.00 went back already for the tickets you gave back" in body
    assert "€40.00 goes back to you now" in body
    assert "€40.00" in " ".join(cancelled.alternatives[0][0].split())


def test_cancelling_a_show_costs_no_more_queries_per_booking_with_tickets_given_back(
    showtime, django_capture_on_commit_callbacks
):
    """The bookings the kept amount brings in are found by the same one query; each costs
    what any cancelled paid booking costs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from marquee.catalog.models import Showtime
    from marquee.catalog.services import showtime_cancel
    from tests import factories

    def cancelling_costs(give_back: bool) -> int:
        show = factories.ShowtimeFactory(
            screen=showtime.screen, starts_at=showtime.starts_at + timedelta(days=1 + give_back)
        )
        for row in "ABC":
            booking = paid_at(show, [f"{row}1", f"{row}2"], factories.UserFactory())
            if give_back:
                labels = [f"{row}1", f"{row}2"] if row == "A" else [f"{row}1"]
                booking_cancel_tickets(
                    booking=booking,
                    ticket_ids=ids_of(booking, *labels),
                    actor=booking.user,
                    now=before_show(show, hours=5),
                )
        show = Showtime.objects.get(pk=show.pk)
        with (
            django_capture_on_commit_callbacks(execute=False),
            CaptureQueriesContext(connection) as queries,
        ):
            showtime_cancel(showtime=show)
        assert Booking.objects.filter(showtime=show, status="cancelled").count() == 3
        return len(queries.captured_queries)

    assert cancelling_costs(give_back=True) == cancelling_costs(give_back=False)


def paid_at(show, labels, user):
    from marquee.booking.services import booking_hold
    from marquee.catalog.models import Seat

    seat_ids = [
        Seat.objects.get(screen=show.screen_id, row_label=label[0], number=int(label[1:])).pk
        for label in labels
    ]
    booking = booking_hold(user=user, showtime_id=show.pk, seat_ids=seat_ids)
    payment_start(booking=booking, user=user, card_number=CARD)
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    return booking


def test_every_ticket_of_a_held_booking_by_list_still_releases_the_hold(hold, customer):
    booking = hold(["A1", "A2"])
    quote = booking_cancel_tickets(
        booking=booking, ticket_ids=ids_of(booking, "A1", "A2"), actor=customer
    )
    assert (quote.whole_booking, quote.paid, quote.amount) == (True, False, 0)
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert reconciliation.reconcile() == []


def test_staff_may_override_the_policy_for_every_remaining_ticket(
    paid, staff_user, showtime, django_capture_on_commit_callbacks
):
    booking = paid(["A1", "A2"])
    with django_capture_on_commit_callbacks(execute=True):
        quote = booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A1", "A2"),
            actor=staff_user,
            now=before_show(showtime, minutes=30),
            refund_percent=Decimal(80),
            reason="sound failed",
        )
    assert (quote.amount, quote.overridden) == (Decimal("16.00"), True)
    assert reconciliation.reconcile() == []


def test_the_api_gives_back_every_ticket_by_the_policy(paid, customer_client, showtime, settings):
    # Two hours ahead of the default policy's 100 % step: between the steps, 50 %.
    settings.BOOKING_REFUND_POLICY = f"{60 * 24 * 30}:100,120:50"
    booking = paid(["A1", "A2"])
    tickets = ids_of(booking, "A1", "A2")
    quote = customer_client.post(
        f"/api/bookings/{booking.public_id}/refund-quote/", {"tickets": tickets}, format="json"
    ).json()
    assert (quote["whole_booking"], quote["percent"], quote["refund"]) == (
        True,
        "50.00",
        "10.00",
    )
    response = give_back(customer_client, booking, {"tickets": tickets})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["remaining_tickets"], body["refunded_amount"]) == (
        "confirmed",
        0,
        "10.00",
    )


def test_a_held_booking_releases_seats_and_its_total_shrinks(hold, customer):
    booking = hold(["A1", "A2", "E1"])
    quote = booking_cancel_tickets(
        booking=booking, ticket_ids=ids_of(booking, "E1"), actor=customer
    )
    assert (quote.paid, quote.amount) == (False, 0)
    booking.refresh_from_db()
    assert booking.status == "pending"
    assert booking.total == Decimal("20.00")
    assert booking.tickets.count() == 2
    assert "seats released: E1" in booking.events.last().reason
    payment_start(booking=booking, user=customer, card_number=CARD)
    assert Payment.objects.get().amount == Decimal("20.00")
    assert reconciliation.reconcile() == []


def test_staff_override_the_policy_with_a_reason(paid, staff_user, showtime):
    booking = paid(["A1", "A2"])
    quote = booking_cancel_tickets(
        booking=booking,
        ticket_ids=ids_of(booking, "A1"),
        actor=staff_user,
        now=before_show(showtime, minutes=30),
        refund_percent=Decimal(100),
        reason="projector broke",
    )
    assert (quote.amount, quote.overridden) == (Decimal("10.00"), True)
    cancellation = TicketCancellation.objects.get()
    assert (cancellation.overridden, cancellation.reason) == (True, "projector broke")
    assert Refund.objects.get().reason == "projector broke"


def test_rounding_in_yen_never_refunds_more_than_paid(customer, django_capture_on_commit_callbacks):
    from tests import factories

    screen = factories.screen_with_seats(rows=1, per_row=3)
    show = factories.ShowtimeFactory(
        screen=screen,
        base_price=Decimal("1531"),
        currency="JPY",
        starts_at=factories.evening_in(2, screen.theater.timezone),
    )
    from marquee.booking.services import booking_hold

    seat_ids = list(screen.seats.order_by("number").values_list("pk", flat=True))
    booking = booking_hold(user=customer, showtime_id=show.pk, seat_ids=seat_ids)
    payment_start(booking=booking, user=customer, card_number=CARD)
    tickets = list(booking.tickets.order_by("pk").values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        quote = booking_cancel_tickets(
            booking=booking,
            ticket_ids=tickets[:2],
            actor=customer,
            now=show.starts_at - timedelta(hours=5),
        )
    assert quote.refunds == {tickets[0]: Decimal("765"), tickets[1]: Decimal("765")}
    assert Refund.objects.get(kind="partial").amount == Decimal("1530")
    assert reconciliation.reconcile() == []


# --- the API ------------------------------------------------------------------------------


def test_the_api_gives_back_tickets_and_shows_what_remains(paid, customer_client):
    booking = paid(["A1", "A2", "A3"])
    response = give_back(customer_client, booking, {"tickets": ids_of(booking, "A3")})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["remaining_tickets"] == 2
    assert body["refunded_amount"] == "10.00"
    given = [t for t in body["tickets"] if t["status"] == "cancelled"]
    assert [(t["seat"]["number"], t["refund_amount"]) for t in given] == [(3, "10.00")]
    detail = customer_client.get(f"/api/bookings/{booking.public_id}/").json()
    assert detail["history"][-1]["reason"].startswith("tickets given back: A3")


def test_the_api_quotes_without_changing_anything(paid, customer_client):
    booking = paid(["A1", "A2"])
    [ticket] = ids_of(booking, "A1")
    response = customer_client.post(
        f"/api/bookings/{booking.public_id}/refund-quote/", {"tickets": [ticket]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "tickets": [ticket],
        "whole_booking": False,
        "percent": "100.00",
        "overridden": False,
        "refund": "10.00",
        "currency": "EUR",
        "refunds": {str(ticket): "10.00"},
    }
    assert set(booking.tickets.values_list("status", flat=True)) == {"sold"}


def test_no_body_still_cancels_the_whole_booking(paid, customer_client):
    booking = paid(["A1", "A2"])
    response = customer_client.post(f"/api/bookings/{booking.public_id}/cancel/")
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"tickets": []}, "invalid"),
        ({"tickets": "A1"}, "invalid"),
        ({"tickets": [0]}, "invalid"),
        ({"tickets": ["x"]}, "invalid"),
        ({"tickets": None}, "invalid"),
        ({"refund_percent": "50", "reason": "x"}, "invalid"),
    ],
)
def test_malformed_input_is_400(paid, customer_client, body, code):
    booking = paid(["A1", "A2"])
    response = give_back(customer_client, booking, body)
    assert (response.status_code, response.json()["error"]["code"]) == (400, code)
    assert set(booking.tickets.values_list("status", flat=True)) == {"sold"}


def test_a_ticket_listed_twice_is_400(paid, customer_client):
    booking = paid(["A1", "A2"])
    [ticket] = ids_of(booking, "A1")
    response = give_back(customer_client, booking, {"tickets": [ticket, ticket]})
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["details"]) == (
        400,
        "duplicate_tickets",
        {"ticket_ids": [ticket]},
    )


def test_unknown_tickets_and_other_bookings_tickets_are_400(paid, customer_client, other_customer):
    booking = paid(["A1", "A2"])
    others = paid(["B1", "B2"], user=other_customer)
    foreign = ids_of(others, "B1")[0]
    response = give_back(customer_client, booking, {"tickets": [foreign, 999999]})
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (400, "tickets_not_in_booking")
    assert error["details"] == {"ticket_ids": sorted([foreign, 999999])}
    assert set(others.tickets.values_list("status", flat=True)) == {"sold"}


def test_a_ticket_given_back_already_is_409(paid, customer_client):
    booking = paid(["A1", "A2", "A3"])
    ticket = ids_of(booking, "A1")
    assert give_back(customer_client, booking, {"tickets": ticket}).status_code == 200
    response = give_back(customer_client, booking, {"tickets": ticket})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "tickets_not_active")


def test_another_customers_booking_is_404(paid, other_client):
    booking = paid(["A1", "A2"])
    response = give_back(other_client, booking, {"tickets": ids_of(booking, "A1")})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "booking_not_found")
    response = give_back(
        other_client, Booking(public_id="00000000-0000-0000-0000-000000000000"), {}
    )
    assert response.status_code == 404


def test_anonymous_is_401(paid, api_client):
    booking = paid(["A1", "A2"])
    assert give_back(api_client, booking, {"tickets": ids_of(booking, "A1")}).status_code == 401


def test_a_customer_cannot_override_the_policy(paid, customer_client):
    booking = paid(["A1", "A2"])
    body = {"tickets": ids_of(booking, "A1"), "refund_percent": "100", "reason": "please"}
    response = give_back(customer_client, booking, body)
    assert (response.status_code, response.json()["error"]["code"]) == (
        403,
        "refund_override_not_allowed",
    )


def test_staff_override_needs_a_reason(paid, staff_client):
    booking = paid(["A1", "A2"])
    response = give_back(
        staff_client, booking, {"tickets": ids_of(booking, "A1"), "refund_percent": "100"}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (
        400,
        "refund_override_needs_reason",
    )
    response = give_back(
        staff_client,
        booking,
        {"tickets": ids_of(booking, "A1"), "refund_percent": "100", "reason": "late film"},
    )
    assert response.status_code == 200


def test_after_the_cutoff_a_customer_cannot_give_back(paid, customer_client, showtime, settings):
    booking = paid(["A1", "A2"])
    settings.BOOKING_CANCELLATION_CUTOFF_MINUTES = 60 * 24 * 30
    response = give_back(customer_client, booking, {"tickets": ids_of(booking, "A1")})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "cancellation_closed")


def test_tickets_of_a_cancelled_booking_cannot_be_given_back(paid, customer_client):
    booking = paid(["A1", "A2"])
    customer_client.post(f"/api/bookings/{booking.public_id}/cancel/")
    response = give_back(customer_client, booking, {"tickets": ids_of(booking, "A1")})
    assert (response.status_code, response.json()["error"]["code"]) == (
        409,
        "booking_not_cancellable",
    )


def test_a_late_payment_for_a_larger_hold_is_refunded(hold, customer):
    """A payment started before seats left the hold cannot become the booking's payment."""
    from marquee.payments.services import _keep_or_refund

    booking = hold(["A1", "A2"])
    payment = Payment.objects.create(
        booking=booking,
        provider="stripe",
        provider_reference="pi_old",
        amount=booking.total,
        currency="EUR",
        status="captured",
    )
    booking_cancel_tickets(booking=booking, ticket_ids=ids_of(booking, "A2"), actor=customer)
    _keep_or_refund(Payment.objects.select_related("booking").get(pk=payment.pk))
    payment.refresh_from_db()
    assert payment.status == "duplicate"
    assert Refund.objects.get(payment=payment).amount == Decimal("20.00")
    assert Booking.objects.get(pk=booking.pk).status == "pending"
    assert TicketStatus.HELD in set(booking.tickets.values_list("status", flat=True))


def test_a_voucher_discount_is_apportioned_over_the_tickets_given_back(
    customer, showtime, seats, django_capture_on_commit_callbacks, default_ticket_types
):
    from marquee.booking import vouchers
    from marquee.booking.services import booking_hold

    vouchers.voucher_create(code="TENOFF", kind="percent", value=Decimal("10"))
    booking = booking_hold(
        user=customer,
        showtime_id=showtime.pk,
        seat_ids=[seats["A1"].id, seats["A2"].id, seats["A3"].id],
        voucher_code="TENOFF",
    )
    payment_start(booking=booking, user=customer, card_number=CARD)
    booking.refresh_from_db()
    assert (booking.status, booking.total, booking.discount) == (
        "confirmed",
        Decimal("27.00"),
        Decimal("3.00"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        quote = booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A1"),
            actor=customer,
            now=before_show(showtime, hours=30),  # 100% under the default policy
        )
    # A1 cost 10.00 less its third of the 3.00 discount: 9.00 back, not 10.00.
    assert quote.amount == Decimal("9.00")
    assert Refund.objects.get(kind="partial").amount == Decimal("9.00")
    assert reconciliation.reconcile() == []
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A2"),
            actor=customer,
            now=before_show(showtime, hours=5),  # 50%
        )
    assert Refund.objects.filter(kind="partial").order_by("pk").last().amount == Decimal("4.50")
    assert reconciliation.reconcile() == []


def test_every_remaining_ticket_with_a_voucher_refunds_each_ticket_less_its_share(
    customer, showtime, seats, django_capture_on_commit_callbacks, default_ticket_types
):
    """The discount is apportioned over every ticket, the last ones too: what goes back never
    passes what was paid, and the voucher's use stands (the booking is still paid for)."""
    from django.core.management import call_command

    from marquee.booking import vouchers
    from marquee.booking.models import Voucher
    from marquee.booking.services import booking_hold

    vouchers.voucher_create(code="THREEOFF", kind="amount", value=Decimal("3.00"), currency="EUR")
    booking = booking_hold(
        user=customer,
        showtime_id=showtime.pk,
        seat_ids=[seats["A1"].id, seats["A2"].id, seats["E1"].id],
        voucher_code="THREEOFF",
    )
    payment_start(booking=booking, user=customer, card_number=CARD)
    booking.refresh_from_db()
    assert (booking.status, booking.total) == ("confirmed", Decimal("32.00"))  # 10+10+15-3
    with django_capture_on_commit_callbacks(execute=True):
        first = booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A1"),
            actor=customer,
            now=before_show(showtime, hours=30),  # 100 %
        )
        rest = booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A2", "E1"),
            actor=customer,
            now=before_show(showtime, hours=5),  # 50 %
        )
    # Shares of the 3.00 by price (10/35, 10/35, 15/35 of it) in whole cents that add up to
    # 3.00: 0.86, 0.86, 1.28 (the two cents left after rounding down go to the largest
    # remainders).
    assert first.amount == Decimal("9.14")
    [a2] = ids_of(booking, "A2")
    [e1] = ids_of(booking, "E1")
    assert rest.whole_booking
    assert rest.refunds == {a2: Decimal("4.57"), e1: Decimal("6.86")}  # halves, rounded down
    refunded = sum(Refund.objects.values_list("amount", flat=True))
    assert refunded == Decimal("20.57") <= booking.total
    assert Voucher.objects.get().redeemed == 1
    assert reconciliation.reconcile() == []
    call_command("reconcile")


def voucher_booking_of_three(customer, showtime, seats):
    from marquee.booking import vouchers
    from marquee.booking.services import booking_hold

    vouchers.voucher_create(code="THREEOFF", kind="amount", value=Decimal("3.00"), currency="EUR")
    booking = booking_hold(
        user=customer,
        showtime_id=showtime.pk,
        seat_ids=[seats["A1"].id, seats["A2"].id, seats["E1"].id],
        voucher_code="THREEOFF",
    )
    payment_start(booking=booking, user=customer, card_number=CARD)
    booking.refresh_from_db()
    assert (booking.status, booking.total) == ("confirmed", Decimal("32.00"))  # 10+10+15-3
    return booking


def test_every_ticket_given_back_one_by_one_at_full_refund_returns_exactly_what_was_paid(
    customer, showtime, seats, django_capture_on_commit_callbacks, default_ticket_types
):
    booking = voucher_booking_of_three(customer, showtime, seats)
    for label in ("A1", "A2", "E1"):
        with django_capture_on_commit_callbacks(execute=True):
            booking_cancel_tickets(
                booking=booking,
                ticket_ids=ids_of(booking, label),
                actor=customer,
                now=before_show(showtime, hours=30),  # 100 %
            )
    refunded = sorted(Refund.objects.values_list("amount", flat=True))
    assert refunded == [Decimal("9.14"), Decimal("9.14"), Decimal("13.72")]
    assert sum(refunded) == Decimal("32.00")
    assert reconciliation.reconcile() == []


def test_cancelling_the_rest_after_giving_back_a_ticket_keeps_each_tickets_voucher_share(
    customer, showtime, seats, django_capture_on_commit_callbacks, default_ticket_types
):
    """The whole-booking refund after a ticket was given back is what the remaining tickets
    were paid (price less share), not their prices less the whole discount again."""
    from marquee.booking.services import booking_cancel

    booking = voucher_booking_of_three(customer, showtime, seats)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_tickets(
            booking=booking,
            ticket_ids=ids_of(booking, "A1"),
            actor=customer,
            now=before_show(showtime, hours=30),  # 100 %
        )
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=customer, now=before_show(showtime, hours=30))
    partial = Refund.objects.get(kind="partial").amount
    full = Refund.objects.get(kind="full").amount
    assert (partial, full) == (Decimal("9.14"), Decimal("22.86"))  # 32.00 - 9.14
    assert partial + full == Decimal("32.00")
    assert reconciliation.reconcile() == []
