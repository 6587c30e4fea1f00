"""A scripted sale across two theaters, made through the real booking services and the pay API.

Theaters: New York (UTC-4/-5, USD) and Tokyo (UTC+9, JPY), no price rules, standard seats, so
a ticket costs the showtime's base price. With D the first show date of the report:

    show  movie  theater  local start      UTC date  sold  paid          refunded  held now
    s1    Alpha  NY       D   23:30        D+1       3     36 + 24 USD   24 USD    1
    s2    Beta   NY       D+1 14:00        D+1       2     24 USD        -         0 (lapsed)
    s3    Alpha  Tokyo    D+1 00:30        D         4     7200 JPY      -         0
    s4    Beta   Tokyo    D   19:00        D         2     1800 + 3600   1800 JPY  1
    s5    Alpha  NY       D+3 18:00        D+3       1     12 USD        -         0

s1 and s3 sit near local midnight, so their UTC date is not their local date.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from marquee.booking.models import Ticket
from marquee.booking.services import booking_hold, bookings_expire
from marquee.catalog.models import Seat
from marquee.tickets.codes import ticket_code
from marquee.tickets.services import ticket_check_in
from tests import factories

NEW_YORK = "America/New_York"
TOKYO = "Asia/Tokyo"
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


def local_moment(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def pay(user, booking, card=GOOD_CARD):
    response = client_for(user).post(
        f"/api/bookings/{booking.public_id}/pay/", {"card_number": card}, format="json"
    )
    expected = 200 if card == GOOD_CARD else 402
    assert response.status_code == expected, response.content
    return response


def cancel(user, booking, capture_on_commit):
    # The refund is requested on commit and processed by the (eager) task.
    with capture_on_commit(execute=True):
        response = client_for(user).post(f"/api/bookings/{booking.public_id}/cancel/")
    assert response.status_code == 200, response.content
    return response


def hold(user, showtime, labels, *, now=None):
    seats = {
        f"{s.row_label}{s.number}": s.id for s in Seat.objects.filter(screen=showtime.screen_id)
    }
    return booking_hold(
        user=user, showtime_id=showtime.pk, seat_ids=[seats[label] for label in labels], now=now
    )


@pytest.fixture
def first_day():
    return timezone.now().astimezone(UTC).date() + timedelta(days=10)


@pytest.fixture
def venues(db, first_day):
    """Two theaters, two movies and five showtimes; nothing sold yet."""
    new_york = factories.TheaterFactory(
        name="Hudson", timezone=NEW_YORK, morning_discount_percent=Decimal("0")
    )
    tokyo = factories.TheaterFactory(
        name="Ginza", timezone=TOKYO, morning_discount_percent=Decimal("0")
    )
    ny_screen = factories.screen_with_seats(rows=2, per_row=5, theater=new_york)  # 10 seats
    tokyo_screen = factories.screen_with_seats(rows=3, per_row=3, theater=tokyo)  # 9 seats
    alpha = factories.MovieFactory(title="Alpha")
    beta = factories.MovieFactory(title="Beta")
    day, next_day = first_day, first_day + timedelta(days=1)

    def show(movie, screen, starts_at, price, currency):
        return factories.ShowtimeFactory(
            movie=movie,
            screen=screen,
            starts_at=starts_at,
            base_price=Decimal(price),
            currency=currency,
        )

    return SimpleNamespace(
        first_day=day,
        last_day=next_day,
        new_york=new_york,
        tokyo=tokyo,
        alpha=alpha,
        beta=beta,
        s1=show(alpha, ny_screen, local_moment(day, 23, 30, NEW_YORK), "12.00", "USD"),
        s2=show(beta, ny_screen, local_moment(next_day, 14, 0, NEW_YORK), "12.00", "USD"),
        s3=show(alpha, tokyo_screen, local_moment(next_day, 0, 30, TOKYO), "1800.00", "JPY"),
        s4=show(beta, tokyo_screen, local_moment(day, 19, 0, TOKYO), "1800.00", "JPY"),
        s5=show(
            alpha,
            ny_screen,
            local_moment(day + timedelta(days=3), 18, 0, NEW_YORK),
            "12.00",
            "USD",
        ),
    )


@pytest.fixture
def sale(venues, django_capture_on_commit_callbacks):
    """The table in this module's docstring, played through services and the pay API."""
    alice, bob, carol = (factories.UserFactory(role="customer") for _ in range(3))
    now = timezone.now()
    lapsed = now - timedelta(minutes=30)

    # s1: a sale, a paid booking cancelled and refunded, a live hold.
    pay(alice, hold(alice, venues.s1, ["A1", "A2", "A3"]))
    refunded = hold(bob, venues.s1, ["B1", "B2"])
    pay(bob, refunded)
    cancel(bob, refunded, django_capture_on_commit_callbacks)
    hold(carol, venues.s1, ["A5"])

    # s4: a refund, a sale, a swept expired hold, and a declined card that keeps its hold.
    refunded = hold(bob, venues.s4, ["A1"])
    pay(bob, refunded)
    cancel(bob, refunded, django_capture_on_commit_callbacks)
    pay(carol, hold(carol, venues.s4, ["A2", "A3"]))
    hold(carol, venues.s4, ["C1"], now=lapsed)
    bookings_expire()
    pay(carol, hold(carol, venues.s4, ["B1"]), card=DECLINED_CARD)

    # s2: a sale and a lapsed hold the sweeper has not seen yet (held, but not active).
    pay(alice, hold(alice, venues.s2, ["A1", "A2"]))
    hold(bob, venues.s2, ["B1", "B2"], now=lapsed)

    # s3: a sale, one ticket already scanned at the door (it stays sold).
    pay(alice, hold(alice, venues.s3, ["A1", "A2", "A3", "B1"]))
    ticket_check_in(
        code=ticket_code(Ticket.objects.get(showtime=venues.s3, seat__row_label="B")),
        staff_user=factories.UserFactory(role="staff"),
        now=venues.s3.starts_at - timedelta(minutes=30),
    )

    # s5: outside the report's range.
    pay(alice, hold(alice, venues.s5, ["A1"]))
    return venues


@pytest.fixture
def report_range(venues):
    return {"from": venues.first_day.isoformat(), "to": venues.last_day.isoformat()}
