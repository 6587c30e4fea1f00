"""The booking pages: the site's, which the emails link to, and the signed read-only page the
emails linked to before the site existed (opened from its link alone)."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from marquee.booking.models import Booking
from marquee.catalog.models import Showtime
from marquee.tickets import emails
from marquee.tickets.codes import booking_page_token, ticket_code
from tests.tickets.conftest import as_email

pytestmark = pytest.mark.django_db


def link_in(message) -> str:
    parsed = as_email(message)
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"Your booking: (\S+)", text).group(1)


def test_the_confirmation_email_links_to_the_sites_booking_page(
    book, berlin_showtime, customer, mailoutbox, settings
):
    settings.SITE_URL = "https://tickets.example.com"
    booking = book(["A1", "E3"], showtime=berlin_showtime)
    emails.confirmation_message(booking).send()

    link = link_in(mailoutbox[-1])
    assert link == f"https://tickets.example.com/bookings/{booking.public_id}/"
    html_part = as_email(mailoutbox[-1]).get_body(preferencelist=("html",)).get_content()
    assert f'href="{link}"' in html_part

    path = link.removeprefix("https://tickets.example.com")
    assert Client().get(path).status_code == 302  # to the log-in page, then back
    owner = Client()
    owner.force_login(customer)
    page = owner.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    for ticket in booking.tickets.all():
        assert ticket_code(ticket) in html


def test_the_signed_page_shows_the_tickets_without_a_login(book, berlin_showtime):
    # The page the emails of the release before the site linked to keeps working.
    booking = book(["A1", "E3"], showtime=berlin_showtime)

    page = Client().get(f"/b/{booking_page_token(booking)}/")  # no login

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    for ticket in booking.tickets.select_related("seat"):
        assert ticket_code(ticket) in html
        seat = f"row {ticket.seat.row_label}, seat {ticket.seat.number}"
        assert f'alt="QR code of the ticket for {seat}"' in html
    assert html.count('src="data:image/svg+xml') == 2
    assert "Metropolis" in html
    assert "Kino Babylon" in html
    assert "(Europe/Berlin)" in html
    assert "Confirmed" in html


def page_of(booking) -> object:
    return Client().get(f"/b/{booking_page_token(booking)}/")


def test_the_page_is_private_and_read_only(book):
    booking = book(["A1"])

    page = page_of(booking)
    post = Client().post(f"/b/{booking_page_token(booking)}/")

    assert page["Cache-Control"] == "private, no-store"
    assert page["Referrer-Policy"] == "no-referrer"
    assert post.status_code == 405


def test_an_unpaid_or_cancelled_booking_shows_its_status_and_no_codes(book):
    pending = book(["A1"], confirm=False)
    lapsed = book(["A2"], confirm=False, now=timezone.now() - timedelta(minutes=30))

    pending_html = page_of(pending).content.decode()
    lapsed_html = page_of(lapsed).content.decode()

    assert "Not paid yet" in pending_html
    assert "Not paid in time" in lapsed_html  # expired, although no sweeper has run
    for html in (pending_html, lapsed_html):
        assert "data:image/svg+xml" not in html
    for booking in (pending, lapsed):
        for ticket in booking.tickets.all():
            assert ticket_code(ticket) not in page_of(booking).content.decode()


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "00000000-0000-0000-0000-000000000000.forgedsignature",
        "x" * 500,
    ],
)
def test_a_forged_or_broken_link_gets_a_friendly_404_page(token, book):
    book(["A1"])

    page = Client().get(f"/b/{token}/")

    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
    assert "We could not find this booking" in page.content.decode()


def test_a_genuine_link_to_a_booking_that_is_gone_is_a_404(book):
    booking = book(["A1"], confirm=False)
    token = booking_page_token(booking)
    Booking.objects.filter(pk=booking.pk).delete()

    assert Client().get(f"/b/{token}/").status_code == 404


def test_the_link_works_until_weeks_after_the_show(book, showtime):
    booking = book(["A1"])
    Showtime.objects.filter(pk=showtime.pk).update(
        starts_at=timezone.now() - timedelta(days=20),
        ends_at=timezone.now() - timedelta(days=20) + timedelta(hours=3),
    )
    assert page_of(booking).status_code == 200

    Showtime.objects.filter(pk=showtime.pk).update(
        starts_at=timezone.now() - timedelta(days=40),
        ends_at=timezone.now() - timedelta(days=40) + timedelta(hours=3),
    )
    assert page_of(booking).status_code == 404


def test_a_link_survives_a_key_rotation(book, settings):
    booking = book(["A1"])
    link = f"/b/{booking_page_token(booking)}/"

    old_key = settings.TICKET_SIGNING_KEY
    settings.TICKET_SIGNING_KEY = "the-ticket-key-after-the-rotation-" + "b" * 30
    settings.TICKET_SIGNING_KEY_FALLBACKS = [old_key]

    assert Client().get(link).status_code == 200


def test_the_reminder_links_to_the_page_too(book, showtime, mailoutbox):
    booking = book(["A1"])

    emails.reminder_message(booking, now=timezone.now()).send()

    assert link_in(mailoutbox[-1]).endswith(f"/bookings/{booking.public_id}/")
