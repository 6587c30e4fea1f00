"""The site's pages through Django's test client: what each page shows, and that every form
goes through the same services as the API (no JavaScript involved: the plain-HTML path)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from marquee.booking.models import Booking, BookingStatus, TicketStatus
from marquee.booking.services import booking_hold
from marquee.catalog.models import ShowtimeStatus
from marquee.common.time import to_local
from marquee.payments.services import payment_start
from tests import factories

pytestmark = pytest.mark.django_db


def _paid(user, showtime, seat_ids):
    booking = booking_hold(user=user, showtime_id=showtime.pk, seat_ids=seat_ids)
    payment_start(booking=booking, user=user, card_number="4242424242424242")
    booking.refresh_from_db()
    return booking


# --- What's on --------------------------------------------------------------------------------


def test_home_lists_the_first_day_with_shows_by_theater_with_times_on_the_theater_clock(
    client, showtime
):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert showtime.movie.title in html
    assert showtime.screen.theater.name in html
    assert reverse("web:seat-picker", args=[showtime.pk]) in html
    assert "7:00\u202fPM" in html or "7:00 PM" in html  # 19:00 in Berlin, in English


def test_home_shows_another_day_and_hides_cancelled_shows(client, showtime):
    later = factories.ShowtimeFactory(
        screen=showtime.screen,
        starts_at=factories.evening_in(4, "Europe/Berlin"),
        movie=factories.MovieFactory(title="Later Feature"),
    )
    cancelled = factories.ShowtimeFactory(
        screen=showtime.screen,
        starts_at=factories.evening_in(4, "Europe/Berlin", hour=22),
        status=ShowtimeStatus.CANCELLED,
        movie=factories.MovieFactory(title="Cancelled Feature"),
    )
    day = to_local(later.starts_at, later.screen.theater.timezone).date()
    html = client.get("/", {"day": day.isoformat()}).content.decode()
    assert "Later Feature" in html
    assert showtime.movie.title not in html.split("Later Feature")[0].split("day-title")[-1]
    assert cancelled.movie.title not in html


def test_home_lists_movies_released_later_as_coming_soon(client, showtime):
    factories.MovieFactory(title="Next Summer", release_date=timezone.localdate() + timedelta(90))
    html = client.get("/").content.decode()
    assert "Coming soon" in html and "Next Summer" in html


def test_movie_page_shows_details_and_showtimes_by_day(client, showtime):
    response = client.get(reverse("web:movie", args=[showtime.movie_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert showtime.movie.title in html and "120 minutes" in html
    assert reverse("web:seat-picker", args=[showtime.pk]) in html


def test_unknown_movie_and_showtime_are_404_pages(client):
    assert client.get("/movies/999999/").status_code == 404
    response = client.get("/showtimes/999999/")
    assert response.status_code == 404
    assert b"<html" in response.content.lower()


def test_api_404_stays_json(client):
    response = client.get("/api/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- The seat picker without JavaScript -------------------------------------------------------


def test_picker_has_one_labelled_checkbox_per_free_seat_grouped_by_row(client, showtime, seat_ids):
    html = client.get(reverse("web:seat-picker", args=[showtime.pk])).content.decode()
    assert html.count('type="checkbox" class="seat-input"') == 40
    assert html.count('<fieldset class="hall-row"') == 5
    assert 'Row E, seat 3, VIP, €15.00, <span class="seat-status">available' in html
    assert "Row D, seat 3, premium, €12.00" in html
    # An aisle after seat 4 is one gap between seat 4 and seat 5 of every row.
    row_a = html.split('data-row="A"')[1].split("</fieldset>")[0]
    assert row_a.count('class="gap"') == 1
    assert re.search(rf'id="seat-{seat_ids["A4"]}".*?</label><span class="gap"', row_a)


def test_picker_marks_held_and_sold_seats_as_taken(client, showtime, seat_ids, other_customer):
    booking_hold(user=other_customer, showtime_id=showtime.pk, seat_ids=[seat_ids["B2"]])
    _paid(other_customer, showtime, [seat_ids["B3"]])
    html = client.get(reverse("web:seat-picker", args=[showtime.pk])).content.decode()
    held = re.search(rf'<input[^>]*id="seat-{seat_ids["B2"]}"[^>]*>', html).group(0)
    sold = re.search(rf'<input[^>]*id="seat-{seat_ids["B3"]}"[^>]*>', html).group(0)
    assert "disabled" in held and "disabled" in sold
    assert 'Row B, seat 2, standard, €10.00, <span class="seat-status">held' in html
    assert 'Row B, seat 3, standard, €10.00, <span class="seat-status">sold' in html
    assert "38 seats free" in html


def test_a_plain_form_post_holds_the_ticked_seats_and_opens_checkout(
    site_client, customer, showtime, seat_ids
):
    response = site_client.post(
        reverse("web:hold", args=[showtime.pk]), {"seat": [seat_ids["C4"], seat_ids["C5"]]}
    )
    booking = Booking.objects.get(user=customer)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:booking", args=[booking.public_id])
    assert sorted(booking.tickets.values_list("seat_id", flat=True)) == sorted(
        [seat_ids["C4"], seat_ids["C5"]]
    )
    page = site_client.get(response["Location"]).content.decode()
    assert "Checkout" in page and "€20.00" in page and 'data-expires-at="' in page


def test_a_conflict_marks_exactly_the_taken_seats_and_keeps_the_rest_of_the_selection(
    site_client, customer, showtime, seat_ids, other_customer
):
    booking_hold(user=other_customer, showtime_id=showtime.pk, seat_ids=[seat_ids["C5"]])
    response = site_client.post(
        reverse("web:hold", args=[showtime.pk]),
        {"seat": [seat_ids["C4"], seat_ids["C5"], seat_ids["C6"]]},
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else took some of these seats" in html
    assert "<li>Row C, seat 5, standard, €10.00</li>" in html
    for label, checked in (("C4", True), ("C6", True), ("C5", False)):
        tag = re.search(rf'<input[^>]*id="seat-{seat_ids[label]}"[^>]*>', html).group(0)
        assert (" checked" in tag) is checked, tag
    assert not Booking.objects.filter(user=customer).exists()


def test_a_fetch_conflict_answers_409_with_the_taken_seat_ids(
    site_client, showtime, seat_ids, other_customer
):
    booking_hold(user=other_customer, showtime_id=showtime.pk, seat_ids=[seat_ids["C5"]])
    response = site_client.post(
        reverse("web:hold", args=[showtime.pk]),
        {"seat": [seat_ids["C4"], seat_ids["C5"]]},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "seats_unavailable"
    assert error["details"]["seat_ids"] == [seat_ids["C5"]]


def test_best_available_form_holds_adjacent_seats(site_client, customer, showtime):
    response = site_client.post(
        reverse("web:hold", args=[showtime.pk]), {"mode": "best", "quantity": "3", "tier": ""}
    )
    booking = Booking.objects.get(user=customer)
    assert response.status_code == 302
    seats = [t.seat for t in booking.tickets.select_related("seat")]
    assert len(seats) == 3 and len({s.row_label for s in seats}) == 1


def test_holding_without_an_account_goes_to_login_and_back_with_the_seats_ticked(
    client, showtime, seat_ids
):
    wanted = [seat_ids["D1"], seat_ids["D2"]]
    response = client.post(reverse("web:hold", args=[showtime.pk]), {"seat": wanted})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    back = f"/showtimes/{showtime.pk}/?seats={wanted[0]},{wanted[1]}"
    assert back.replace(",", "%2C").replace("?", "%3F").replace("=", "%3D") in response[
        "Location"
    ].replace("%252C", "%2C")
    html = client.get(back).content.decode()
    for seat_id in wanted:
        assert re.search(rf'<input[^>]*id="seat-{seat_id}"[^>]* checked', html)
    assert "2 seats selected" in html


def test_picker_shows_the_buyers_own_hold_as_theirs(site_client, customer, showtime, seat_ids):
    hold = booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=[seat_ids["E4"]])
    html = site_client.get(reverse("web:seat-picker", args=[showtime.pk])).content.decode()
    assert "You are holding 1 seat for this show." in html
    assert reverse("web:booking", args=[hold.public_id]) in html
    assert 'class="seat tier-vip kind-regular is-yours"' in html
    assert f'data-yours="{seat_ids["E4"]}"' in html


def test_a_box_office_hold_is_held_to_everyone_its_cashier_too(
    customer, staff_user, showtime, seat_ids
):
    """The box-office sale's booking is the cashier's (its user), but the seats are a walk-in's:
    on the public picker they read held, with no hold of the cashier's to continue."""
    from django.test import Client

    from marquee.staff.boxoffice import box_office_hold

    box_office_hold(staff=staff_user, showtime_id=showtime.pk, seat_ids=[seat_ids["E4"]])
    cashier = Client()
    cashier.force_login(staff_user)
    html = cashier.get(reverse("web:seat-picker", args=[showtime.pk])).content.decode()
    assert "is-yours" not in html and 'data-yours=""' in html
    assert "You are holding" not in html
    assert re.search(rf'<input[^>]*id="seat-{seat_ids["E4"]}"[^>]* disabled', html)
    assert 'class="seat tier-vip kind-regular is-held"' in html

    # Their own online hold on the same show is still theirs.
    booking_hold(user=staff_user, showtime_id=showtime.pk, seat_ids=[seat_ids["E5"]])
    html = cashier.get(reverse("web:seat-picker", args=[showtime.pk])).content.decode()
    assert f'data-yours="{seat_ids["E5"]}"' in html


def test_picker_of_a_started_show_offers_no_form(client, showtime):
    showtime.starts_at = timezone.now() - timedelta(minutes=5)
    showtime.ends_at = showtime.starts_at + timedelta(hours=2)
    showtime.save()
    html = client.get(reverse("web:seat-picker", args=[showtime.pk])).content.decode()
    assert "no longer on sale" in html and "seat-form" not in html


def test_picker_names_the_live_channel_only_when_it_exists(client, showtime):
    html = client.get(reverse("web:seat-picker", args=[showtime.pk])).content.decode()
    assert 'data-seat-version="' in html
    assert ('data-live-url="' in html) == _live_installed()


def _live_installed() -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse("live:showtime-seats", args=[1])
    except NoReverseMatch:
        return False
    return True


# --- Checkout, tickets, cancel ----------------------------------------------------------------


def test_paying_with_the_test_card_confirms_and_shows_each_ticket_with_qr_and_code(
    site_client, customer, showtime, seat_ids
):
    booking = booking_hold(
        user=customer, showtime_id=showtime.pk, seat_ids=[seat_ids["A1"], seat_ids["A2"]]
    )
    response = site_client.post(
        reverse("web:booking-pay", args=[booking.public_id]),
        {"card_number": "4242 4242 4242 4242"},
        follow=True,
    )
    html = response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert "Payment received" in html and "Your 2 tickets" in html
    for ticket in booking.tickets.all():
        assert reverse("web:ticket-qr", args=[ticket.pk]) in html
        qr = site_client.get(reverse("web:ticket-qr", args=[ticket.pk]))
        assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    assert html.count('class="ticket-code"') == 2
    assert "You can cancel until" in html


def test_a_declined_card_leaves_the_hold_and_says_so(site_client, customer, showtime, seat_ids):
    booking = booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=[seat_ids["A1"]])
    response = site_client.post(
        reverse("web:booking-pay", args=[booking.public_id]),
        {"card_number": "4000000000000002"},
    )
    assert response.status_code == 402
    assert "Your card was declined" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


def test_another_buyers_booking_is_a_404_and_anonymous_visitors_are_sent_to_login(
    client, other_site_client, customer, showtime, seat_ids
):
    booking = booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=[seat_ids["A1"]])
    url = reverse("web:booking", args=[booking.public_id])
    assert other_site_client.get(url).status_code == 404
    assert (
        other_site_client.post(reverse("web:booking-cancel", args=[booking.public_id])).status_code
        == 404
    )
    assert client.get(url).status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


def test_cancel_shows_the_cutoff_before_the_button_and_refunds(
    site_client, customer, showtime, seat_ids
):
    booking = _paid(customer, showtime, [seat_ids["B1"]])
    page = site_client.get(reverse("web:booking-cancel", args=[booking.public_id])).content.decode()
    cutoff = page.index("Cancelling is possible until")
    assert cutoff < page.index("Yes, cancel the booking")
    response = site_client.post(
        reverse("web:booking-cancel", args=[booking.public_id]), follow=True
    )
    booking.refresh_from_db()
    assert booking.status in (BookingStatus.CANCELLED, BookingStatus.REFUNDED)
    assert "refunded in full" in response.content.decode()


def test_after_the_cutoff_the_booking_page_says_cancellation_closed(
    site_client, customer, showtime, seat_ids, settings
):
    booking = _paid(customer, showtime, [seat_ids["B1"]])
    settings.BOOKING_CANCELLATION_CUTOFF_MINUTES = 60 * 24 * 7
    html = site_client.get(reverse("web:booking", args=[booking.public_id])).content.decode()
    assert "Cancellation closed at" in html and "Cancel this booking" not in html
    response = site_client.post(reverse("web:booking-cancel", args=[booking.public_id]))
    assert response.status_code == 409
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_calendar_file_is_one_event_at_the_show(site_client, customer, showtime, seat_ids):
    booking = _paid(customer, showtime, [seat_ids["C3"]])
    response = site_client.get(reverse("web:booking-ics", args=[booking.public_id]))
    assert response["Content-Type"] == "text/calendar"
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert event.decoded("dtstart") == showtime.starts_at
    assert event.decoded("dtend") == showtime.ends_at
    assert str(event["summary"]) == showtime.movie.title
    assert str(booking.public_id) in str(event["url"])


def test_my_bookings_lists_upcoming_and_past(site_client, customer, showtime, seat_ids):
    booking = _paid(customer, showtime, [seat_ids["C3"]])
    html = site_client.get(reverse("web:bookings")).content.decode()
    upcoming = html.split("Upcoming")[1].split("Past")[0]
    assert reverse("web:booking", args=[booking.public_id]) in upcoming
    assert "C3" in upcoming and "Confirmed" in upcoming


def test_an_expired_hold_reads_expired_and_cannot_be_paid(
    site_client, customer, showtime, seat_ids
):
    booking = booking_hold(
        user=customer,
        showtime_id=showtime.pk,
        seat_ids=[seat_ids["A1"]],
        now=timezone.now() - timedelta(minutes=30),
    )
    html = site_client.get(reverse("web:booking", args=[booking.public_id])).content.decode()
    assert "Expired" in html and "card_number" not in html
    response = site_client.post(
        reverse("web:booking-pay", args=[booking.public_id]), {"card_number": "4242424242424242"}
    )
    assert response.status_code == 409
    assert not booking.tickets.filter(status=TicketStatus.SOLD).exists()


def test_the_confirmation_email_links_to_the_booking_page(
    customer, showtime, seat_ids, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = _paid(customer, showtime, [seat_ids["A4"]])
    [message] = [m for m in mail.outbox if "Your tickets" in m.subject]
    assert f"/bookings/{booking.public_id}/" in message.body
    assert "/api/bookings/" not in message.body


# --- Languages and money ----------------------------------------------------------------------


def test_german_visitors_get_german_pages_dates_and_money(client, showtime):
    response = client.get(
        reverse("web:seat-picker", args=[showtime.pk]), headers={"Accept-Language": "de"}
    )
    html = response.content.decode()
    assert response["Content-Language"] == "de"
    assert '<html lang="de">' in html
    assert 'Reihe E, Platz 3, VIP, 15,00\xa0€, <span class="seat-status">frei' in html
    assert "Wähle deine Plätze" in html


def test_the_language_switch_sets_the_language(client, showtime):
    response = client.post(
        reverse("web:set-language"), {"language": "de", "next": "/"}, follow=True
    )
    assert response.content.decode().count('lang="de"') >= 1
    assert "Programm" in response.content.decode()


def test_the_api_answers_in_english_whatever_the_page_language(client, showtime):
    client.post(reverse("web:set-language"), {"language": "de", "next": "/"})
    client.get("/")
    response = client.get("/api/bookings/", headers={"Accept-Language": "de"})
    assert response.status_code == 401
    assert "Content-Language" not in response
    assert "credentials were not provided" in response.json()["error"]["message"]


def test_a_buyer_who_reads_german_gets_german_emails_whoever_sends_them(
    site_client, customer, showtime, seat_ids, django_capture_on_commit_callbacks
):
    site_client.post(reverse("web:set-language"), {"language": "de", "next": "/"})
    customer.refresh_from_db()
    assert customer.language == "de"
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        _paid(customer, showtime, [seat_ids["A4"]])
    [message] = [m for m in mail.outbox if m.subject.startswith("Deine Tickets")]
    assert "Reihe A, Platz 4 (Standard): 10,00\xa0€" in message.body
    assert "Gesamt: 10,00\xa0€" in message.body


# --- Headers ----------------------------------------------------------------------------------


def test_pages_carry_a_content_security_policy_without_inline_scripts(client, showtime):
    response = client.get(reverse("web:seat-picker", args=[showtime.pk]))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "style-src 'self'" in policy
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"\sstyle=", html)


def test_the_api_carries_no_page_policy(client, showtime):
    response = client.get(f"/api/showtimes/{showtime.pk}/seats/")
    assert "Content-Security-Policy" not in response
