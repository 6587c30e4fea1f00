"""Choosing ticket types in the seat picker, with and without JavaScript (a price card show)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from marquee.booking.models import Booking
from marquee.catalog import services as catalog_services
from tests import factories
from tests.web.conftest import assert_accessible
from tests.web.test_browser import seat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def carded_hall(demo_hall, default_ticket_types):
    entries = [
        {"ticket_type": "adult", "tier": tier, "price": Decimal(price)}
        for tier, price in (("standard", "12.00"), ("premium", "15.00"), ("vip", "20.00"))
    ] + [
        {"ticket_type": "child", "tier": tier, "price": Decimal(price)}
        for tier, price in (("standard", "7.00"), ("premium", "9.00"), ("vip", "11.00"))
    ]
    card = catalog_services.price_card_create(
        theater=demo_hall.screen.theater, name="Family", currency="EUR", entries=entries
    )
    catalog_services.showtime_update(showtime=demo_hall, price_card=card)
    return demo_hall


def test_the_picker_asks_a_ticket_type_per_seat_and_the_hold_charges_it(pages, carded_hall):
    buyer = factories.UserFactory(username="family")
    page = pages.new()
    pages.login(page, buyer.username)
    page.goto(reverse("web:seat-picker", args=[carded_hall.pk]))
    for label in ("E6", "E7"):
        page.locator(f'label[for="{seat(page, label).get_attribute("id")}"]').click()
    child = page.get_by_label(re.compile(r"^Row E, seat 7"), exact=False).and_(
        page.locator("select")
    )
    child.select_option("child")
    assert_accessible(page)
    page.get_by_role("button", name="Hold these seats").click()
    page.wait_for_url(re.compile(r"/bookings/[0-9a-f-]+/$"))
    booking = Booking.objects.get(user=buyer)
    got = sorted(
        (t.seat.row_label + str(t.seat.number), t.ticket_type)
        for t in booking.tickets.select_related("seat")
    )
    assert got == [("E6", "adult"), ("E7", "child")]
    prices = sorted(booking.tickets.values_list("price", flat=True))
    assert booking.total == sum(prices) and prices[0] < prices[1]


def test_without_javascript_the_form_takes_a_count_per_ticket_type(pages, carded_hall):
    buyer = factories.UserFactory(username="plainfamily")
    page = pages.new(java_script=False)
    pages.login(page, buyer.username)
    page.goto(reverse("web:seat-picker", args=[carded_hall.pk]))
    for label in ("E6", "E7", "E8"):
        page.locator(f'label[for="{seat(page, label).get_attribute("id")}"]').click()
    page.get_by_label(re.compile(r"^Child")).fill("2")
    page.get_by_role("button", name="Hold these seats").click()
    page.wait_for_url(re.compile(r"/bookings/[0-9a-f-]+/$"))
    booking = Booking.objects.get(user=buyer)
    types = sorted(booking.tickets.values_list("ticket_type", flat=True))
    assert types == ["adult", "child", "child"]
