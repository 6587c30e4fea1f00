from datetime import timedelta
from io import StringIO
from itertools import pairwise

from django.core.management import call_command
from django.utils import timezone

from marquee.accounts.models import User
from marquee.catalog.models import Genre, Movie, Screen, Seat, Showtime, Theater

COUNTED = [Theater, Screen, Seat, Genre, Movie, Showtime, User]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_builds_a_cinema_with_a_week_of_showtimes(db):
    output = seed()

    theater = Theater.objects.get(name="Marquee Downtown")
    assert theater.timezone == "Europe/Berlin"
    screen_1 = Screen.objects.get(theater=theater, name="Screen 1")
    screen_2 = Screen.objects.get(theater=theater, name="Screen 2")
    assert screen_1.seats.count() == 140
    assert set(screen_1.seats.filter(row_label="J").values_list("tier", flat=True)) == {"vip"}
    assert screen_1.seats.filter(tier="premium").count() == 28
    assert screen_1.seats.filter(kind="wheelchair").count() == 2
    assert screen_1.seats.get(row_label="A", number=3).kind == "companion"
    assert screen_2.seats.count() == 60
    assert screen_2.seats.get(row_label="A", number=1).kind == "wheelchair"
    assert Movie.objects.count() >= 6
    assert all(movie.genres.exists() for movie in Movie.objects.all())
    assert Showtime.objects.filter(starts_at__gt=timezone.now()).count() == 7 * 8
    assert "Demo data ready" in output
    assert "/api/docs/" in output
    assert "/admin/" in output
    assert "marquee-admin-2026" in output


def test_seed_demo_showtimes_never_overlap(db):
    seed()

    for screen in Screen.objects.all():
        showtimes = list(screen.showtimes.order_by("starts_at"))
        for earlier, later in pairwise(showtimes):
            assert earlier.ends_at <= later.starts_at


def test_seed_demo_creates_an_admin_and_a_customer(db):
    seed()

    admin = User.objects.get(username="admin")
    customer = User.objects.get(username="customer")
    assert admin.role == "admin"
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password("marquee-admin-2026")
    assert customer.role == "customer"
    assert not customer.is_staff
    assert customer.check_password("marquee-customer-2026")


def test_running_seed_demo_twice_creates_nothing_new(db):
    seed()
    first = counts()

    output = seed()

    assert counts() == first
    assert "0 new showtimes" in output


def test_seed_demo_the_next_day_adds_only_the_new_last_day(db, monkeypatch):
    seed()
    before = Showtime.objects.count()
    tomorrow = timezone.now() + timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)

    output = seed()

    assert Showtime.objects.count() == before + 8
    assert "8 new showtimes" in output
