from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from marquee.accounts.models import User
from marquee.catalog.models import Genre, Movie, Screen, Seat, Showtime, Theater


def evening_in(days: int, time_zone: str, hour: int = 19) -> datetime:
    """`hour`:00 at a theater in `time_zone`, `days` from today there: a full-price show
    whatever the hour the suite runs at (now + 2 days, run at 23:00 UTC, was a discounted
    morning show in Berlin)."""
    local = ZoneInfo(time_zone)
    day = (timezone.now().astimezone(local) + timedelta(days=days)).date()
    return datetime.combine(day, time(hour, 0), tzinfo=local)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = "customer"
    password = factory.PostGenerationMethodCall("set_password", "Sup3r-secret-pass")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Genre {n}")
    slug = factory.Sequence(lambda n: f"genre-{n}")


class MovieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movie

    title = factory.Sequence(lambda n: f"Movie {n}")
    description = "A film."
    duration_minutes = 120
    language = "en"


class TheaterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theater

    name = factory.Sequence(lambda n: f"Theater {n}")
    address = "1 Main Street"
    timezone = "Europe/Berlin"


class ScreenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Screen

    theater = factory.SubFactory(TheaterFactory)
    name = factory.Sequence(lambda n: f"Screen {n}")


def screen_with_seats(
    *, rows=5, per_row=8, aisle_after=(), premium_rows="", vip_rows="", theater=None
):
    """A screen with a plain grid of seats; an aisle leaves a gap of one in x."""
    screen = ScreenFactory(**({"theater": theater} if theater else {}))
    seats = []
    for r in range(rows):
        label = chr(ord("A") + r)
        tier = "vip" if label in vip_rows else "premium" if label in premium_rows else "standard"
        x = 0
        for number in range(1, per_row + 1):
            seats.append(Seat(screen=screen, row_label=label, number=number, tier=tier, x=x, y=r))
            x += 2 if number in aisle_after else 1
    Seat.objects.bulk_create(seats)
    return screen


class ShowtimeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Showtime

    movie = factory.SubFactory(MovieFactory)
    screen = factory.SubFactory(ScreenFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    ends_at = factory.LazyAttribute(
        lambda s: s.starts_at + timedelta(minutes=s.movie.duration_minutes + 15)
    )
    base_price = Decimal("10.00")
    currency = "EUR"
