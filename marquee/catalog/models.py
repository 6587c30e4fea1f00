from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from marquee.common.constraints import ConditionalUniqueConstraint
from marquee.common.time import to_local


class Genre(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgeRating(models.TextChoices):
    G = "G", "G"
    PG = "PG", "PG"
    PG13 = "PG-13", "PG-13"
    R = "R", "R"
    NC17 = "NC-17", "NC-17"
    NR = "NR", "Not rated"


class Movie(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    release_date = models.DateField(null=True, blank=True)
    genres = models.ManyToManyField(Genre, related_name="movies", blank=True)
    age_rating = models.CharField(max_length=8, choices=AgeRating.choices, default=AgeRating.NR)
    language = models.CharField(max_length=40, blank=True)
    poster = models.ImageField(upload_to="posters/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1) & Q(duration_minutes__lte=600),
                name="movie_duration_range",
            )
        ]

    def __str__(self) -> str:
        return self.title


def default_currency() -> str:
    """The currency of a new showtime when none is given (settings.DEFAULT_CURRENCY)."""
    return settings.DEFAULT_CURRENCY


class SurchargeKind(models.TextChoices):
    PERCENT = "percent", "Percent of the base price"
    AMOUNT = "amount", "Amount in the surcharge currency"


ACCESSIBLE_RELEASE_MAX_MINUTES = 7 * 24 * 60  # a week: longer is no longer "before the show"


class Theater(models.Model):
    """A cinema building; its timezone and pricing rules apply to all of its screens."""

    name = models.CharField(max_length=120, unique=True)
    address = models.CharField(max_length=300, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # Pricing rules (see marquee/booking/pricing.py): a surcharge per seat tier, either a
    # percentage of the base price or an amount in `surcharge_currency` (then every showtime
    # of the theater is in that currency), and a discount for shows starting before
    # `morning_until_hour` local time.
    surcharge_kind = models.CharField(
        max_length=8, choices=SurchargeKind.choices, default=SurchargeKind.PERCENT
    )
    surcharge_currency = models.CharField(
        max_length=3,
        blank=True,
        help_text="ISO 4217 code the surcharges are stated in; only for amount surcharges.",
    )
    premium_surcharge = models.DecimalField(
        max_digits=9,
        decimal_places=3,
        default=Decimal("20"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    vip_surcharge = models.DecimalField(
        max_digits=9,
        decimal_places=3,
        default=Decimal("50"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    morning_discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("20"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    morning_until_hour = models.PositiveSmallIntegerField(
        default=12, validators=[MaxValueValidator(24)]
    )
    # Wheelchair spaces and companion seats are kept for wheelchair users until this many
    # minutes before a show (marquee/booking/accessibility.py); empty: the site's setting.
    accessible_release_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(ACCESSIBLE_RELEASE_MAX_MINUTES)],
        help_text="Minutes before a show when wheelchair spaces and companion seats go on "
        "general sale (0: never before the show); empty: BOOKING_ACCESSIBLE_RELEASE_MINUTES.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            # An amount is meaningless without its currency; a percentage has none.
            models.CheckConstraint(
                condition=(
                    Q(surcharge_kind=SurchargeKind.PERCENT, surcharge_currency="")
                    | (Q(surcharge_kind=SurchargeKind.AMOUNT) & ~Q(surcharge_currency=""))
                ),
                name="theater_surcharge_currency_for_amounts",
            ),
            models.CheckConstraint(
                condition=Q(premium_surcharge__gte=0) & Q(vip_surcharge__gte=0),
                name="theater_surcharges_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(accessible_release_minutes__isnull=True)
                | Q(
                    accessible_release_minutes__gte=0,
                    accessible_release_minutes__lte=ACCESSIBLE_RELEASE_MAX_MINUTES,
                ),
                name="theater_accessible_release_within_a_week",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WeekdayPriceRule(models.Model):
    """A percentage added (or, negative, taken off) on one weekday at one theater."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    theater = models.ForeignKey(Theater, on_delete=models.CASCADE, related_name="weekday_rules")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    adjustment_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("-100")), MaxValueValidator(Decimal("200"))],
    )

    class Meta:
        ordering = ["theater", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["theater", "weekday"], name="weekday_rule_unique"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weekday_rule_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.theater} {self.get_weekday_display()} {self.adjustment_percent:+}%"


class Screen(models.Model):
    theater = models.ForeignKey(Theater, on_delete=models.PROTECT, related_name="screens")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["theater", "name"]
        constraints = [
            models.UniqueConstraint(fields=["theater", "name"], name="screen_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.theater} / {self.name}"


class SeatTier(models.TextChoices):
    STANDARD = "standard", "Standard"
    PREMIUM = "premium", "Premium"
    VIP = "vip", "VIP"


class SeatKind(models.TextChoices):
    REGULAR = "regular", "Regular"
    WHEELCHAIR = "wheelchair", "Wheelchair space"
    COMPANION = "companion", "Companion seat"


class Seat(models.Model):
    """One place in a screen; x/y draw the map, and an aisle is a gap in x within a row."""

    screen = models.ForeignKey(Screen, on_delete=models.CASCADE, related_name="seats")
    row_label = models.CharField(max_length=4)
    number = models.PositiveSmallIntegerField()
    tier = models.CharField(max_length=16, choices=SeatTier.choices, default=SeatTier.STANDARD)
    kind = models.CharField(max_length=16, choices=SeatKind.choices, default=SeatKind.REGULAR)
    x = models.PositiveSmallIntegerField()
    y = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["screen", "y", "x"]
        constraints = [
            models.UniqueConstraint(
                fields=["screen", "row_label", "number"], name="seat_unique_per_screen"
            ),
            models.UniqueConstraint(fields=["screen", "x", "y"], name="seat_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.row_label}{self.number}"


class ShowtimeFormat(models.TextChoices):
    TWO_D = "2d", "2D"
    THREE_D = "3d", "3D"
    IMAX = "imax", "IMAX"
    IMAX_3D = "imax_3d", "IMAX 3D"
    DOLBY_ATMOS = "dolby_atmos", "Dolby Atmos"
    DOLBY_CINEMA = "dolby_cinema", "Dolby Cinema"
    FOUR_DX = "4dx", "4DX"


class LanguageVersion(models.TextChoices):
    ORIGINAL = "original", _("Original version")
    DUBBED = "dubbed", _("Dubbed")
    SUBTITLED = "subtitled", _("Original with subtitles")


class ShowtimeStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", pgettext_lazy("showtime", "Cancelled")


class Showtime(models.Model):
    """A screening. Scheduled showtimes on one screen never overlap (cleaning included)."""

    movie = models.ForeignKey(Movie, on_delete=models.PROTECT, related_name="showtimes")
    screen = models.ForeignKey(Screen, on_delete=models.PROTECT, related_name="showtimes")
    starts_at = models.DateTimeField(db_index=True)
    # When the screen is free again: the film plus the cleaning buffer. Scheduling (the
    # overlap check, the exclusion constraint) uses it; the API calls it `screen_free_at`
    # and shows customers the film's own end (`film_ends_at`) as `ends_at`.
    ends_at = models.DateTimeField()
    # In `currency`'s own units (ISO 4217 minor units: 1500 JPY, 12.50 EUR, 3.250 KWD).
    base_price = models.DecimalField(
        max_digits=9, decimal_places=3, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default=default_currency)
    status = models.CharField(
        max_length=16, choices=ShowtimeStatus.choices, default=ShowtimeStatus.SCHEDULED
    )
    format = models.CharField(
        max_length=16,
        choices=ShowtimeFormat.choices,
        default=ShowtimeFormat.TWO_D,
        db_default=ShowtimeFormat.TWO_D,
    )
    language_version = models.CharField(
        max_length=16,
        choices=LanguageVersion.choices,
        default=LanguageVersion.ORIGINAL,
        db_default=LanguageVersion.ORIGINAL,
    )
    # Sold from this card's prices per ticket type and tier; without one, the default ticket
    # type only, at the base price and the theater's tier surcharges.
    price_card = models.ForeignKey(
        "PriceCard", null=True, blank=True, on_delete=models.PROTECT, related_name="showtimes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["screen", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="showtime_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(base_price__gte=0), name="showtime_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        zone = self.screen.theater.timezone  # the theater's clock, as on the tickets
        return (
            f"{self.movie} @ {self.screen} {to_local(self.starts_at, zone):%Y-%m-%d %H:%M} ({zone})"
        )

    @property
    def film_ends_at(self) -> datetime:
        """When the film itself ends (needs the movie): what a customer plans around."""
        return self.starts_at + timedelta(minutes=self.movie.duration_minutes)

    @property
    def is_scheduled(self) -> bool:
        return self.status == ShowtimeStatus.SCHEDULED


# The ticket type a seat id alone means (a hold that names no type, every ticket sold before
# ticket types existed). The data migration creates it with child, senior and student.
DEFAULT_TICKET_TYPE = "adult"


class TicketType(models.Model):
    """Who a ticket is for (adult, child, ...): the defaults are for every theater (no
    theater); a theater may add its own. Prices come from the showtime's price card."""

    theater = models.ForeignKey(
        Theater,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ticket_types",
        help_text="Empty: offered by every theater.",
    )
    code = models.SlugField(max_length=32)
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the seat map.")

    class Meta:
        ordering = ["position", "code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["theater", "code"], name="ticket_type_code_unique"),
            ConditionalUniqueConstraint(
                fields=["code"],
                condition=Q(theater__isnull=True),
                name="ticket_type_global_code_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name if self.theater_id is None else f"{self.name} ({self.theater})"


class PriceCard(models.Model):
    """A theater's prices per ticket type and seat tier, in one currency; a showtime that
    names it is sold from it (the theater's time-of-day and weekday rules still apply)."""

    theater = models.ForeignKey(Theater, on_delete=models.CASCADE, related_name="price_cards")
    name = models.CharField(max_length=80)
    currency = models.CharField(max_length=3, default=default_currency)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["theater", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["theater", "name"], name="price_card_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.theater} / {self.name} ({self.currency})"


class PriceCardEntry(models.Model):
    """One price on a card: a ticket type in a seat tier. A missing entry: not sold there."""

    price_card = models.ForeignKey(PriceCard, on_delete=models.CASCADE, related_name="entries")
    ticket_type = models.ForeignKey(TicketType, on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(max_length=16, choices=SeatTier.choices)
    # In the card's currency, a whole number of its minor units.
    price = models.DecimalField(
        max_digits=9, decimal_places=3, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        ordering = ["price_card", "ticket_type__position", "tier", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_card", "ticket_type", "tier"], name="price_card_entry_unique"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_card_entry_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_type.code}/{self.tier}: {self.price}"


class PriceCardFormatSurcharge(models.Model):
    """An amount a card adds to every ticket of a showtime in this format (3D glasses, IMAX),
    in the card's currency, before the time-of-day and weekday rules."""

    price_card = models.ForeignKey(
        PriceCard, on_delete=models.CASCADE, related_name="format_surcharges"
    )
    format = models.CharField(max_length=16, choices=ShowtimeFormat.choices)
    amount = models.DecimalField(
        max_digits=9, decimal_places=3, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        ordering = ["price_card", "format"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_card", "format"], name="price_card_format_surcharge_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="price_card_format_surcharge_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.price_card} {self.get_format_display()} +{self.amount}"
