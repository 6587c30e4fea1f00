"""`manage.py seed_demo`: a cinema to try every feature on (what `make run` loads each time).

A Berlin theater with three screens, seven movies and three accounts to log in with (admin,
staff, customer); showtimes on a fixed grid of local start times from a week ago through the
coming week, so today has shows too; a show that starts within the hour (to book and check in
right away, whatever the time of day); and sales of every show that has started: confirmed
bookings paid with the simulated provider, a few refunded, most tickets checked in, by demo
buyers who never log in. The reports' default window (the last 30 days and the coming week)
has something to show.

Idempotent and relative to now: everything is found by its natural key before it is created,
seats are generated only for a screen that has none, a slot is skipped when its screen is
busy then, and only shows without demo sales get them. Run it again tomorrow and it adds the
new last day, a new show starting soon and the sales of the shows that played since.

History is written straight to the tables: the services refuse, by design, to schedule or to
sell a show in the past. Prices still come from the pricing module, seats from the
best-available search.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from marquee.accounts.models import Role, User
from marquee.booking.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    RefundReason,
    Ticket,
    TicketStatus,
    Voucher,
)
from marquee.booking.pricing import showtime_price_table
from marquee.booking.seating import best_available_seats
from marquee.booking.vouchers import voucher_create
from marquee.catalog.layout import screen_layout
from marquee.catalog.models import (
    Genre,
    Movie,
    PriceCard,
    Screen,
    Seat,
    Showtime,
    ShowtimeStatus,
    Theater,
)
from marquee.catalog.selectors import showtime_overlapping
from marquee.catalog.services import (
    price_card_create,
    seats_generate,
    showtime_ends_at,
    showtime_schedule,
    theater_create,
    ticket_types_default_create,
)
from marquee.common.time import to_local
from marquee.payments.models import (
    Payment,
    PaymentStatus,
    Provider,
    Refund,
    RefundStatus,
    Till,
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
    # The small room of the shows that start soon (see `show_starting_soon`).
    "Studio": {
        "rows": 5,
        "per_row": 8,
        "aisles_after": [],
        "premium_rows": "D",
        "vip_rows": "E",
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
DAYS_BACK = 6  # the shows of the last week, with their sales, for the reports
DAYS_AHEAD = 7  # today and the coming week
# A show starting within the hour: staff may check its tickets in from an hour before.
SOON_FROM, SOON_UNTIL, SOON_LEAD = timedelta(minutes=15), timedelta(minutes=45), 20
ACCOUNTS = [
    ("admin", "admin@marquee.local", "marquee-admin-2026", Role.ADMIN),
    ("staff", "staff@marquee.local", "marquee-staff-2026", Role.STAFF),
    ("customer", "customer@marquee.local", "marquee-customer-2026", Role.CUSTOMER),
]
# The buyers of the past shows' tickets; they have no password and never log in.
BUYERS = [f"moviegoer{n}" for n in range(1, 7)]
DEMO_PAYMENT_PREFIX = "demo-"
SOLD_BEFORE = timedelta(days=2)


@dataclass
class Sale:
    """One past booking, planned before anything is written."""

    booking: Booking
    payment: Payment
    refunded: bool
    tickets: list[Ticket]
    events: list[BookingEvent]


# Screen 2 sells from a price card with ticket types; some slots have a format or language.
PRICE_CARD = {
    "name": "Family prices",
    "entries": {
        "adult": ("12.50", "14.50", "17.50"),
        "child": ("8.50", "10.50", "13.50"),
        "senior": ("10.00", "12.00", "15.00"),
        "student": ("10.00", "12.00", "15.00"),
    },
    "format_surcharges": {"3d": "3.00", "imax": "5.00"},
}
CARD_SCREEN = "Screen 2"
SLOT_FORMATS = {("Screen 1", time(21, 0)): "imax", ("Screen 2", time(18, 0)): "3d"}
SLOT_LANGUAGES = {("Screen 2", time(21, 30)): "subtitled"}
VOUCHER = {"code": "MARQUEE10", "kind": "percent", "value": Decimal("10"), "max_per_user": 1}


def slot_price(start: time) -> Decimal:
    return Decimal("12.50") if start.hour >= 17 else Decimal("9.50")


class Command(BaseCommand):
    help = (
        "Create demo data (idempotent): a theater, screens, movies, a fortnight of showtimes "
        "with the past week's sales, a show starting soon, and the admin, staff and customer "
        "accounts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the server answers, for the URLs printed at the end.",
        )

    def handle(self, *args, **options):
        now = timezone.now()
        with transaction.atomic():
            theater = self.theater()
            screens = {name: self.screen(theater, name, layout) for name, layout in SCREENS.items()}
            self.card = self.price_card(theater)
            self.voucher()
            movies = self.movies()
            accounts = [self.account(*account) for account in ACCOUNTS]
            staff = User.objects.get(username="staff")
            # The box office's till (/staff/box-office/).
            Till.objects.get_or_create(name="Till 1", defaults={"theater": theater})
            buyers = [self.buyer(username) for username in BUYERS]
            created = self.showtimes(theater, screens, movies, now)
            soon, soon_is_new = self.show_starting_soon(theater, screens, movies, now)
            sold = self.sell_past_shows(theater, buyers, staff, now)

        new = created + int(soon_is_new)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {new} new showtimes, {sold} new bookings of past shows."
            )
        )
        base = options["base_url"].rstrip("/")
        self.stdout.write(f"  API:      {base}/api/")
        self.stdout.write(f"  API docs: {base}/api/docs/")
        self.stdout.write(f"  Admin:    {base}/admin/")
        self.stdout.write(
            f"  Staff:    {base}/staff/box-office/, {base}/staff/dashboard/, {base}/staff/door/"
        )
        for (username, _, password, role), is_new in zip(ACCOUNTS, accounts, strict=True):
            note = "" if is_new else " (existing account; password left unchanged)"
            self.stdout.write(f"  {role:<9} {username} / {password}{note}")
        if soon is None:
            self.stdout.write(
                "  No screen is free for a show starting within the hour; run seed_demo "
                "again later."
            )
        else:
            local = to_local(soon.starts_at, theater.timezone)
            self.stdout.write(
                f"  Starting soon: showtime {soon.pk}, {soon.movie.title}, "
                f"{local:%H:%M} ({theater.timezone}) in {soon.screen.name}"
            )

    # --- The cinema -------------------------------------------------------------------------

    def theater(self) -> Theater:
        theater = Theater.objects.filter(name=THEATER["name"]).first()
        return theater or theater_create(**THEATER)

    def price_card(self, theater: Theater) -> PriceCard:
        ticket_types_default_create()
        card = PriceCard.objects.filter(theater=theater, name=PRICE_CARD["name"]).first()
        if card is not None:
            return card
        tiers = ("standard", "premium", "vip")
        return price_card_create(
            theater=theater,
            name=PRICE_CARD["name"],
            currency="EUR",
            entries=[
                {"ticket_type": code, "tier": tier, "price": Decimal(price)}
                for code, prices in PRICE_CARD["entries"].items()
                for tier, price in zip(tiers, prices, strict=True)
            ],
            format_surcharges=[
                {"format": format, "amount": Decimal(amount)}
                for format, amount in PRICE_CARD["format_surcharges"].items()
            ],
        )

    def voucher(self) -> None:
        if not Voucher.objects.filter(code=VOUCHER["code"]).exists():
            voucher_create(**VOUCHER)

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

    def account(self, username: str, email: str, password: str, role: str) -> bool:
        if User.objects.filter(username=username).exists():
            return False
        user = User(username=username, email=email, role=role)
        user.set_password(password)
        user.save()
        return True

    def buyer(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=f"{username}@marquee.local", role=Role.CUSTOMER)
            user.set_unusable_password()
            user.save()
        return user

    # --- Showtimes --------------------------------------------------------------------------

    def showtimes(
        self, theater: Theater, screens: dict[str, Screen], movies: list[Movie], now: datetime
    ) -> int:
        """The grid from DAYS_BACK days ago through DAYS_AHEAD days ahead, theater-local."""
        zone = ZoneInfo(theater.timezone)
        today = now.astimezone(zone).date()
        created = 0
        for day in (today + timedelta(days=n) for n in range(-DAYS_BACK, DAYS_AHEAD + 1)):
            for screen_index, (name, starts) in enumerate(SLOTS.items()):
                for slot_index, start in enumerate(starts):
                    # The same movie for the same day and slot on every run.
                    movie = movies[(day.toordinal() + slot_index * 3 + screen_index) % len(movies)]
                    starts_at = datetime.combine(day, start, tzinfo=zone)
                    if self.schedule(screens[name], movie, starts_at, slot_price(start), now):
                        created += 1
        return created

    def schedule(
        self, screen: Screen, movie: Movie, starts_at: datetime, price: Decimal, now: datetime
    ) -> Showtime | None:
        """A showtime unless the screen is busy then; one in the past is written directly."""
        ends_at = showtime_ends_at(movie=movie, starts_at=starts_at)
        if showtime_overlapping(screen_id=screen.pk, starts_at=starts_at, ends_at=ends_at):
            return None
        local = to_local(starts_at, screen.theater.timezone).time()
        extras = {
            "format": SLOT_FORMATS.get((screen.name, local), "2d"),
            "language_version": SLOT_LANGUAGES.get((screen.name, local), "original"),
        }
        # The clock, not the run's start: a slot that began while the seed ran is in the past.
        if starts_at > max(now, timezone.now()) + timedelta(seconds=1):
            card = getattr(self, "card", None) if screen.name == CARD_SCREEN else None
            return showtime_schedule(
                movie=movie,
                screen=screen,
                starts_at=starts_at,
                base_price=price,
                currency="EUR",
                price_card=card,
                **extras,
            )
        return Showtime.objects.create(
            **extras,
            movie=movie,
            screen=screen,
            starts_at=starts_at,
            ends_at=ends_at,
            base_price=price,
            currency="EUR",
            status=ShowtimeStatus.SCHEDULED,
        )

    def show_starting_soon(
        self, theater: Theater, screens: dict[str, Screen], movies: list[Movie], now: datetime
    ) -> tuple[Showtime | None, bool]:
        """A show starting 15 to 45 minutes from now (the one found, or a new one): bookable,
        and staff may check it in (doors open an hour before), whatever the time of day."""
        upcoming = (
            Showtime.objects.filter(
                screen__theater=theater,
                status=ShowtimeStatus.SCHEDULED,
                starts_at__gte=now + SOON_FROM,
                starts_at__lte=now + SOON_UNTIL,
            )
            .select_related("movie", "screen")
            .order_by("starts_at")
            .first()
        )
        if upcoming is not None:
            return upcoming, False
        shortest = min(movies, key=lambda movie: movie.duration_minutes)
        lead = SOON_LEAD + (-(now.minute + SOON_LEAD) % 5)  # a round start, 20-24 minutes on
        first = (now + timedelta(minutes=lead)).replace(second=0, microsecond=0)
        for step in range(0, int((SOON_UNTIL - SOON_FROM).total_seconds() // 60), 5):
            starts_at = first + timedelta(minutes=step)
            if starts_at > now + SOON_UNTIL:
                break
            for name in ("Studio", "Screen 2", "Screen 1"):
                local = to_local(starts_at, theater.timezone).time()
                showtime = self.schedule(screens[name], shortest, starts_at, slot_price(local), now)
                if showtime is not None:
                    return showtime, True
        return None, False

    # --- Sales of the shows that have started -----------------------------------------------

    def sell_past_shows(
        self, theater: Theater, buyers: list[User], staff: User, now: datetime
    ) -> int:
        """Bookings of every show that has started and has no demo sales yet: planned per
        show, then written with a few bulk INSERTs."""
        showtimes = (
            Showtime.objects.filter(
                screen__theater=theater, status=ShowtimeStatus.SCHEDULED, starts_at__lte=now
            )
            .exclude(bookings__user__in=buyers)
            .select_related("movie", "screen__theater")
            .order_by("starts_at")
        )
        sales = [sale for showtime in showtimes for sale in self.plan(showtime, buyers, staff)]
        if not sales:
            return 0
        Booking.objects.bulk_create([sale.booking for sale in sales])
        # Not every database hands back the new keys: read them by the public ids.
        keys = dict(
            Booking.objects.filter(
                public_id__in=[sale.booking.public_id for sale in sales]
            ).values_list("public_id", "pk")
        )
        for sale in sales:
            sale.booking.pk = keys[sale.booking.public_id]
            for row in (sale.payment, *sale.tickets, *sale.events):
                row.booking = sale.booking
        Payment.objects.bulk_create([sale.payment for sale in sales])
        refunded = [sale.payment for sale in sales if sale.refunded]
        keys = dict(
            Payment.objects.filter(
                provider_reference__in=[payment.provider_reference for payment in refunded]
            ).values_list("provider_reference", "pk")
        )
        Refund.objects.bulk_create(
            Refund(
                payment_id=keys[payment.provider_reference],
                amount=payment.amount,
                currency=payment.currency,
                status=RefundStatus.SUCCEEDED,
                reason="booking cancelled",
                reason_code=RefundReason.CUSTOMER_CANCELLED,
                attempts=1,
            )
            for payment in refunded
        )
        Ticket.objects.bulk_create([ticket for sale in sales for ticket in sale.tickets])
        BookingEvent.objects.bulk_create([event for sale in sales for event in sale.events])
        # Sold two days before the show, not today (auto_now_add wrote today); the dashboard
        # counts a ticket sold when its booking's `confirmed` event was written.
        for showtime in {sale.booking.showtime for sale in sales}:
            sold_at = showtime.starts_at - SOLD_BEFORE
            Booking.objects.filter(showtime=showtime, user__in=buyers).update(created_at=sold_at)
            BookingEvent.objects.filter(
                booking__showtime=showtime, booking__user__in=buyers
            ).update(created_at=sold_at)
            Payment.objects.filter(booking__showtime=showtime, booking__user__in=buyers).update(
                created_at=sold_at
            )
        return len(sales)

    def plan(self, showtime: Showtime, buyers: list[User], staff: User) -> list[Sale]:
        """A few confirmed bookings of adjacent seats (one in ten refunded), most tickets
        checked in; the same on every database for the same slot."""
        # Plausible numbers, not secrets: a seeded generator makes every run and database agree.
        rng = random.Random(f"{showtime.starts_at.isoformat()}|{showtime.screen.name}")  # noqa: S311
        layout = screen_layout(showtime.screen_id)
        prices = showtime_price_table(showtime)
        tier_of = {seat.id: seat.tier for seat in layout}
        taken: set[int] = set()
        sales = []
        for _ in range(rng.randint(4, 9)):
            groups = best_available_seats(
                layout=layout, taken=taken, quantity=rng.choice([1, 2, 2, 2, 3, 4]), limit=8
            )
            if not groups:
                break
            seat_ids = rng.choice(groups)
            taken.update(seat_ids)
            refunded = rng.random() < 0.1
            buyer = rng.choice(buyers)
            booking = Booking(
                user=buyer,
                showtime=showtime,
                status=BookingStatus.REFUNDED if refunded else BookingStatus.CONFIRMED,
                expires_at=showtime.starts_at - SOLD_BEFORE + timedelta(minutes=10),
                total=sum((prices[tier_of[seat_id]] for seat_id in seat_ids), Decimal("0.00")),
                currency=showtime.currency,
            )
            payment = Payment(
                booking=booking,
                provider=Provider.SIMULATED,
                provider_reference=f"{DEMO_PAYMENT_PREFIX}{booking.public_id}",
                amount=booking.total,
                currency=booking.currency,
                status=PaymentStatus.REFUNDED if refunded else PaymentStatus.SUCCEEDED,
            )
            history = [BookingStatus.PENDING, BookingStatus.CONFIRMED]
            if refunded:
                history += [BookingStatus.CANCELLED, BookingStatus.REFUNDED]
            events = [
                BookingEvent(
                    booking=booking, from_status=before, to_status=after, actor=buyer, reason="demo"
                )
                for before, after in zip(["", *history], history, strict=False)
            ]
            tickets = []
            for seat_id in seat_ids:
                admitted = not refunded and rng.random() < 0.8
                tickets.append(
                    Ticket(
                        booking=booking,
                        showtime=showtime,
                        seat_id=seat_id,
                        price=prices[tier_of[seat_id]],
                        status=TicketStatus.REFUNDED if refunded else TicketStatus.SOLD,
                        checked_in_at=showtime.starts_at - timedelta(minutes=rng.randint(2, 40))
                        if admitted
                        else None,
                        checked_in_by=staff if admitted else None,
                    )
                )
            sales.append(Sale(booking, payment, refunded, tickets, events))
        return sales
