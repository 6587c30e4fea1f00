"""The hot paths' shortcuts: the showtime context, the hold's pre-check and the hand-built 201.

Each shortcut must give exactly what the plain path gives, and every catalog change must reach
it at once.
"""

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from marquee.booking import context as showtime_context_module
from marquee.booking import errors, selectors, services
from marquee.booking import rendered as rendered_maps
from marquee.booking.api import BookingOutput, booking_output
from marquee.booking.models import Booking, BookingStatus, Ticket, TicketStatus
from marquee.booking.services import ConfirmOutcome, booking_confirm
from marquee.catalog import services as catalog
from marquee.catalog.models import Showtime, ShowtimeStatus, WeekdayPriceRule
from marquee.common import local_cache
from marquee.common.time import to_local
from tests import factories
from tests.queries import assert_max_data_queries

pytestmark = pytest.mark.django_db

URL = "/api/bookings/"


def seat_map_url(showtime):
    return f"/api/showtimes/{showtime.pk}/seats/"


def ids(seats, *labels):
    return [seats[label].id for label in labels]


@pytest.fixture
def context_cache(settings):
    """The showtime context on, as in production with Redis (here the cache is local memory)."""
    settings.CATALOG_CACHE_SECONDS = 60


@pytest.fixture
def token_client(customer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(customer)}")
    return client


def by_label(body):
    return {f"{s['row']}{s['number']}": s for s in body["seats"]}


# --- the showtime context --------------------------------------------------------------------


def test_an_unchanged_seat_map_is_served_without_a_query(context_cache, api_client, showtime):
    first = api_client.get(seat_map_url(showtime))
    with assert_max_data_queries(0):
        again = api_client.get(seat_map_url(showtime))
    assert again.status_code == 200 and again.content == first.content


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_an_unchanged_seat_map_costs_one_redis_round_trip(
    context_cache, customer, showtime, seats, redis_commands, logged_in
):
    client = APIClient()
    if logged_in:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(customer)}")
    first = client.get(seat_map_url(showtime))
    redis_commands.clear()
    with assert_max_data_queries(0):
        again = client.get(seat_map_url(showtime))
    # The throttle's count and the map's two version numbers, in one script call.
    assert redis_commands == ["EVALSHA"]
    assert again.content == first.content

    services.booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=[seats["A1"].pk])
    redis_commands.clear()
    after = client.get(seat_map_url(showtime)).json()
    assert redis_commands == ["EVALSHA"]
    assert by_label(after)["A1"]["status"] == "held"


def test_a_warm_hold_costs_two_redis_round_trips(
    context_cache, token_client, showtime, seats, redis_commands, django_capture_on_commit_callbacks
):
    token_client.get(seat_map_url(showtime))  # the hall's versions exist, as in a rush
    token_client.post(URL, {"showtime": showtime.pk, "seats": ids(seats, "A1")}, format="json")
    redis_commands.clear()
    with django_capture_on_commit_callbacks(execute=False) as on_commit:
        response = token_client.post(
            URL, {"showtime": showtime.pk, "seats": ids(seats, "A2")}, format="json"
        )
    assert response.status_code == 201
    # The account's and the burst's counts with the catalog version, in one script call;
    # nothing inside the transaction.
    assert redis_commands == ["EVALSHA"]
    for callback in on_commit:
        callback()
    assert redis_commands == ["EVALSHA", "EVAL"]  # the seat-status version, after commit


def test_a_map_read_inside_the_holding_transaction_shows_the_hold(
    context_cache, api_client, customer, showtime, seats, redis_commands
):
    # The shared version moves only after commit; this process still must not serve the copy
    # it rendered before the change to code that sees the change (here: a test's transaction).
    api_client.get(seat_map_url(showtime))
    services.booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=[seats["B2"].pk])
    assert "EVAL" not in redis_commands
    assert by_label(api_client.get(seat_map_url(showtime)).json())["B2"]["status"] == "held"


def test_after_a_hold_the_map_reads_only_the_seat_statuses(
    context_cache, api_client, hold, showtime
):
    api_client.get(seat_map_url(showtime))
    hold(["C4"])
    with assert_max_data_queries(1) as queries:
        response = api_client.get(seat_map_url(showtime))
    assert connection.ops.quote_name("booking_ticket") in queries.captured_queries[0]["sql"]
    assert by_label(response.json())["C4"]["status"] == "held"


def test_without_a_shared_cache_the_context_is_built_on_every_read(settings, api_client, showtime):
    settings.CATALOG_CACHE_SECONDS = 0
    api_client.get(seat_map_url(showtime))
    with assert_max_data_queries(2) as queries:
        api_client.get(seat_map_url(showtime))
    assert len(queries.captured_queries) == 2  # the showtime, then the seat statuses


def test_a_cancellation_reaches_the_cached_context_at_once(
    context_cache, api_client, customer_client, showtime, seats
):
    api_client.get(seat_map_url(showtime))  # the context is cached
    catalog.showtime_cancel(showtime=showtime)
    body = api_client.get(seat_map_url(showtime)).json()
    assert body["showtime"]["status"] == "cancelled"
    assert body["showtime"]["on_sale"] is False
    response = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1")}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "showtime_cancelled"


def test_price_changes_reach_the_cached_context_at_once(
    context_cache, api_client, customer_client, showtime, seats
):
    before = by_label(api_client.get(seat_map_url(showtime)).json())["A1"]["price"]
    showtime.base_price += Decimal("2.00")
    showtime.save(update_fields=["base_price"])
    after = by_label(api_client.get(seat_map_url(showtime)).json())["A1"]["price"]
    assert Decimal(after) == Decimal(before) + Decimal("2.00")
    theater = showtime.screen.theater
    WeekdayPriceRule.objects.create(
        theater=theater,
        weekday=to_local(showtime.starts_at, theater.timezone).weekday(),
        adjustment_percent=Decimal("10"),
    )
    raised = by_label(api_client.get(seat_map_url(showtime)).json())["A1"]["price"]
    assert Decimal(raised) == (Decimal(after) * Decimal("1.10")).quantize(Decimal("0.01"))
    response = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1")}, format="json"
    )
    assert response.json()["tickets"][0]["price"] == raised


def test_regenerated_seats_reach_the_cached_context_at_once(context_cache, api_client):
    screen = factories.screen_with_seats(rows=2, per_row=4)
    showtime = factories.ShowtimeFactory(
        screen=screen, starts_at=timezone.now() + timedelta(days=1)
    )
    assert api_client.get(seat_map_url(showtime)).json()["counts"]["total"] == 8
    catalog.seats_generate(screen=screen, rows=3, per_row=5)
    assert api_client.get(seat_map_url(showtime)).json()["counts"]["total"] == 15


def test_a_context_ages_out_even_without_a_catalog_change(
    context_cache, api_client, showtime, monkeypatch
):
    api_client.get(seat_map_url(showtime))
    # A write that bypassed the version bump (raw SQL, say): seen after MAX_AGE_SECONDS.
    Showtime.objects.filter(pk=showtime.pk).update(status=ShowtimeStatus.CANCELLED)
    assert api_client.get(seat_map_url(showtime)).json()["showtime"]["status"] == "scheduled"
    later = local_cache.time.monotonic() + showtime_context_module.MAX_AGE_SECONDS
    monkeypatch.setattr(local_cache.time, "monotonic", lambda: later + 1)
    assert api_client.get(seat_map_url(showtime)).json()["showtime"]["status"] == "cancelled"


def test_the_cached_and_uncached_seat_maps_are_identical(settings, api_client, showtime, hold):
    hold(["A1", "B2"])
    settings.CATALOG_CACHE_SECONDS = 0
    plain = api_client.get(seat_map_url(showtime)).content
    settings.CATALOG_CACHE_SECONDS = 60
    api_client.get(seat_map_url(showtime))
    assert api_client.get(seat_map_url(showtime)).content == plain


# --- the hold's pre-check --------------------------------------------------------------------


def test_a_conflict_is_answered_from_one_read_without_a_write_transaction(
    context_cache, token_client, hold, showtime, seats
):
    hold(["A1", "A2"])
    token_client.post(URL, {"showtime": showtime.pk, "seats": ids(seats, "C1")}, format="json")
    bookings = Booking.objects.count()
    # The token's user and the pre-check: nothing written, nothing to roll back.
    with assert_max_data_queries(2) as queries:
        response = token_client.post(
            URL, {"showtime": showtime.pk, "seats": ids(seats, "A2", "A3")}, format="json"
        )
    assert response.status_code == 409
    assert response.json()["error"]["details"]["seat_ids"] == ids(seats, "A2")
    assert not any("INSERT" in q["sql"] for q in queries.captured_queries)
    assert Booking.objects.count() == bookings


def test_a_warm_hold_takes_seven_queries_with_the_context_cached(
    context_cache, token_client, showtime, seats
):
    token_client.post(URL, {"showtime": showtime.pk, "seats": ids(seats, "A1")}, format="json")
    # The token's user, the pre-check, the customer's lock and count of held seats (the hold
    # limits), the booking, tickets and event INSERTs. No stale hold is in the way, so no
    # UPDATE.
    with assert_max_data_queries(7) as queries:
        response = token_client.post(
            URL, {"showtime": showtime.pk, "seats": ids(seats, "B1", "B2")}, format="json"
        )
    assert response.status_code == 201, response.content
    assert not any(q["sql"].startswith("UPDATE") for q in queries.captured_queries)
    if connection.vendor == "postgresql":
        (lock,) = [q["sql"] for q in queries.captured_queries if "FOR NO KEY UPDATE" in q["sql"]]
        assert '"accounts_user"' in lock


def test_a_staff_hold_skips_the_hold_limits_lock_and_count(
    context_cache, staff_user, showtime, seats
):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(staff_user)}")
    client.post(URL, {"showtime": showtime.pk, "seats": ids(seats, "A1")}, format="json")
    with assert_max_data_queries(5) as queries:
        response = client.post(
            URL, {"showtime": showtime.pk, "seats": ids(seats, "B1", "B2")}, format="json"
        )
    assert response.status_code == 201, response.content
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


def test_a_stale_hold_in_the_way_is_freed_by_the_update_within_eight_queries(
    context_cache, token_client, hold, other_customer, showtime, seats
):
    stale = hold(["D1"], user=other_customer, now=timezone.now() - timedelta(hours=1))
    token_client.post(URL, {"showtime": showtime.pk, "seats": ids(seats, "A1")}, format="json")
    with assert_max_data_queries(8) as queries:
        response = token_client.post(
            URL, {"showtime": showtime.pk, "seats": ids(seats, "D1", "D2")}, format="json"
        )
    assert response.status_code == 201, response.content
    assert sum(q["sql"].startswith("UPDATE") for q in queries.captured_queries) == 1
    assert stale.tickets.get().status == TicketStatus.EXPIRED
    assert Ticket.objects.filter(seat=seats["D1"], status=TicketStatus.HELD).count() == 1


def test_a_race_the_pre_check_cannot_see_is_still_decided_by_the_index(
    customer, other_customer, showtime, seats, monkeypatch
):
    real = services.seat_statuses
    rival = []

    def taken_right_after_the_pre_check(**kwargs):
        answer = real(**kwargs)
        if kwargs.get("stale") and not rival:
            rival.append(True)
            services.booking_hold(
                user=other_customer, showtime_id=showtime.pk, seat_ids=ids(seats, "E4")
            )
        return answer

    monkeypatch.setattr(services, "seat_statuses", taken_right_after_the_pre_check)
    with pytest.raises(errors.SeatsUnavailable) as conflict:
        services.booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=ids(seats, "E4"))
    assert conflict.value.seat_ids == ids(seats, "E4")
    assert Ticket.objects.filter(seat=seats["E4"], status=TicketStatus.HELD).count() == 1
    assert not Booking.objects.filter(user=customer).exists()


# --- the hand-built 201 ----------------------------------------------------------------------


def rendered(data) -> bytes:
    return JSONRenderer().render(data)


def test_the_hold_response_is_exactly_the_documented_serializer(customer, showtime, hold, seats):
    booking = hold(["A1", "E3", "D2"])
    assert rendered(booking_output(booking)) == rendered(BookingOutput(booking).data)
    held = services.booking_hold_with_tickets(
        user=customer, showtime_id=showtime.pk, seat_ids=ids(seats, "B3", "B1")
    )
    assert [t.seat.pk for t in held.tickets] == ids(seats, "B1", "B3")  # in seat order
    assert rendered(booking_output(held.booking, held.tickets)) == rendered(
        BookingOutput(held.booking).data
    )
    stored = selectors.booking_get(user=customer, public_id=booking.public_id)
    assert rendered(booking_output(stored)) == rendered(BookingOutput(stored).data)


def test_the_hand_built_output_matches_for_confirmed_checked_in_and_lapsed_bookings(
    customer, staff_user, hold
):
    paid = hold(["B1", "B2"])
    booking_confirm(booking_id=paid.pk)
    Ticket.objects.filter(pk=paid.tickets.order_by("id").first().pk).update(
        checked_in_at=timezone.now(), checked_in_by=staff_user
    )
    lapsed = hold(["C1"], now=timezone.now() - timedelta(hours=1))
    for booking in (paid, lapsed):
        stored = selectors.booking_get(user=customer, public_id=booking.public_id)
        assert rendered(booking_output(stored)) == rendered(BookingOutput(stored).data)
    assert (
        booking_output(selectors.booking_get(user=customer, public_id=lapsed.public_id))["status"]
        == "expired"
    )
    assert any(
        t["checked_in_at"]
        for t in booking_output(selectors.booking_get(user=customer, public_id=paid.public_id))[
            "tickets"
        ]
    )


def test_the_201_body_over_http_matches_the_detail_endpoint(customer_client, showtime, seats):
    created = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A4", "A5")}, format="json"
    ).json()
    detail = customer_client.get(f"{URL}{created['id']}/").json()
    detail.pop("history")
    assert created == detail


# --- a hold that raced a cancellation is never sold -----------------------------------------


def test_confirming_a_hold_on_a_showtime_cancelled_meanwhile_refuses_and_cancels_it(hold):
    booking = hold(["A1", "A2"])
    # The race: the hold read the showtime as scheduled, the cancellation committed before
    # the hold's rows existed, so the cancellation's sweep never saw this booking.
    Showtime.objects.filter(pk=booking.showtime_id).update(status=ShowtimeStatus.CANCELLED)
    assert booking_confirm(booking_id=booking.pk) == ConfirmOutcome.NOT_CONFIRMABLE
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert set(booking.tickets.values_list("status", flat=True)) == {TicketStatus.CANCELLED}
    assert booking.events.last().reason == "showtime cancelled"


# --- stateless auth on the public seat map --------------------------------------------------


def test_a_logged_in_seat_map_read_does_not_load_the_user(
    context_cache, token_client, showtime, customer
):
    token_client.get(seat_map_url(showtime))
    with assert_max_data_queries(1) as queries:
        response = token_client.get(seat_map_url(showtime))
    assert response.status_code == 200
    assert not any("accounts_user" in q["sql"] for q in queries.captured_queries)


def test_the_seat_map_still_refuses_a_bad_token(api_client, showtime):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    response = api_client.get(seat_map_url(showtime))
    assert response.status_code == 401


def test_a_deactivated_account_reads_the_public_map_but_cannot_hold(
    token_client, customer, showtime, seats
):
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    assert token_client.get(seat_map_url(showtime)).status_code == 200  # public anyway
    response = token_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1")}, format="json"
    )
    assert response.status_code == 401


def test_logged_in_seat_map_reads_are_throttled_per_account(monkeypatch, customer, showtime):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/min", "anon": "100/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: 1_000_015.0)  # one window
    token = f"Bearer {AccessToken.for_user(customer)}"
    statuses = []
    for address in ("10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4"):  # one account, 4 IPs
        client = APIClient(REMOTE_ADDR=address)
        client.credentials(HTTP_AUTHORIZATION=token)
        statuses.append(client.get(seat_map_url(showtime)).status_code)
    assert statuses == [200, 200, 200, 429]


# --- the rendered seat map, reused while nothing on it changed -----------------------------


def status_of(client, showtime, label):
    return by_label(client.get(seat_map_url(showtime)).json())[label]["status"]


def test_every_booking_write_reaches_a_rendered_map_at_once(
    context_cache, api_client, hold, showtime, staff_user
):
    assert status_of(api_client, showtime, "B3") == "available"  # rendered and kept
    booking = hold(["B3"])
    assert status_of(api_client, showtime, "B3") == "held"
    booking_confirm(booking_id=booking.pk)
    assert status_of(api_client, showtime, "B3") == "sold"
    services.booking_mark_refunded(booking_id=booking.pk)
    assert status_of(api_client, showtime, "B3") == "available"
    other = hold(["B4"])
    assert status_of(api_client, showtime, "B4") == "held"
    services.booking_cancel(booking=other, actor=staff_user)
    assert status_of(api_client, showtime, "B4") == "available"
    hold(["B5"])
    assert status_of(api_client, showtime, "B5") == "held"
    catalog.showtime_cancel(showtime=showtime)
    assert status_of(api_client, showtime, "B5") == "available"


def test_a_ticket_saved_one_by_one_reaches_a_rendered_map(
    context_cache, api_client, hold, showtime
):
    ticket = hold(["C2"]).tickets.get()
    assert status_of(api_client, showtime, "C2") == "held"
    ticket.status = TicketStatus.CANCELLED  # as an admin edit does, through save()
    ticket.save()
    assert status_of(api_client, showtime, "C2") == "available"


def render(data) -> bytes:
    return JSONRenderer().render(data)


def seat_map_at(showtime, when) -> dict:
    body = rendered_maps.seat_map_bytes(showtime_id=showtime.pk, render=render, now=when)
    return {f"{s['row']}{s['number']}": s for s in json.loads(body)["seats"]} | {
        "on_sale": json.loads(body)["showtime"]["on_sale"]
    }


def test_a_rendered_map_is_not_reused_past_the_lapse_of_a_hold_on_it(
    context_cache, hold, showtime, django_assert_num_queries
):
    now = timezone.now()
    booking = hold(["D4"], now=now)
    assert seat_map_at(showtime, now)["D4"]["status"] == "held"
    with django_assert_num_queries(0):
        assert seat_map_at(showtime, booking.expires_at - timedelta(seconds=1))["D4"]["status"] == (
            "held"
        )
    # No write happens when a hold lapses: the map knows when its first hold lapses.
    assert seat_map_at(showtime, booking.expires_at + timedelta(seconds=1))["D4"]["status"] == (
        "available"
    )


def test_a_rendered_map_goes_off_sale_when_the_show_starts(context_cache, showtime):
    assert seat_map_at(showtime, timezone.now())["on_sale"] is True
    assert seat_map_at(showtime, showtime.starts_at + timedelta(seconds=1))["on_sale"] is False


def test_a_rendered_map_ages_out_and_a_lost_version_key_retires_it(
    context_cache, api_client, hold, showtime, monkeypatch
):
    from django.core.cache import cache

    from marquee.booking import availability

    first, second = hold(["E6"]), hold(["E7"])
    assert status_of(api_client, showtime, "E6") == "held"  # rendered and kept
    # Writes that bypass the bump (raw SQL, say) are not seen while the rendered map is kept:
    Ticket.objects.filter(booking__in=[first, second]).update(status=TicketStatus.CANCELLED)
    assert status_of(api_client, showtime, "E6") == "held"
    # a version key lost to eviction comes back at a new value and retires the copy,
    cache.delete(availability._key(showtime.pk))
    assert status_of(api_client, showtime, "E6") == "available"
    # and the age bound catches whatever else slipped by.
    third = hold(["E8"])
    assert status_of(api_client, showtime, "E8") == "held"
    Ticket.objects.filter(booking=third).update(status=TicketStatus.CANCELLED)
    assert status_of(api_client, showtime, "E8") == "held"
    later = time.monotonic() + availability.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(local_cache.time, "monotonic", lambda: later)
    assert status_of(api_client, showtime, "E8") == "available"


def test_with_the_cache_down_every_read_renders_afresh(
    context_cache, api_client, showtime, monkeypatch
):
    from marquee.booking import availability

    monkeypatch.setattr(availability, "versions", lambda showtime_id, known=None: (None, None))
    api_client.get(seat_map_url(showtime))
    for _ in range(2):
        with assert_max_data_queries(2) as queries:
            api_client.get(seat_map_url(showtime))
        ticket_table = connection.ops.quote_name("booking_ticket")
        assert any(ticket_table in q["sql"] for q in queries.captured_queries)
