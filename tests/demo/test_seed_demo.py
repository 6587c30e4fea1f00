"""`seed_demo` (what `make run` loads): a cinema on which every feature of the README's tour
works, whatever the day and the hour it runs."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from marquee.accounts.models import User
from marquee.booking.models import Booking, BookingEvent, Ticket
from marquee.booking.services import booking_confirm, booking_hold
from marquee.catalog.models import Genre, Movie, Screen, Seat, Showtime, Theater
from marquee.common.time import to_local
from marquee.payments.models import Payment
from marquee.tickets.codes import ticket_code
from marquee.tickets.services import ticket_check_in

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
COUNTED = [Theater, Screen, Seat, Genre, Movie, Showtime, User, Booking, Ticket, Payment]
GRID_SHOWS_A_DAY = 8
DAYS = 6 + 1 + 7  # the past week, today, the coming week


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def berlin(day_offset: int, clock: time) -> datetime:
    """A moment on the theater's clock, `day_offset` days from today there."""
    today = timezone.now().astimezone(BERLIN).date()
    return datetime.combine(today + timedelta(days=day_offset), clock, tzinfo=BERLIN)


@pytest.fixture
def clock(monkeypatch):
    """clock(moment): it is now `moment`, for the seed and every service it calls."""

    def set_now(moment: datetime) -> datetime:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return set_now


def local_day(showtime) -> object:
    return to_local(showtime.starts_at, "Europe/Berlin").date()


def test_seed_demo_builds_a_cinema_with_a_fortnight_of_showtimes(db):
    output = seed()

    theater = Theater.objects.get(name="Marquee Downtown")
    assert theater.timezone == "Europe/Berlin"
    screen_1 = Screen.objects.get(theater=theater, name="Screen 1")
    screen_2 = Screen.objects.get(theater=theater, name="Screen 2")
    studio = Screen.objects.get(theater=theater, name="Studio")
    assert screen_1.seats.count() == 140
    assert set(screen_1.seats.filter(row_label="J").values_list("tier", flat=True)) == {"vip"}
    assert screen_1.seats.filter(tier="premium").count() == 28
    assert screen_1.seats.filter(kind="wheelchair").count() == 2
    assert screen_1.seats.get(row_label="A", number=3).kind == "companion"
    assert screen_2.seats.count() == 60
    assert screen_2.seats.get(row_label="A", number=1).kind == "wheelchair"
    assert studio.seats.count() == 40
    assert Movie.objects.count() >= 6
    assert all(movie.genres.exists() for movie in Movie.objects.all())
    grid = Showtime.objects.filter(screen__in=[screen_1, screen_2])
    assert grid.count() == DAYS * GRID_SHOWS_A_DAY
    assert "Demo data ready" in output
    assert "/api/docs/" in output
    assert "/admin/" in output
    assert "marquee-admin-2026" in output


def test_seed_demo_prints_the_urls_it_is_told_the_server_answers_on(db):
    output = seed(base_url="http://127.0.0.1:8765/")

    assert "http://127.0.0.1:8765/api/docs/" in output
    assert "http://127.0.0.1:8765/admin/" in output
    assert ":8000" not in output


def test_seed_demo_showtimes_never_overlap(db):
    seed()

    for screen in Screen.objects.all():
        showtimes = list(screen.showtimes.order_by("starts_at"))
        for earlier, later in pairwise(showtimes):
            assert earlier.ends_at <= later.starts_at


def test_seed_demo_creates_an_admin_a_staff_member_and_a_customer(db):
    output = seed()

    admin = User.objects.get(username="admin")
    staff = User.objects.get(username="staff")
    customer = User.objects.get(username="customer")
    assert admin.role == "admin"
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password("marquee-admin-2026")
    assert staff.role == "staff"
    assert staff.check_password("marquee-staff-2026")
    assert customer.role == "customer"
    assert not customer.is_staff
    assert customer.check_password("marquee-customer-2026")
    assert "staff     staff / marquee-staff-2026" in output
    # The demo buyers of past shows cannot log in.
    assert not any(
        user.has_usable_password() for user in User.objects.filter(username__startswith="movie")
    )


def test_in_the_morning_there_are_shows_later_today_and_every_day_of_the_coming_week(clock):
    now = clock(berlin(1, time(9, 0)))

    seed()

    later_today = [
        s for s in Showtime.objects.filter(starts_at__gt=now) if local_day(s) == now.date()
    ]
    assert len(later_today) >= GRID_SHOWS_A_DAY  # the whole grid, and the show starting soon
    for offset in range(1, 8):
        day = now.date() + timedelta(days=offset)
        assert sum(local_day(s) == day for s in Showtime.objects.all()) == GRID_SHOWS_A_DAY


@pytest.mark.parametrize(
    "hour", [time(0, 10), time(9, 0), time(13, 57), time(21, 40), time(23, 50)]
)
def test_at_any_hour_a_show_starts_soon_enough_to_book_and_check_in(clock, hour):
    now = clock(berlin(1, hour))

    output = seed()

    soon = Showtime.objects.filter(
        starts_at__gte=now + timedelta(minutes=15), starts_at__lte=now + timedelta(minutes=45)
    ).first()
    assert soon is not None
    assert f"Starting soon: showtime {soon.pk}" in output
    # The tour: the customer holds the best two seats and pays; staff admit them at the door.
    customer, staff = User.objects.get(username="customer"), User.objects.get(username="staff")
    booking = booking_hold(user=customer, showtime_id=soon.pk, quantity=2, now=now)
    booking_confirm(booking_id=booking.pk)
    for ticket in Ticket.objects.filter(booking=booking):
        assert ticket_check_in(code=ticket_code(ticket), staff_user=staff, now=now).checked_in_at


def test_every_show_that_has_started_has_sales_paid_and_checked_in(clock):
    now = clock(berlin(1, time(12, 0)))

    seed()

    started = Showtime.objects.filter(starts_at__lte=now)
    assert started.count() == 6 * GRID_SHOWS_A_DAY + 2  # a week back, and 10:30 and 11:00 today
    assert not started.filter(bookings__isnull=True).exists()
    assert not Showtime.objects.filter(starts_at__gt=now, bookings__isnull=False).exists()
    confirmed = Booking.objects.filter(status="confirmed")
    assert confirmed.count() > 100
    assert Booking.objects.filter(status="refunded").exists()
    paid = Payment.objects.filter(status="succeeded").aggregate(total=Sum("amount"))["total"]
    assert paid == confirmed.aggregate(total=Sum("total"))["total"]
    sold = Ticket.objects.filter(status="sold")
    assert sold.filter(checked_in_at__isnull=False).count() > sold.count() / 2
    assert not sold.filter(checked_in_at__gt=now).exists()
    # Prices come from the pricing module: an evening standard seat is the base price.
    evening = Ticket.objects.filter(
        status="sold", seat__tier="standard", showtime__base_price=Decimal("12.50")
    ).first()
    assert evening.price in {Decimal("12.50")} | {Decimal("10.00")}  # 20% off before noon


def test_the_demo_tickets_were_sold_two_days_before_their_show_not_at_the_seed(clock):
    """The dashboard counts a ticket sold when its booking's `confirmed` event was written."""
    now = clock(berlin(1, time(12, 0)))
    seed()

    confirmed = BookingEvent.objects.filter(
        to_status="confirmed", booking__user__username__startswith="moviegoer"
    ).select_related("booking__showtime")
    assert confirmed.count() > 100
    for event in confirmed:
        assert event.created_at == event.booking.showtime.starts_at - timedelta(days=2)
        assert event.created_at < now


def test_the_reports_default_window_shows_the_demo_sales(clock, admin_client_api):
    clock(berlin(1, time(12, 0)))
    seed()

    sales = admin_client_api.get("/api/reports/sales/").json()
    occupancy = admin_client_api.get("/api/reports/occupancy/").json()

    assert sales["totals"][0]["tickets_sold"] > 0
    assert sum(row["sold"] for row in occupancy["showtimes"]) == sales["totals"][0]["tickets_sold"]
    days = {row["date"] for row in sales["rows"]}
    assert len(days) == 7  # the past six days and today so far
    # The coming week is in the window too (upcoming shows, nothing sold yet).
    assert max(row["local_starts_at"] for row in occupancy["showtimes"]) > sales["to"][:10]


def test_running_seed_demo_twice_creates_nothing_new(db):
    seed()
    first = counts()

    output = seed()

    assert counts() == first
    assert "0 new showtimes, 0 new bookings" in output


def test_seed_demo_the_next_day_adds_the_new_day_and_sells_the_shows_played_since(clock):
    now = clock(berlin(1, time(12, 0)))
    seed()
    before = counts()
    started_before = Showtime.objects.filter(starts_at__lte=now).count()

    tomorrow = clock(now + timedelta(days=1))
    output = seed()

    new_showtimes = Showtime.objects.count() - before["Showtime"]
    assert new_showtimes == GRID_SHOWS_A_DAY + 1  # the new last day, a show starting soon
    assert f"{new_showtimes} new showtimes" in output
    started = Showtime.objects.filter(starts_at__lte=tomorrow)
    assert started.count() > started_before
    assert not started.filter(bookings__isnull=True).exists()
    slots = list(Showtime.objects.values_list("screen_id", "starts_at"))
    assert len(slots) == len(set(slots))


def test_seed_demo_opens_a_box_office_till_once(db):
    from marquee.payments.models import Till

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    assert list(Till.objects.values_list("name", "is_active")) == [("Till 1", True)]


def test_seed_demo_shows_ticket_types_a_price_card_a_voucher_and_formats(db, api_client):
    seed()
    from marquee.booking.models import Voucher

    screen_2 = Screen.objects.get(name="Screen 2")
    carded = Showtime.objects.filter(screen=screen_2, price_card__isnull=False)
    assert carded.exists()
    show = carded.filter(starts_at__gt=timezone.now()).first()
    body = api_client.get(f"/api/showtimes/{show.pk}/seats/").json()
    assert {"adult", "child", "senior", "student"} <= {t["code"] for t in body["ticket_types"]}
    assert Voucher.objects.filter(code="MARQUEE10").exists()
    formats = set(Showtime.objects.values_list("format", flat=True))
    assert {"2d", "3d", "imax"} <= formats
    assert Showtime.objects.filter(language_version="subtitled").exists()


def test_a_slot_that_starts_while_the_seed_runs_is_written_as_past_not_refused(db):
    # The seed's `now` is taken when it starts; a slot between that and the clock has begun
    # by the time it is scheduled: the scheduling service would refuse it (in the past).
    from marquee.demo.management.commands.seed_demo import Command

    seed()
    screen = Screen.objects.get(name="Screen 2")
    movie = Movie.objects.first()
    started = timezone.now().replace(microsecond=0) + timedelta(days=40)
    Showtime.objects.filter(screen=screen, starts_at__gte=started - timedelta(hours=6)).delete()
    command = Command()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: started + timedelta(seconds=3))
        showtime = command.schedule(
            screen, movie, started, Decimal("10.00"), now=started - timedelta(seconds=2)
        )
    assert showtime is not None and showtime.starts_at == started
