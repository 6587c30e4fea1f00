"""The seat picker's speed layer: a plain GET reuses the page rendered for the same hall
rendering (marquee/web/hall.py, keyed like the API's seat map), language and login state. These
tests pin the reused page to a fresh rendering and to every change that must show at once."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from marquee.booking.services import booking_hold
from marquee.common import local_cache

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def shared_cache(settings):
    settings.CATALOG_CACHE_SECONDS = 60  # reuse allowed, as with Redis


def _page(client, showtime, **headers) -> str:
    response = client.get(reverse("web:seat-picker", args=[showtime.pk]), headers=headers)
    assert response.status_code == 200
    return TOKEN.sub("TOKEN", response.content.decode())


def test_a_reused_page_is_the_fresh_rendering_with_its_own_csrf_token(showtime, seats, customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    fresh = client.get(reverse("web:seat-picker", args=[showtime.pk]))
    reused = client.get(reverse("web:seat-picker", args=[showtime.pk]))
    assert TOKEN.sub("T", fresh.content.decode()) == TOKEN.sub("T", reused.content.decode())
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', reused.content.decode())
    assert len(tokens) == 4 and "csrf-token-of-this-request" not in tokens
    local_cache.clear_all()
    assert _page(client, showtime) == TOKEN.sub("TOKEN", reused.content.decode())
    # The token is a real one: the hold form posts with it.
    response = client.post(
        reverse("web:hold", args=[showtime.pk]),
        {"seat": [seats["A1"].id], "csrfmiddlewaretoken": tokens[0]},
    )
    assert response.status_code == 302 and "/bookings/" in response["Location"]


def test_a_visitors_page_is_the_same_bytes_for_everyone_and_sets_no_cookie(client, showtime):
    first = client.get(reverse("web:seat-picker", args=[showtime.pk]))
    second = Client().get(reverse("web:seat-picker", args=[showtime.pk]))
    assert first.content == second.content
    assert b"csrfmiddlewaretoken" not in first.content
    assert not first.cookies and not second.cookies


def test_a_warm_page_costs_no_database_query(client, showtime, django_assert_num_queries):
    client.get(reverse("web:seat-picker", args=[showtime.pk]))
    with django_assert_num_queries(0):
        client.get(reverse("web:seat-picker", args=[showtime.pk]))


def test_a_hold_shows_on_the_next_page_at_once(client, showtime, seats, other_customer):
    before = _page(client, showtime)
    booking_hold(user=other_customer, showtime_id=showtime.pk, seat_ids=[seats["C3"].id])
    after = _page(client, showtime)
    assert before != after
    assert 'Row C, seat 3, standard, €10.00, <span class="seat-status">held' in after


def test_languages_and_logged_in_visitors_get_their_own_page(client, showtime, customer):
    english = _page(client, showtime)
    german = _page(client, showtime, **{"Accept-Language": "de"})
    assert "Wähle deine Plätze" in german and "Pick your seats" in english
    client.force_login(customer)
    logged_in = _page(client, showtime)
    assert "Log out" in logged_in and "Log out" not in english


def test_a_buyer_with_a_hold_gets_a_page_of_their_own(client, showtime, seats, customer):
    client.force_login(customer)
    _page(client, showtime)
    booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=[seats["B2"].id])
    page = _page(client, showtime)
    assert "You are holding 1 seat" in page and "is-yours" in page


def test_a_logged_in_buyers_warm_page_costs_the_session_the_user_and_their_hold(
    client, showtime, customer, django_assert_num_queries, settings
):
    client.force_login(customer)
    client.get(reverse("web:seat-picker", args=[showtime.pk]))
    # The user and the buyer's own hold; the session too unless it is read from Redis.
    cached_sessions = settings.SESSION_ENGINE.endswith("cached_db")
    with django_assert_num_queries(2 if cached_sessions else 3):
        client.get(reverse("web:seat-picker", args=[showtime.pk]))


def test_own_hold_seats_names_only_the_callers_running_hold(
    showtime, seats, customer, other_customer
):
    from datetime import timedelta

    from django.utils import timezone

    from marquee.booking.selectors import own_hold_seats
    from marquee.booking.services import booking_cancel

    now = timezone.now()
    assert own_hold_seats(user_id=customer.pk, showtime_id=showtime.pk, now=now) == (None, [])
    booking_hold(user=other_customer, showtime_id=showtime.pk, seat_ids=[seats["A1"].id])
    lapsed = booking_hold(
        user=customer,
        showtime_id=showtime.pk,
        seat_ids=[seats["A2"].id],
        now=now - timedelta(hours=1),
    )
    cancelled = booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=[seats["A3"].id])
    booking_cancel(booking=cancelled, actor=customer)
    assert own_hold_seats(user_id=customer.pk, showtime_id=showtime.pk, now=now) == (None, [])
    running = booking_hold(
        user=customer, showtime_id=showtime.pk, seat_ids=[seats["B1"].id, seats["B2"].id]
    )
    assert own_hold_seats(user_id=customer.pk, showtime_id=showtime.pk, now=now) == (
        running.public_id,
        sorted([seats["B1"].id, seats["B2"].id]),
    )
    assert lapsed.public_id != running.public_id
    # A box-office sale held by a member of staff is a walk-in's, not the member's own hold.
    from marquee.staff.boxoffice import box_office_hold
    from tests import factories

    staff = factories.UserFactory(role="staff")
    box_office_hold(staff=staff, showtime_id=showtime.pk, seat_ids=[seats["C1"].id])
    assert own_hold_seats(user_id=staff.pk, showtime_id=showtime.pk, now=now) == (None, [])
