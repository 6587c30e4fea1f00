"""Catalog writes: movies, theaters, screens, seat generation and the scheduling rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone

from marquee.catalog import hooks
from marquee.catalog.cache import catalog_changed
from marquee.catalog.error_codes import CatalogErrorCode
from marquee.catalog.layout import screen_layout_invalidate
from marquee.catalog.models import (
    DEFAULT_TICKET_TYPE,
    Genre,
    LanguageVersion,
    Movie,
    PriceCard,
    PriceCardEntry,
    PriceCardFormatSurcharge,
    Screen,
    Seat,
    Showtime,
    ShowtimeFormat,
    ShowtimeStatus,
    SurchargeKind,
    Theater,
    TicketType,
)
from marquee.catalog.posters import poster_prepare
from marquee.catalog.seat_generation import plan_seats
from marquee.catalog.selectors import showtime_get, showtime_overlapping
from marquee.catalog.signals import showtime_cancelled
from marquee.common.db_errors import is_deadlock
from marquee.common.errors import DomainError, field_errors
from marquee.common.money import currency_exponent, fits_currency, is_currency
from marquee.common.time import api_datetime, is_valid_timezone

if TYPE_CHECKING:
    from marquee.accounts.models import User

SHOWTIME_OVERLAP_CONSTRAINT = "showtime_no_overlap"
SCHEDULING_HORIZON = timedelta(days=2 * 365)
MAX_SURCHARGE_PERCENT = Decimal("1000")
PERCENT_STEP = Decimal("0.01")
UNSET: Any = object()


# --- Money ----------------------------------------------------------------------------------


def currency_check(code: str, *, field: str = "currency") -> str:
    """An upper-case ISO 4217 code with at most three decimals (marquee/common/money.py)."""
    if not is_currency(code):
        message = f"'{code}' is not an ISO 4217 currency code such as 'EUR' or 'JPY'."
        refusal = CatalogErrorCode.INVALID_CURRENCY
        raise DomainError(message, code=refusal, details=field_errors(field, message, code=refusal))
    return code


def amount_check(amount: Decimal, currency: str, *, field: str) -> None:
    """An amount is a whole number of its currency's minor units: 1500 JPY, never 1500.5."""
    if not fits_currency(amount, currency):
        places = currency_exponent(currency)
        message = (
            f"{currency} amounts have no decimals."
            if places == 0
            else f"{currency} amounts have at most {places} decimals."
        )
        refusal = CatalogErrorCode.TOO_MANY_DECIMALS
        raise DomainError(message, code=refusal, details=field_errors(field, message, code=refusal))


def _invalid_surcharge(field: str, message: str) -> DomainError:
    refusal = CatalogErrorCode.INVALID_SURCHARGE
    return DomainError(message, code=refusal, details=field_errors(field, message, code=refusal))


def _surcharge_mismatch(
    *, theater: Theater, currencies: Iterable[str], showtimes: Iterable[int] = ()
) -> DomainError:
    details: dict[str, Any] = {
        "theater": theater.pk,
        "surcharge_currency": theater.surcharge_currency,
        "currencies": sorted(set(currencies)),
    }
    if showtimes:
        details["showtimes"] = list(showtimes)
    return DomainError(
        f"The surcharges of {theater.name} are amounts in {theater.surcharge_currency}; its "
        f"showtimes must be priced in {theater.surcharge_currency} too (or make the "
        "surcharges percentages).",
        code=CatalogErrorCode.SURCHARGE_CURRENCY_MISMATCH,
        details=details,
    )


def _check_upcoming_currencies(*, theater: Theater, **showtimes: Any) -> None:
    """The upcoming showtimes matching `showtimes` are priced in the theater's amount
    surcharges' currency (nothing to check for percentages)."""
    if theater.surcharge_kind != SurchargeKind.AMOUNT:
        return
    others = list(
        Showtime.objects.filter(
            status=ShowtimeStatus.SCHEDULED, starts_at__gt=timezone.now(), **showtimes
        )
        .exclude(currency=theater.surcharge_currency)
        .order_by("starts_at", "id")
        .values_list("id", "currency")[:50]
    )
    if others:
        raise _surcharge_mismatch(
            theater=theater,
            currencies=[currency for _, currency in others],
            showtimes=[pk for pk, _ in others],
        )


def showtime_currency_check(*, theater: Theater, currency: str) -> None:
    """A showtime is priced in the currency its theater's amount surcharges are stated in."""
    if theater.surcharge_kind == SurchargeKind.AMOUNT and theater.surcharge_currency != currency:
        raise _surcharge_mismatch(theater=theater, currencies=[currency])


def theater_surcharges_check(*, theater: Theater) -> None:
    """The surcharges as they would be saved: percentages (0-1000, two decimals, no currency),
    or amounts in a stated currency's own units that every upcoming showtime is priced in."""
    values = {
        "premium_surcharge": theater.premium_surcharge,
        "vip_surcharge": theater.vip_surcharge,
    }
    if theater.surcharge_kind == SurchargeKind.PERCENT:
        if theater.surcharge_currency:
            raise _invalid_surcharge(
                "surcharge_currency", "Percentage surcharges have no currency; leave it empty."
            )
        for field, value in values.items():
            if value > MAX_SURCHARGE_PERCENT or value != value.quantize(PERCENT_STEP):
                raise _invalid_surcharge(
                    field, "A percentage from 0 to 1000 with at most two decimals."
                )
        return
    if not theater.surcharge_currency:
        raise _invalid_surcharge(
            "surcharge_currency", "Amount surcharges need the currency they are stated in."
        )
    currency_check(theater.surcharge_currency, field="surcharge_currency")
    for field, value in values.items():
        amount_check(value, theater.surcharge_currency, field=field)
    if theater.pk is not None:
        _check_upcoming_currencies(theater=theater, screen__theater_id=theater.pk)


# --- Genres and movies ----------------------------------------------------------------------


def genre_create(*, name: str, slug: str) -> Genre:
    return Genre.objects.create(name=name, slug=slug)


def movie_create(
    *,
    title: str,
    duration_minutes: int,
    description: str = "",
    release_date=None,
    age_rating: str | None = None,
    language: str = "",
    genres: Iterable[Genre] = (),
    poster: UploadedFile | None = None,
) -> Movie:
    """A movie; a poster must be a real JPEG/PNG/WebP image within POSTER_MAX_BYTES."""
    movie = Movie(
        title=title,
        duration_minutes=duration_minutes,
        description=description,
        release_date=release_date,
        language=language,
    )
    if age_rating:
        movie.age_rating = age_rating
    if poster is not None:
        movie.poster = poster_prepare(poster)
    with transaction.atomic():
        movie.save()
        movie.genres.set(genres)
    return movie


def _delete_file_after_commit(field_file) -> None:
    """Remove a replaced poster from storage once the row no longer points at it."""
    name, storage = field_file.name, field_file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def movie_update(*, movie: Movie, **changes: Any) -> Movie:
    """Apply the given fields; `genres` replaces the set, `poster=None` removes the poster.

    A new duration moves the end of the movie's upcoming showtimes (`movie_showtimes_refit`);
    if one would then overlap another showtime, nothing is changed (409 showtime_overlap).
    """
    genres = changes.pop("genres", UNSET)
    old_duration = movie.duration_minutes
    with transaction.atomic():
        if "poster" in changes:
            poster = changes.pop("poster")
            _delete_file_after_commit(movie.poster)
            movie.poster = poster_prepare(poster) if poster is not None else None
        for field, value in changes.items():
            setattr(movie, field, value)
        movie.save()
        if genres is not UNSET:
            movie.genres.set(genres)
        if movie.duration_minutes != old_duration:
            movie_showtimes_refit(movie=movie)
    return movie


def _occupied_until(starts_at: datetime, duration_minutes: int) -> datetime:
    """A showtime occupies its screen for the movie plus the cleaning buffer."""
    return starts_at + timedelta(minutes=duration_minutes + settings.SHOWTIME_CLEANING_MINUTES)


def _showtimes_to_refit(movie: Movie):
    return Showtime.objects.filter(
        movie=movie, status=ShowtimeStatus.SCHEDULED, starts_at__gt=timezone.now()
    ).order_by("starts_at")


def _overlapping_other(showtime: Showtime, ends_at: datetime) -> Showtime | None:
    """The first other scheduled showtime on its screen that [starts_at, ends_at) would meet."""
    return showtime_overlapping(
        screen_id=showtime.screen_id,
        starts_at=showtime.starts_at,
        ends_at=ends_at,
        exclude_id=showtime.pk,
    )


def movie_duration_conflict(*, movie: Movie, duration_minutes: int) -> Showtime | None:
    """The first showtime another showtime of this movie would overlap at that duration (for
    a form to say so before saving), or None."""
    for showtime in _showtimes_to_refit(movie):
        ends_at = _occupied_until(showtime.starts_at, duration_minutes)
        conflicting = _overlapping_other(showtime, ends_at)
        if conflicting is not None:
            return conflicting
    return None


def movie_showtimes_refit(*, movie: Movie) -> int:
    """Move the end of every scheduled showtime of the movie that has not started to its
    current duration plus the cleaning buffer (started and past ones keep their record).

    A longer film may run into the next showtime on the screen: that refuses the whole change
    with 409 showtime_overlap naming it (the caller's transaction rolls back).
    """
    with transaction.atomic():
        screens_schedule_lock(
            _showtimes_to_refit(movie).values_list("screen_id", flat=True).distinct()
        )
        showtimes = list(_showtimes_to_refit(movie).select_for_update())
        for showtime in showtimes:
            showtime.ends_at = _occupied_until(showtime.starts_at, movie.duration_minutes)
            conflicting = _overlapping_other(showtime, showtime.ends_at)
            if conflicting is not None:
                raise overlap_error(conflicting)
            _save_checked(showtime, update_fields=["ends_at"])
    return len(showtimes)


def movie_delete(*, movie: Movie) -> None:
    """A movie that was ever scheduled stays (its showtimes and tickets refer to it)."""
    try:
        with transaction.atomic():
            _delete_file_after_commit(movie.poster)
            movie.delete()
    except (ProtectedError, RestrictedError):
        raise DomainError(
            "The movie has showtimes; cancel them instead of deleting the movie.",
            code=CatalogErrorCode.MOVIE_IN_USE,
        ) from None


# --- Theaters and screens -------------------------------------------------------------------


def _check_timezone(name: str) -> None:
    if not is_valid_timezone(name):
        message = f"'{name}' is not an IANA timezone such as 'Europe/Berlin'."
        refusal = CatalogErrorCode.INVALID_TIMEZONE
        raise DomainError(
            message, code=refusal, details=field_errors("timezone", message, code=refusal)
        )


def theater_create(*, name: str, timezone: str = "UTC", **fields: Any) -> Theater:
    """A theater; its timezone must be an IANA name (local days and prices depend on it), its
    surcharges percentages or amounts in a stated currency (`theater_surcharges_check`)."""
    _check_timezone(timezone)
    theater = Theater(name=name, timezone=timezone, **fields)
    theater_surcharges_check(theater=theater)
    theater.save()
    return theater


def theater_update(*, theater: Theater, **changes: Any) -> Theater:
    """Switching the surcharges to percentages drops their currency unless one is given."""
    if "timezone" in changes:
        _check_timezone(changes["timezone"])
    if changes.get("surcharge_kind") == SurchargeKind.PERCENT:
        changes.setdefault("surcharge_currency", "")
    for field, value in changes.items():
        setattr(theater, field, value)
    theater_surcharges_check(theater=theater)
    theater.save()
    return theater


def theater_delete(*, theater: Theater) -> None:
    try:
        theater.delete()
    except (ProtectedError, RestrictedError):
        raise DomainError(
            "The theater still has screens.", code=CatalogErrorCode.THEATER_IN_USE
        ) from None


def screen_create(*, theater: Theater, name: str) -> Screen:
    return Screen.objects.create(theater=theater, name=name)


def screen_update(*, screen: Screen, **changes: Any) -> Screen:
    """Moving a screen to another theater keeps its upcoming showtimes' prices in the
    currency of that theater's amount surcharges (409 surcharge_currency_mismatch)."""
    theater = changes.get("theater")
    if theater is not None and theater.pk != screen.theater_id:
        _check_upcoming_currencies(theater=theater, screen_id=screen.pk)
    for field, value in changes.items():
        setattr(screen, field, value)
    screen.save()
    return screen


def screen_delete(*, screen: Screen) -> None:
    """A screen that has showtimes (or sold seats) stays."""
    try:
        with transaction.atomic():
            screen.delete()
    except (ProtectedError, RestrictedError):
        raise DomainError(
            "The screen has showtimes; it cannot be deleted.", code=CatalogErrorCode.SCREEN_IN_USE
        ) from None


# --- Seats ----------------------------------------------------------------------------------


def _seats_in_use() -> DomainError:
    return DomainError(
        "Seats of this screen have tickets; they cannot be regenerated.",
        code=CatalogErrorCode.SEATS_IN_USE,
    )


def seats_generate(
    *,
    screen: Screen,
    rows: int,
    per_row: int,
    aisles_after: Iterable[int] = (),
    premium_rows: str | Sequence[str] | None = None,
    vip_rows: str | Sequence[str] | None = None,
    wheelchair: Iterable[str] | str | None = None,
    companion: Iterable[str] | str | None = None,
) -> list[Seat]:
    """Replace the screen's seats with a generated grid, unless any seat has a ticket.

    The booking app's Ticket.seat is on_delete=PROTECT, so the database itself refuses to drop
    a seat that was ever sold or held; the catalog only translates that into 409 seats_in_use.
    """
    planned = plan_seats(
        rows=rows,
        per_row=per_row,
        aisles_after=aisles_after,
        premium_rows=premium_rows,
        vip_rows=vip_rows,
        wheelchair=wheelchair,
        companion=companion,
    )
    try:
        with transaction.atomic():
            # Two admins regenerating one screen at once take turns.
            Screen.objects.select_for_update().filter(pk=screen.pk).first()
            Seat.objects.filter(screen=screen).delete()
            seats = Seat.objects.bulk_create(
                [
                    Seat(
                        screen=screen,
                        row_label=p.row_label,
                        number=p.number,
                        tier=p.tier,
                        kind=p.kind,
                        x=p.x,
                        y=p.y,
                    )
                    for p in planned
                ]
            )
            screen_layout_invalidate(screen.pk)
            catalog_changed()  # bulk_create sends no signals
    except (ProtectedError, RestrictedError):
        raise _seats_in_use() from None
    except IntegrityError as error:
        # A ticket inserted after the PROTECT check: the deferred foreign key catches it.
        if "foreign key" not in str(error).lower():
            raise
        raise _seats_in_use() from None
    return seats


# --- Showtimes ------------------------------------------------------------------------------


def showtime_ends_at(*, movie: Movie, starts_at: datetime) -> datetime:
    """When a new or moved showtime frees its screen (at most two years ahead)."""
    if starts_at > timezone.now() + SCHEDULING_HORIZON:
        raise DomainError(
            "A showtime can be scheduled at most two years ahead.",
            code=CatalogErrorCode.SHOWTIME_TOO_FAR_AHEAD,
            details=field_errors(
                "starts_at",
                "Must be within two years from now.",
                code=CatalogErrorCode.SHOWTIME_TOO_FAR_AHEAD,
            ),
        )
    return _occupied_until(starts_at, movie.duration_minutes)


def overlap_error(conflicting: Showtime | None) -> DomainError:
    details = {}
    if conflicting is not None:
        details = {
            "conflicting_showtime": conflicting.pk,
            "starts_at": api_datetime(conflicting.starts_at),
            "ends_at": api_datetime(conflicting.film_ends_at),
            "screen_free_at": api_datetime(conflicting.ends_at),
        }
    return DomainError(
        "Another showtime on this screen overlaps this one (cleaning time included).",
        code=CatalogErrorCode.SHOWTIME_OVERLAP,
        details=details,
    )


def showtime_check_slot(
    *,
    screen: Screen,
    starts_at: datetime,
    ends_at: datetime,
    exclude_id: int | None = None,
    check_past: bool = True,
) -> None:
    """The friendly checks before scheduling: in the future, a screen with seats, no overlap."""
    if check_past and starts_at <= timezone.now():
        raise DomainError(
            "A showtime cannot start in the past.",
            code=CatalogErrorCode.SHOWTIME_IN_PAST,
            details=field_errors(
                "starts_at", "Must be in the future.", code=CatalogErrorCode.SHOWTIME_IN_PAST
            ),
        )
    if not Seat.objects.filter(screen_id=screen.pk).exists():
        raise DomainError(
            "The screen has no seats yet; generate them first.",
            code=CatalogErrorCode.SCREEN_HAS_NO_SEATS,
        )
    conflicting = showtime_overlapping(
        screen_id=screen.pk, starts_at=starts_at, ends_at=ends_at, exclude_id=exclude_id
    )
    if conflicting is not None:
        raise overlap_error(conflicting)


def is_overlap_violation(error: IntegrityError) -> bool:
    """Whether the PostgreSQL exclusion constraint refused an overlapping showtime."""
    diag = getattr(error.__cause__, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    return constraint == SHOWTIME_OVERLAP_CONSTRAINT or SHOWTIME_OVERLAP_CONSTRAINT in str(error)


def screens_schedule_lock(screen_ids: Iterable[int]) -> None:
    """Serialize scheduling per screen: lock the screens' rows, in id order, for the rest of
    the transaction, so that the overlap check and the write after it run one at a time.

    This is the guarantee on MySQL and MariaDB (no exclusion constraints there) and on SQLite
    (which serializes every writer anyway); on PostgreSQL the exclusion constraint still
    refuses whatever another path might write. Lock screens before showtimes, always.
    """
    ids = sorted(set(screen_ids))
    if ids:
        list(Screen.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))


def _save_checked(showtime: Showtime, **save_kwargs: Any) -> None:
    """Save; on PostgreSQL the exclusion constraint settles races the Python check missed.

    Two overlapping showtimes written at once by a path that skipped the screen lock wait for
    each other through the constraint; PostgreSQL aborts one with a deadlock: the same 409."""
    try:
        with transaction.atomic():
            showtime.save(**save_kwargs)
    except (IntegrityError, OperationalError) as error:
        if isinstance(error, IntegrityError) and not is_overlap_violation(error):
            raise
        if isinstance(error, OperationalError) and not is_deadlock(error):
            raise
        raise overlap_error(_overlapping_other(showtime, showtime.ends_at)) from None


def showtime_schedule(
    *,
    movie: Movie,
    screen: Screen,
    starts_at: datetime,
    base_price: Decimal,
    currency: str | None = None,
    price_card: PriceCard | None = None,
    format: str = ShowtimeFormat.TWO_D,
    language_version: str = LanguageVersion.ORIGINAL,
) -> Showtime:
    """Schedule a future showtime on a screen with seats, overlapping no scheduled one, priced
    in a known currency's own units and in the currency of the theater's amount surcharges
    (and of its price card, one of the screen's theater)."""
    currency = currency_check(currency or settings.DEFAULT_CURRENCY)
    amount_check(base_price, currency, field="base_price")
    if price_card is not None:
        price_card_check(price_card=price_card, theater_id=screen.theater_id, currency=currency)
    ends_at = showtime_ends_at(movie=movie, starts_at=starts_at)
    showtime_currency_check(theater=screen.theater, currency=currency)
    with transaction.atomic():
        screens_schedule_lock([screen.pk])
        showtime_check_slot(screen=screen, starts_at=starts_at, ends_at=ends_at)
        showtime = Showtime(
            movie=movie,
            screen=screen,
            starts_at=starts_at,
            ends_at=ends_at,
            base_price=base_price,
            currency=currency,
            status=ShowtimeStatus.SCHEDULED,
            price_card=price_card,
            format=format,
            language_version=language_version,
        )
        _save_checked(showtime)
    return showtime_get(showtime_id=showtime.pk)


@dataclass(frozen=True)
class _ShowtimeChange:
    """What an update asks of a locked showtime, worked out before anything is written."""

    fields: list[str]  # movie, screen, starts_at, currency: the ones that really change
    moved: bool  # a new film, screen or start: a new end, and maybe a new slot
    reinstated: bool  # cancelled, asked to be scheduled again
    was_scheduled: bool
    cancelling: bool

    @property
    def needs_slot_check(self) -> bool:
        return self.reinstated or (self.moved and self.was_scheduled and not self.cancelling)


def _showtime_locked(showtime_id: int, *, new_screen: Screen | None) -> Showtime:
    """The showtime's row, locked after its screens' rows (old and new): screens first."""
    screen_ids = list(Showtime.objects.filter(pk=showtime_id).values_list("screen_id", flat=True))
    if new_screen is not None:
        screen_ids.append(new_screen.pk)
    screens_schedule_lock(screen_ids)
    return (
        Showtime.objects.select_for_update()
        .select_related("movie", "screen__theater")
        .get(pk=showtime_id)
    )


def _showtime_change(
    locked: Showtime,
    *,
    movie: Movie | None,
    screen: Screen | None,
    starts_at: datetime | None,
    currency: str | None,
    status: str | None,
) -> _ShowtimeChange:
    changed = {
        "movie": movie is not None and movie.pk != locked.movie_id,
        "screen": screen is not None and screen.pk != locked.screen_id,
        "starts_at": starts_at is not None and starts_at != locked.starts_at,
        "currency": currency is not None and currency != locked.currency,
    }
    was_scheduled = locked.status == ShowtimeStatus.SCHEDULED
    return _ShowtimeChange(
        fields=[name for name, yes in changed.items() if yes],
        moved=changed["movie"] or changed["screen"] or changed["starts_at"],
        reinstated=status == ShowtimeStatus.SCHEDULED and not was_scheduled,
        was_scheduled=was_scheduled,
        cancelling=status == ShowtimeStatus.CANCELLED,
    )


def _check_showtime_price(
    locked: Showtime, *, theater: Theater, base_price: Decimal | None, currency: str | None
) -> None:
    """A new currency suits the theater's surcharges; the price fits the currency's units."""
    new_currency = locked.currency if currency is None else currency
    if new_currency != locked.currency or theater.pk != locked.screen.theater_id:
        showtime_currency_check(theater=theater, currency=new_currency)
    if base_price is not None or currency is not None:
        amount_check(
            locked.base_price if base_price is None else base_price,
            new_currency,
            field="base_price",
        )


def _apply_sales_terms(
    locked: Showtime,
    *,
    theater: Theater,
    price_card: PriceCard | None,
    format: str | None,
    language_version: str | None,
    currency: str | None,
) -> None:
    """A new price card, format or language version (a new format reprices the seats not yet
    held); the card, new or kept, must be the theater's and in the showtime's currency."""
    if price_card is not UNSET:
        locked.price_card = price_card
    if format is not None:
        locked.format = format
    if language_version is not None:
        locked.language_version = language_version
    moved_theater = theater.pk != locked.screen.theater_id
    if locked.price_card is not None and (
        price_card is not UNSET or currency is not None or moved_theater
    ):
        price_card_check(
            price_card=locked.price_card,
            theater_id=theater.pk,
            currency=locked.currency if currency is None else currency,
        )


def showtime_update(
    *,
    showtime: Showtime,
    movie: Movie | None = None,
    screen: Screen | None = None,
    starts_at: datetime | None = None,
    base_price: Decimal | None = None,
    currency: str | None = None,
    status: str | None = None,
    changed_by: User | None = None,
    price_card: PriceCard | None = UNSET,
    format: str | None = None,
    language_version: str | None = None,
) -> Showtime:
    """Change price or currency (each checked as when scheduling); moving or reinstating
    re-checks past and overlap; the registered checks (`marquee.catalog.hooks`: booking's
    "not once sold") may refuse a new film, screen, start or currency.

    Setting the status to cancelled goes through `showtime_cancel` (and its signal).
    """
    if currency is not None:
        currency_check(currency)
    with transaction.atomic():
        locked = _showtime_locked(showtime.pk, new_screen=screen)
        theater = (screen or locked.screen).theater
        _check_showtime_price(locked, theater=theater, base_price=base_price, currency=currency)
        change = _showtime_change(
            locked,
            movie=movie,
            screen=screen,
            starts_at=starts_at,
            currency=currency,
            status=status,
        )
        _apply_sales_terms(
            locked,
            theater=theater,
            price_card=price_card,
            format=format,
            language_version=language_version,
            currency=currency,
        )
        if change.fields:
            hooks.showtime_change_check(showtime=locked, fields=change.fields)
        for name, value in (
            ("movie", movie),
            ("screen", screen),
            ("starts_at", starts_at),
            ("base_price", base_price),
            ("currency", currency),
        ):
            if value is not None:
                setattr(locked, name, value)
        if change.moved:
            locked.ends_at = showtime_ends_at(movie=locked.movie, starts_at=locked.starts_at)
        if change.reinstated:
            locked.status = ShowtimeStatus.SCHEDULED
        if change.needs_slot_check:
            showtime_check_slot(
                screen=locked.screen,
                starts_at=locked.starts_at,
                ends_at=locked.ends_at,
                exclude_id=locked.pk,
                check_past=change.reinstated or starts_at is not None,
            )
        _save_checked(locked)
        if change.cancelling and change.was_scheduled:
            showtime_cancel(showtime=locked, cancelled_by=changed_by)
    return showtime_get(showtime_id=showtime.pk)


def showtime_cancel(*, showtime: Showtime, cancelled_by: User | None = None) -> Showtime:
    """Cancel a scheduled showtime; receivers of `showtime_cancelled` act in the same transaction.

    Cancelling an already cancelled showtime changes nothing and sends no signal.
    """
    with transaction.atomic():
        locked = Showtime.objects.select_for_update().get(pk=showtime.pk)
        if locked.status != ShowtimeStatus.CANCELLED:
            locked.status = ShowtimeStatus.CANCELLED
            locked.save(update_fields=["status"])
            showtime_cancelled.send(sender=Showtime, showtime=locked, cancelled_by=cancelled_by)
    return showtime_get(showtime_id=showtime.pk)


# --- Ticket types and price cards -----------------------------------------------------------


def ticket_type_create(
    *, code: str, name: str, theater: Theater | None = None, position: int = 0
) -> TicketType:
    """A ticket type for every theater (no theater) or one theater's own; a theater's code
    never repeats one of the shared types (a hold names types by code)."""
    clash = TicketType.objects.filter(code=code).filter(
        Q(theater__isnull=True) | Q(theater=theater) if theater is not None else Q()
    )
    if clash.exists():
        message = f"A ticket type '{code}' already exists here."
        refusal = CatalogErrorCode.TICKET_TYPE_EXISTS
        raise DomainError(
            message, code=refusal, details=field_errors("code", message, code=refusal)
        )
    ticket_type = TicketType.objects.create(
        code=code, name=name, theater=theater, position=position
    )
    return ticket_type


DEFAULT_TICKET_TYPES = [
    (DEFAULT_TICKET_TYPE, "Adult"),
    ("child", "Child"),
    ("senior", "Senior"),
    ("student", "Student"),
]


def ticket_types_default_create() -> None:
    """The shared ticket types, where missing (what migration catalog 0007 creates)."""
    for position, (code, name) in enumerate(DEFAULT_TICKET_TYPES):
        TicketType.objects.get_or_create(
            theater=None, code=code, defaults={"name": name, "position": position}
        )


def price_card_check(*, price_card: PriceCard, theater_id: int, currency: str) -> None:
    """A showtime is sold from a card of its own theater, in its own currency."""
    if price_card.theater_id != theater_id or price_card.currency != currency:
        message = (
            "A showtime's price card belongs to its theater and is in the showtime's currency "
            f"({currency})."
        )
        raise DomainError(
            message,
            code=CatalogErrorCode.PRICE_CARD_MISMATCH,
            details=field_errors("price_card", message, code=CatalogErrorCode.PRICE_CARD_MISMATCH),
        )


def _price_card_entries_write(*, price_card: PriceCard, entries: Sequence[dict[str, Any]]) -> None:
    """Replace the card's prices: each `{ticket_type: code, tier, price}` in the card's
    currency; the type is a shared one or the card's theater's own."""
    types = {
        t.code: t
        for t in TicketType.objects.filter(
            Q(theater__isnull=True) | Q(theater_id=price_card.theater_id)
        )
    }
    rows = []
    for index, entry in enumerate(entries):
        ticket_type = types.get(entry["ticket_type"])
        if ticket_type is None:
            message = f"No ticket type '{entry['ticket_type']}' at this theater."
            raise DomainError(
                message,
                code=CatalogErrorCode.TICKET_TYPE_UNKNOWN,
                details={
                    "entries": field_errors(
                        str(index), message, code=CatalogErrorCode.TICKET_TYPE_UNKNOWN
                    )
                },
            )
        amount_check(entry["price"], price_card.currency, field="entries")
        rows.append(
            PriceCardEntry(
                price_card=price_card,
                ticket_type=ticket_type,
                tier=entry["tier"],
                price=entry["price"],
            )
        )
    PriceCardEntry.objects.filter(price_card=price_card).delete()
    PriceCardEntry.objects.bulk_create(rows)
    catalog_changed()  # bulk writes send no signal: the showtimes' prices change


def _price_card_surcharges_write(
    *, price_card: PriceCard, format_surcharges: Sequence[dict[str, Any]]
) -> None:
    """Replace the card's format surcharges: each `{format, amount}` in the card's currency."""
    for entry in format_surcharges:
        amount_check(entry["amount"], price_card.currency, field="format_surcharges")
    PriceCardFormatSurcharge.objects.filter(price_card=price_card).delete()
    PriceCardFormatSurcharge.objects.bulk_create(
        PriceCardFormatSurcharge(price_card=price_card, format=e["format"], amount=e["amount"])
        for e in format_surcharges
    )
    catalog_changed()


def price_card_create(
    *,
    theater: Theater,
    name: str,
    currency: str | None = None,
    entries: Sequence[dict[str, Any]] = (),
    format_surcharges: Sequence[dict[str, Any]] = (),
) -> PriceCard:
    """A theater's price card with its prices (see `_price_card_entries_write`) and format
    surcharges."""
    currency = currency_check(currency or settings.DEFAULT_CURRENCY)
    with transaction.atomic():
        price_card = PriceCard.objects.create(theater=theater, name=name, currency=currency)
        _price_card_entries_write(price_card=price_card, entries=entries)
        _price_card_surcharges_write(price_card=price_card, format_surcharges=format_surcharges)
    return price_card


def price_card_update(
    *,
    price_card: PriceCard,
    name: str | None = None,
    entries: Sequence[dict] | None = None,
    format_surcharges: Sequence[dict] | None = None,
) -> PriceCard:
    """Rename a card or replace its prices or surcharges; tickets already held keep the price
    they got."""
    with transaction.atomic():
        if name is not None:
            price_card.name = name
            price_card.save(update_fields=["name"])
        if entries is not None:
            _price_card_entries_write(price_card=price_card, entries=entries)
        if format_surcharges is not None:
            _price_card_surcharges_write(price_card=price_card, format_surcharges=format_surcharges)
    return price_card
