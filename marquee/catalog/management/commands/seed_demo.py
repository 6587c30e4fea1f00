"""`manage.py seed_demo`: a theater, two screens, movies, a week of showtimes and two accounts.

Idempotent: everything is found by its natural key before it is created, seats are generated
only for a screen that has none, and a showtime slot is skipped when the screen is already busy
then. Run it again tomorrow and it adds the new last day without touching the rest.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from marquee.accounts.models import Role, User
from marquee.catalog.models import Genre, Movie, Screen, Seat, Theater
from marquee.catalog.selectors import showtime_overlapping
from marquee.catalog.services import (
    seats_generate,
    showtime_ends_at,
    showtime_schedule,
    theater_create,
)

THEATER = {
    "name": "Marquee Downtown",
    "timezone": "Europe/Berlin",
    "address": "1 Main Street",
    # Premium seats 2 EUR more, VIP 5 EUR: the showtimes below are in euros.
    "surcharge_kind": "amount",
    "surcharge_currency": "EUR",
    "premium_surcharge": Decimal("2.00"),
    "vip_surcharge": Decimal("5.00"),
}
SCREENS = {
    "Screen 1": {
        "rows": 10,
        "per_row": 14,
        "aisles_after": [3, 11],
        "premium_rows": "H-I",
        "vip_rows": "J",
        "wheelchair": ["A1", "A2"],
        "companion": ["A3"],
    },
    "Screen 2": {
        "rows": 6,
        "per_row": 10,
        "aisles_after": [5],
        "premium_rows": "E",
        "vip_rows": "F",
        "wheelchair": ["A1"],
        "companion": ["A2"],
    },
}
GENRES = {
    "action": "Action",
    "animation": "Animation",
    "comedy": "Comedy",
    "drama": "Drama",
    "family": "Family",
    "science-fiction": "Science Fiction",
    "thriller": "Thriller",
}
MOVIES = [
    ("The Last Projectionist", 118, "PG-13", ["drama"]),
    ("Orbit of Ashes", 142, "PG-13", ["science-fiction", "action"]),
    ("Paper Lanterns", 96, "G", ["animation", "family"]),
    ("Night Shift at the Lido", 104, "R", ["thriller"]),
    ("Two Tickets to Nowhere", 99, "PG", ["comedy"]),
    ("Velvet Curtain", 127, "PG-13", ["drama", "thriller"]),
    ("The Popcorn Heist", 92, "PG", ["comedy", "family", "action"]),
]
# Local start times per screen; 3.5 hours apart fits the longest movie plus cleaning.
SLOTS = {
    "Screen 1": [time(10, 30), time(14, 0), time(17, 30), time(21, 0)],
    "Screen 2": [time(11, 0), time(14, 30), time(18, 0), time(21, 30)],
}
DAYS = 7
ACCOUNTS = [
    ("admin", "admin@marquee.local", "marquee-admin-2026", Role.ADMIN),
    ("customer", "customer@marquee.local", "marquee-customer-2026", Role.CUSTOMER),
]


def slot_price(start: time) -> Decimal:
    return Decimal("12.50") if start.hour >= 17 else Decimal("9.50")


class Command(BaseCommand):
    help = "Create demo data (idempotent): a theater, screens, movies, showtimes and accounts."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, **options):
        with transaction.atomic():
            theater = self.theater()
            screens = [self.screen(theater, name, layout) for name, layout in SCREENS.items()]
            movies = self.movies()
            created = self.showtimes(theater, screens, movies)
            accounts = [self.account(*account) for account in ACCOUNTS]

        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {created} new showtimes."))
        base = options["base_url"].rstrip("/")
        self.stdout.write(f"  API:      {base}/api/")
        self.stdout.write(f"  API docs: {base}/api/docs/")
        self.stdout.write(f"  Admin:    {base}/admin/")
        for (username, _, password, role), is_new in zip(ACCOUNTS, accounts, strict=True):
            note = "" if is_new else " (existing account; password left unchanged)"
            self.stdout.write(f"  {role:<9} {username} / {password}{note}")

    def theater(self) -> Theater:
        theater = Theater.objects.filter(name=THEATER["name"]).first()
        return theater or theater_create(**THEATER)

    def screen(self, theater: Theater, name: str, layout: dict) -> Screen:
        screen, _ = Screen.objects.get_or_create(theater=theater, name=name)
        if not Seat.objects.filter(screen=screen).exists():
            seats_generate(screen=screen, **layout)
        return screen

    def movies(self) -> list[Movie]:
        genres = {
            slug: Genre.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in GENRES.items()
        }
        movies = []
        for title, duration, rating, slugs in MOVIES:
            movie, created = Movie.objects.get_or_create(
                title=title,
                defaults={
                    "duration_minutes": duration,
                    "age_rating": rating,
                    "language": "en",
                    "description": f"{title}: a Marquee demo feature.",
                    "release_date": date(2026, 1, 1),
                },
            )
            if created:
                movie.genres.set([genres[slug] for slug in slugs])
            movies.append(movie)
        return movies

    def showtimes(self, theater: Theater, screens: list[Screen], movies: list[Movie]) -> int:
        zone = ZoneInfo(theater.timezone)
        tomorrow = timezone.now().astimezone(zone).date() + timedelta(days=1)
        created = 0
        for day in (tomorrow + timedelta(days=n) for n in range(DAYS)):
            for screen_index, screen in enumerate(screens):
                for slot_index, start in enumerate(SLOTS[screen.name]):
                    # The same movie for the same day and slot on every run.
                    movie = movies[(day.toordinal() + slot_index * 3 + screen_index) % len(movies)]
                    starts_at = datetime.combine(day, start, tzinfo=zone)
                    ends_at = showtime_ends_at(movie=movie, starts_at=starts_at)
                    busy = showtime_overlapping(
                        screen_id=screen.pk, starts_at=starts_at, ends_at=ends_at
                    )
                    if busy is None:
                        showtime_schedule(
                            movie=movie,
                            screen=screen,
                            starts_at=starts_at,
                            base_price=slot_price(start),
                            currency="EUR",
                        )
                        created += 1
        return created

    def account(self, username: str, email: str, password: str, role: str) -> bool:
        user = User.objects.filter(username=username).first()
        if user is not None:
            return False
        user = User(username=username, email=email, role=role)
        user.set_password(password)
        user.save()
        return True
