"""Best available for a party of several ticket types, through the plain (no-JS) form."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from marquee.booking.models import Booking
from marquee.catalog import services as catalog_services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_ticket_types")]


@pytest.fixture
def carded(showtime):
    entries = [
        {"ticket_type": "adult", "tier": "standard", "price": Decimal("12.00")},
        {"ticket_type": "child", "tier": "standard", "price": Decimal("7.00")},
    ]
    card = catalog_services.price_card_create(
        theater=showtime.screen.theater, name="Family", currency="EUR", entries=entries
    )
    catalog_services.showtime_update(showtime=showtime, price_card=card)
    return showtime


def test_the_best_available_form_asks_a_count_per_ticket_type(site_client, carded):
    html = site_client.get(reverse("web:seat-picker", args=[carded.pk])).content.decode()
    best = html[html.index('class="best-form"') :]
    assert re.search(r'<label for="party-adult">.*Adult', best)
    assert re.search(r'id="party-adult" name="party-adult"', best)
    assert re.search(r'<label for="party-child">.*Child', best)
    assert 'name="quantity"' not in best  # the party's size is the sum of the counts


def test_a_show_without_ticket_types_keeps_the_plain_seat_count(site_client, showtime):
    html = site_client.get(reverse("web:seat-picker", args=[showtime.pk])).content.decode()
    best = html[html.index('class="best-form"') :]
    assert 'name="quantity"' in best and "party-" not in best


def test_the_plain_form_holds_the_best_seats_with_the_counted_ticket_types(
    site_client, customer, carded
):
    response = site_client.post(
        reverse("web:hold", args=[carded.pk]),
        {"mode": "best", "party-adult": "1", "party-child": "2", "tier": "standard"},
    )
    assert response.status_code == 302, response.content
    booking = Booking.objects.get(user=customer)
    tickets = booking.tickets.select_related("seat").order_by("seat__number")
    assert sorted(t.ticket_type for t in tickets) == ["adult", "child", "child"]
    assert len({t.seat.row_label for t in tickets}) == 1
    assert booking.total == Decimal("26.00")


def test_a_party_of_nobody_is_refused_on_the_page(site_client, customer, carded):
    response = site_client.post(
        reverse("web:hold", args=[carded.pk]),
        {"mode": "best", "party-adult": "0", "party-child": "0"},
    )
    assert response.status_code == 400
    assert "Pick at least one seat." in response.content.decode()
    assert not Booking.objects.filter(user=customer).exists()


def test_a_type_the_show_does_not_sell_is_refused_on_the_page(site_client, customer, carded):
    response = site_client.post(
        reverse("web:hold", args=[carded.pk]),
        {"mode": "best", "party-adult": "1", "party-pirate": "1"},
    )
    assert response.status_code == 400
    assert "Unknown ticket type." in response.content.decode()
    assert not Booking.objects.filter(user=customer).exists()


def test_counts_that_contradict_the_seat_count_are_refused_on_the_page(
    site_client, customer, carded
):
    response = site_client.post(
        reverse("web:hold", args=[carded.pk]),
        {"mode": "best", "quantity": "2", "party-adult": "1", "party-child": "2"},
    )
    assert response.status_code == 400
    assert "does not add up" in response.content.decode()
    assert not Booking.objects.filter(user=customer).exists()


def test_each_ticket_types_prices_follow_the_legends_tier_order(site_client, showtime):
    # A card listing VIP and premium before standard: the picker still reads standard,
    # premium, VIP for every type, as its legend does.
    entries = [
        {"ticket_type": code, "tier": tier, "price": Decimal(price)}
        for code in ("adult", "child")
        for tier, price in (("vip", "15.00"), ("premium", "12.50"), ("standard", "10.00"))
    ]
    card = catalog_services.price_card_create(
        theater=showtime.screen.theater, name="Backwards", currency="EUR", entries=entries
    )
    catalog_services.showtime_update(showtime=showtime, price_card=card)
    html = site_client.get(reverse("web:seat-picker", args=[showtime.pk])).content.decode()
    line = re.search(r"<li>Child: ([^<]*)</li>", html).group(1)
    assert [part.split()[0].lower() for part in line.split(", ")] == ["standard", "premium", "vip"]
