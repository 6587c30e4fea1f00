"""Giving back some tickets on the site: tick them, see the refund, confirm."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from marquee.booking.models import TicketStatus
from marquee.booking.services import booking_hold
from marquee.payments.models import Refund
from marquee.payments.services import payment_start

pytestmark = pytest.mark.django_db


def _paid(user, showtime, seat_ids):
    booking = booking_hold(user=user, showtime_id=showtime.pk, seat_ids=seat_ids)
    payment_start(booking=booking, user=user, card_number="4242424242424242")
    booking.refresh_from_db()
    return booking


def test_the_booking_page_offers_giving_back_some_tickets(
    site_client, customer, showtime, seat_ids
):
    booking = _paid(customer, showtime, [seat_ids["A1"], seat_ids["A2"]])
    html = site_client.get(reverse("web:booking", args=[booking.public_id])).content.decode()
    assert reverse("web:booking-give-back", args=[booking.public_id]) in html


def test_the_refund_is_shown_before_anything_changes_then_confirmed(
    site_client, customer, showtime, seat_ids, django_capture_on_commit_callbacks
):
    booking = _paid(customer, showtime, [seat_ids["A1"], seat_ids["A2"], seat_ids["A3"]])
    url = reverse("web:booking-give-back", args=[booking.public_id])
    form = site_client.get(url).content.decode()
    assert form.count('type="checkbox" name="tickets"') == 3
    assert "of the ticket price back" in form
    a3 = booking.tickets.get(seat_id=seat_ids["A3"])
    preview = site_client.post(url, {"tickets": [a3.pk], "step": "preview"}).content.decode()
    assert "You get €10.00 back (100% of the price)." in preview
    assert "Give these tickets back" in preview
    assert a3.__class__.objects.get(pk=a3.pk).status == TicketStatus.SOLD
    with django_capture_on_commit_callbacks(execute=True):
        response = site_client.post(url, {"tickets": [a3.pk], "step": "confirm"}, follow=True)
    html = response.content.decode()
    assert "Tickets given back; €10.00 will be refunded." in html
    assert "You gave back 1 ticket; €10.00 refunded." in html
    a3.refresh_from_db()
    assert (a3.status, a3.refund_amount) == (TicketStatus.CANCELLED, Decimal("10.00"))
    assert Refund.objects.get(kind="partial").status == "succeeded"


def test_nothing_ticked_is_refused_on_the_page(site_client, customer, showtime, seat_ids):
    booking = _paid(customer, showtime, [seat_ids["A1"], seat_ids["A2"]])
    url = reverse("web:booking-give-back", args=[booking.public_id])
    response = site_client.post(url, {"step": "preview", "tickets": ["x"]})
    assert response.status_code == 400
    assert "Tick at least one ticket" in response.content.decode()


def test_another_buyers_booking_is_a_404(other_site_client, customer, showtime, seat_ids):
    booking = _paid(customer, showtime, [seat_ids["A1"], seat_ids["A2"]])
    url = reverse("web:booking-give-back", args=[booking.public_id])
    ticket = booking.tickets.first()
    assert other_site_client.get(url).status_code == 404
    response = other_site_client.post(url, {"tickets": [ticket.pk], "step": "confirm"})
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_a_family_gives_back_two_tickets_and_sees_the_refund_first(pages, demo_hall):
    from playwright.sync_api import expect

    from marquee.catalog.models import Seat
    from tests import factories
    from tests.web.conftest import assert_accessible

    buyer = factories.UserFactory(username="family")
    seat_ids = [
        s.pk
        for s in Seat.objects.filter(screen=demo_hall.screen_id, row_label="E").order_by("number")
    ][4:8]
    booking = _paid(buyer, demo_hall, seat_ids)
    page = pages.new()
    pages.login(page, "family")
    page.goto(reverse("web:booking", args=[booking.public_id]))
    page.get_by_role("link", name="Give back some tickets").click()
    assert_accessible(page)
    page.get_by_role("checkbox", name=re.compile(r"^Row E, seat 7 ")).check()
    page.get_by_role("checkbox", name=re.compile(r"^Row E, seat 8 ")).check()
    page.get_by_role("button", name="Show my refund").click()
    # Two days ahead: the default policy gives everything back; nothing changed yet.
    expect(page.locator(".refund-total")).to_have_text("You get €25.00 back (100% of the price).")
    assert_accessible(page)
    assert set(booking.tickets.values_list("status", flat=True)) == {TicketStatus.SOLD}
    page.get_by_role("button", name="Give these tickets back").click()
    expect(page.get_by_text("Tickets given back; €25.00 will be refunded.")).to_be_visible()
    statuses = sorted(booking.tickets.values_list("status", flat=True))
    assert statuses == ["cancelled", "cancelled", "sold", "sold"]
    expect(page.get_by_role("heading", name="Your 2 tickets")).to_be_visible()


def test_ticking_every_ticket_shows_the_policys_refund_and_the_full_refund_of_cancelling(
    site_client, customer, showtime, seat_ids, settings, django_capture_on_commit_callbacks
):
    settings.BOOKING_REFUND_POLICY = f"{60 * 24 * 30}:100,120:50"  # 50 % two days ahead
    booking = _paid(customer, showtime, [seat_ids["A1"], seat_ids["A2"]])
    url = reverse("web:booking-give-back", args=[booking.public_id])
    ids = list(booking.tickets.values_list("pk", flat=True))
    preview = site_client.post(url, {"tickets": ids, "step": "preview"}).content.decode()
    assert "These are all your tickets: you get €10.00 back (50% of the price)." in preview
    assert "Cancelling the whole booking instead gives you your money back in full" in preview
    assert reverse("web:booking-cancel", args=[booking.public_id]) in preview
    with django_capture_on_commit_callbacks(execute=True):
        response = site_client.post(url, {"tickets": ids, "step": "confirm"}, follow=True)
    html = response.content.decode()
    assert "You gave back 2 tickets; €10.00 refunded." in html
    assert "Every ticket of this booking was given back." in html
    assert "Cancel this booking" not in html
    assert sorted(Refund.objects.values_list("kind", "amount")) == [("partial", Decimal("10.00"))]
