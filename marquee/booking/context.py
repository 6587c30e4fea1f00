"""What a seat map and a hold need to know about a showtime, built once per catalog version.

The showtime with its screen, theater and movie, the screen's seat layout, the price of each
tier and the fixed part of every seat-map entry change only through catalog writes, and every
catalog write bumps the shared catalog version (`marquee.catalog.cache`, after commit too).
Each process keeps the context it built for a showtime together with the version it was built
under, and reuses it while the shared version is unchanged. A seat map or a hold then pays one
cache GET instead of the four-table ORM query, the layout fetch and the price-rule fetch
(docs/benchmarks.md, "Showtime context").

Without a shared cache there is nothing to check the version against (a local-memory cache is
per process), so the context is built afresh on every call; `CATALOG_CACHE_SECONDS` decides,
as it does for the catalog's response cache. A context also ages out after `MAX_AGE_SECONDS`,
a bound on any catalog write that might bypass the version bump. While this process skips a
Redis that failed (`marquee.common.redis_guard`) the version is unknown and the context is
built afresh, and one built before the outage is not reused after it.

Nothing here weakens the booking rules: the hold still checks the showtime's status and start
from the context (a cancellation bumps the version, so the next hold sees it), the seat
statuses always come from the database, and confirming a payment re-checks the showtime
(`booking_confirm`), so a hold that raced a cancellation is never sold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from marquee.booking import accessibility, errors
from marquee.booking.pricing import showtime_ticket_prices
from marquee.catalog.cache import catalog_version
from marquee.catalog.layout import LayoutSeat, screen_layout
from marquee.catalog.models import DEFAULT_TICKET_TYPE, Showtime, TicketType
from marquee.common import redis_guard
from marquee.common.local_cache import LocalCache
from marquee.common.time import api_datetime, local_iso

AVAILABLE, HELD, SOLD = "available", "held", "sold"
DEFAULT_TICKET_TYPE_NAME = "Adult"  # the seat map's name for it without a price card
SEAT_STATUSES = (AVAILABLE, HELD, SOLD)
MAX_AGE_SECONDS = 60.0
MAX_ENTRIES = 2048


@dataclass(frozen=True, slots=True)
class ShowtimeContext:
    """Read-only: shared by every request of this process that asks for the same showtime."""

    showtime: Showtime  # with screen, screen.theater and movie loaded
    layout: tuple[LayoutSeat, ...]
    seats_by_id: dict[int, LayoutSeat]
    prices: dict[str, Decimal]  # seat tier -> price of the default ticket type
    price_text: dict[str, str]
    # ticket type code -> seat tier -> price: what this showtime sells (pricing.py decides)
    ticket_prices: dict[str, dict[str, Decimal]]
    ticket_types: tuple[dict, ...]  # the seat map's `ticket_types`: code, name, prices
    # Per seat, in layout order: the seat-map entry for each status, built once so a read of
    # a 500-seat hall picks 500 ready dicts instead of building them.
    seat_entries: tuple[dict[str, dict], ...]
    index_by_id: dict[int, int]  # seat id -> its position in the layout
    all_available: tuple[dict, ...]  # the seat map's seats when nothing is taken
    summary: dict  # the seat map's `showtime` object, without `on_sale` (it depends on now)

    def check_bookable(self, now: datetime) -> None:
        if not self.showtime.is_scheduled:
            raise errors.showtime_cancelled()
        if self.showtime.starts_at <= now:
            raise errors.showtime_started()

    def ticket_price(self, ticket_type: str, tier: str) -> Decimal | None:
        """The price of a seat of `tier` for `ticket_type`, or None: not sold here."""
        return self.ticket_prices.get(ticket_type, {}).get(tier)

    def on_sale(self, now: datetime) -> bool:
        return self.showtime.is_scheduled and self.showtime.starts_at > now


# showtime id -> (catalog version, redis_guard.epoch(), context): a context built before this
# process lost Redis is not reused after (a bump may have been lost).
_contexts: LocalCache[int, tuple[int, int, ShowtimeContext]] = LocalCache(
    "showtime_contexts", max_size=MAX_ENTRIES, max_age=MAX_AGE_SECONDS
)


def showtime_context(showtime_id: int) -> ShowtimeContext:
    """The showtime's context: reused while the catalog version is unchanged, else built."""
    if settings.CATALOG_CACHE_SECONDS <= 0:
        return _context_at(showtime_id, None)
    return _context_at(showtime_id, catalog_version())


def _context_at(showtime_id: int, version: int | None) -> ShowtimeContext:
    """The context for a catalog version (None: build afresh)."""
    epoch = None if version is None else redis_guard.epoch()
    if epoch is not None:
        entry = _contexts.get(showtime_id)
        if entry is not None and entry[0] == version and entry[1] == epoch:
            return entry[2]
    context = _build(showtime_id)
    if epoch is not None:
        _contexts.set(showtime_id, (version, epoch, context))
    return context


def _build(showtime_id: int) -> ShowtimeContext:
    showtime = (
        Showtime.objects.select_related("screen__theater", "movie").filter(pk=showtime_id).first()
    )
    if showtime is None:
        raise errors.showtime_not_found()
    layout = screen_layout(showtime.screen_id)
    ticket_prices = showtime_ticket_prices(showtime)
    # The default type's prices: what the seat map's `price` shows and best available sorts by.
    prices = ticket_prices[DEFAULT_TICKET_TYPE]
    price_text = {tier: str(price) for tier, price in prices.items()}
    # Names only for a showtime with a card: without one it sells the default type alone,
    # and its context costs no query more than before ticket types existed.
    names = {DEFAULT_TICKET_TYPE: DEFAULT_TICKET_TYPE_NAME}
    if showtime.price_card_id is not None:
        names |= dict(
            TicketType.objects.filter(
                Q(theater__isnull=True) | Q(theater_id=showtime.screen.theater_id),
                code__in=list(ticket_prices),
            ).values_list("code", "name")
        )
    ticket_types = tuple(
        {
            "code": code,
            "name": names.get(code, code),
            "prices": {tier: str(price) for tier, price in prices_by_tier.items()},
        }
        for code, prices_by_tier in ticket_prices.items()
    )
    # Wheelchair spaces and companion seats: when they go on general sale (the seat map says
    # whether that moment has passed; every entry keeps the moment itself).
    release_text = api_datetime(accessibility.showtime_release_at(showtime))
    seat_entries = tuple(
        {
            status: {
                "id": seat.id,
                "row": seat.row_label,
                "number": seat.number,
                "tier": seat.tier,
                "kind": seat.kind,
                "x": seat.x,
                "y": seat.y,
                "status": status,
                "price": price_text[seat.tier],
                "held_back_until": release_text
                if seat.kind in accessibility.ACCESSIBLE_KINDS
                else None,
            }
            for status in SEAT_STATUSES
        }
        for seat in layout
    )
    theater = showtime.screen.theater
    summary = {
        "id": showtime.pk,
        "movie": {"id": showtime.movie_id, "title": showtime.movie.title},
        "theater": {"id": theater.pk, "name": theater.name, "timezone": theater.timezone},
        "screen": {"id": showtime.screen_id, "name": showtime.screen.name},
        "starts_at": api_datetime(showtime.starts_at),
        "local_starts_at": local_iso(showtime.starts_at, theater.timezone),
        "status": showtime.status,
    }
    return ShowtimeContext(
        showtime=showtime,
        layout=layout,
        seats_by_id={seat.id: seat for seat in layout},
        prices=prices,
        price_text=price_text,
        ticket_prices=ticket_prices,
        ticket_types=ticket_types,
        seat_entries=seat_entries,
        index_by_id={seat.id: index for index, seat in enumerate(layout)},
        all_available=tuple(entries[AVAILABLE] for entries in seat_entries),
        summary=summary,
    )
