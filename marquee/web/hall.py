"""The seat picker's hall: a form of checkboxes, one per seat, grouped by row and laid out from
the seats' x/y (an aisle or a missing row is a gap), with a label a screen reader reads whole:
"Row F, seat 12, premium, €12.50, available".

It works as plain HTML (tick seats, press "Hold"), and `seatpicker.js` enhances the same
elements (arrow keys, running total, live updates). A 500-seat hall is 1,000 elements: through
the template engine that costs milliseconds on every request. So, as the API's seat map does
with its entries, each seat's markup is built once per showtime context and language for each
status, and a page joins the 500 ready strings its seat statuses pick (`hall_html`). The
memo here is a speed layer only: it is keyed by what the markup is made of (the context's
layout, its prices, the language), never by time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from django.conf import settings
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, pgettext

from marquee.booking import availability
from marquee.booking import selectors as booking_selectors
from marquee.booking.context import AVAILABLE, HELD, SOLD, ShowtimeContext, showtime_context
from marquee.catalog.models import SeatKind, SeatTier
from marquee.common.formats import money
from marquee.common.local_cache import LocalCache
from marquee.live import selectors as live_selectors

YOURS = "yours"  # a seat in the buyer's own hold
GAP = '<span class="gap" aria-hidden="true"></span>'
ROW_GAP = '<div class="row-gap" aria-hidden="true"></div>'


def status_text(status: str) -> str:
    return {
        AVAILABLE: pgettext("seat", "available"),
        HELD: pgettext("seat", "held"),
        SOLD: pgettext("seat", "sold"),
        YOURS: pgettext("seat", "in your hold"),
    }[status]


def tier_text(tier: str) -> str:
    return {
        SeatTier.STANDARD: pgettext("tier", "standard"),
        SeatTier.PREMIUM: pgettext("tier", "premium"),
        SeatTier.VIP: pgettext("tier", "VIP"),
    }.get(tier, tier)


def kind_text(kind: str) -> str:
    return {
        SeatKind.WHEELCHAIR: gettext("wheelchair space"),
        SeatKind.COMPANION: gettext("companion seat"),
    }.get(kind, "")


@dataclass(frozen=True, slots=True)
class HallParts:
    """The markup of one showtime's hall in one language, cut where seat statuses go."""

    layout: tuple  # the context's layout this was built from (compared by identity)
    prices: dict[str, str]
    currency: str
    pieces: tuple[tuple[str, int], ...]  # (markup before the seat, the seat's index)
    tail: str
    seats: tuple[dict[str, str], ...]  # per seat in layout order: status -> markup
    labels: tuple[str, ...]  # per seat: "Row F, seat 12, premium, €12.50"
    ids: tuple[int, ...]


def _seat_markup(seat, status: str, label: str, price: str) -> str:
    taken = status != AVAILABLE
    number = "♿" if seat.kind == SeatKind.WHEELCHAIR else str(seat.number)
    return (
        f'<input type="checkbox" class="seat-input" name="seat" value="{seat.id}" '
        f'id="seat-{seat.id}" data-x="{seat.x}" data-y="{seat.y}" data-price="{price}"'
        f' data-tier="{seat.tier}"{" disabled" if taken else ""}>'
        f'<label for="seat-{seat.id}" class="seat tier-{seat.tier} kind-{seat.kind} '
        f'is-{status}"><span class="seat-number" aria-hidden="true">{number}</span>'
        f'<span class="vh">{label}, <span class="seat-status">{escape(status_text(status))}'
        "</span></span></label>"
    )


def _build(context: ShowtimeContext, language: str) -> HallParts:
    currency = context.showtime.currency
    with translation.override(language):
        price_labels = {
            tier: money(price, currency, language) for tier, price in context.prices.items()
        }
        row_word = gettext("Row %(row)s")
        seat_words = gettext("Row %(row)s, seat %(number)s")
        labels, seats = [], []
        for seat in context.layout:
            words = [
                seat_words % {"row": seat.row_label, "number": seat.number},
                tier_text(seat.tier),
            ]
            if kind_text(seat.kind):
                words.append(kind_text(seat.kind))
            words.append(price_labels[seat.tier])
            label = escape(", ".join(words))
            labels.append(label)
            price = context.price_text[seat.tier]
            seats.append(
                {
                    status: _seat_markup(seat, status, label, price)
                    for status in (AVAILABLE, HELD, SOLD)
                }
            )
        pieces: list[tuple[str, int]] = []
        pending = ['<div class="hall-rows">']
        min_x = min((seat.x for seat in context.layout), default=0)
        previous_y = None
        index = 0
        for y, row in groupby(context.layout, key=lambda seat: seat.y):
            row = list(row)
            if previous_y is not None:
                pending.append(ROW_GAP * max(0, y - previous_y - 1))
            previous_y = y
            label = escape(row[0].row_label)
            pending.append(
                f'<fieldset class="hall-row" data-row="{label}"><legend class="row-label">'
                f'<span aria-hidden="true">{label}</span><span class="vh">'
                f"{escape(row_word % {'row': row[0].row_label})}</span></legend>"
                '<div class="row-seats">'
            )
            previous_x = min_x - 1
            for seat in row:
                pending.append(GAP * max(0, seat.x - previous_x - 1))
                previous_x = seat.x
                pieces.append(("".join(pending), index))
                pending = []
                index += 1
            pending.append(
                f'</div><span class="row-label row-label-end" aria-hidden="true">{label}</span>'
                "</fieldset>"
            )
        pending.append("</div>")
    return HallParts(
        layout=context.layout,
        prices=dict(context.price_text),
        currency=currency,
        pieces=tuple(pieces),
        tail="".join(pending),
        seats=tuple(seats),
        labels=tuple(labels),
        ids=tuple(seat.id for seat in context.layout),
    )


# About 0.4 MB each for a 500-seat hall.
_parts: LocalCache[tuple[int, str], HallParts] = LocalCache("picker_hall_parts", max_size=64)


def hall_parts(context: ShowtimeContext, language: str) -> HallParts:
    """The hall's markup pieces for this context and language, built once while the layout,
    the prices and the currency are those it was built from."""
    key = (context.showtime.pk, language)
    parts = _parts.get(key)
    if (
        parts is None
        or parts.layout is not context.layout
        or parts.prices != context.price_text
        or parts.currency != context.showtime.currency
    ):
        parts = _build(context, language)
        _parts.set(key, parts)
    return parts


def hall_html(
    parts: HallParts,
    statuses: dict[int, str],
    *,
    selected: frozenset[int] = frozenset(),
    yours: frozenset[int] = frozenset(),
) -> str:
    """The hall with each seat in its status (seat id -> held/sold; absent: available), the
    buyer's own held seats as "yours" and `selected` free seats ticked (a form shown again)."""
    seats, ids = parts.seats, parts.ids
    chunks: list[str] = []
    append = chunks.append
    special = selected or yours
    for before, index in parts.pieces:
        append(before)
        seat_id = ids[index]
        status = statuses.get(seat_id, AVAILABLE)
        if special and (seat_id in yours or seat_id in selected):
            append(_special(parts, index, status, seat_id in yours))
        else:
            append(seats[index][status])
    append(parts.tail)
    return "".join(chunks)


def _special(parts: HallParts, index: int, status: str, is_yours: bool) -> str:
    markup = parts.seats[index][status]
    if is_yours:
        # Built from the "held" markup: the status class and word say it is the buyer's own.
        markup = parts.seats[index][HELD]
        return markup.replace("is-held", "is-yours", 1).replace(
            f'"seat-status">{escape(status_text(HELD))}<',
            f'"seat-status">{escape(status_text(YOURS))}<',
            1,
        )
    if status == AVAILABLE:
        return markup.replace(" data-price=", " checked data-price=", 1)
    return markup


@dataclass(frozen=True, slots=True)
class PickerHall:
    context: ShowtimeContext
    parts: HallParts
    html: str
    free: int  # seats nobody holds or bought
    # The live seat map's version (`marquee.live`), read before the statuses: the page's live
    # stream starts after it, so no change is missed (None: unknown, the stream resets).
    seat_version: int | None
    # The process's reusable rendering this hall is (identity changes with every fresh
    # rendering); None when it may not be reused. Pages built on it may be reused with it.
    memo: object | None = None


@dataclass(frozen=True, slots=True)
class _Rendered:
    catalog_version: int
    seat_version: int
    live_version: int | None
    local_change: int
    valid_until: datetime | None
    html: str
    free: int


_rendered: LocalCache[tuple[int, str], _Rendered] = LocalCache(
    "picker_halls", max_size=256, max_age=availability.MAX_AGE_SECONDS
)


def picker_hall(
    *,
    showtime_id: int,
    language: str,
    now: datetime,
    selected: frozenset[int] = frozenset(),
    yours: frozenset[int] = frozenset(),
) -> PickerHall:
    """The hall of a showtime as the picker shows it now.

    The live seat map's version is read first, then the statuses, so a change after the
    version is either in the statuses already or arrives as a live event (`live.js`); a
    reused rendering keeps the version it was rendered with, for the same reason. With a shared
    cache (`CATALOG_CACHE_SECONDS` > 0) a process reuses the markup it joined last while the
    catalog and seat versions and its own change number are unchanged, no hold shown on it has
    lapsed and the show has not started, for at most `availability.MAX_AGE_SECONDS`: the same
    rule as the API's seat map (`marquee.booking.rendered`)."""
    catalog_version, seat_version = availability.versions(showtime_id)
    shared = settings.CATALOG_CACHE_SECONDS > 0 and None not in (catalog_version, seat_version)
    context = showtime_context(showtime_id)
    parts = hall_parts(context, language)
    plain = not selected and not yours
    key = (showtime_id, language)
    local_change = availability.local_change(showtime_id)
    if shared and plain:
        memo = _rendered.get(key, max_age=availability.MAX_AGE_SECONDS)
        if (
            memo is not None
            and memo.catalog_version == catalog_version
            and memo.seat_version == seat_version
            and memo.local_change == local_change
            and (memo.valid_until is None or now < memo.valid_until)
        ):
            return PickerHall(context, parts, memo.html, memo.free, memo.live_version, memo)
    live_version = live_selectors.seat_version(showtime_id=showtime_id)
    statuses, lapse = booking_selectors.showtime_seat_statuses(showtime_id=showtime_id, now=now)
    html = hall_html(parts, statuses, selected=selected, yours=yours)
    free = len(parts.ids) - sum(1 for seat_id in statuses if seat_id in context.seats_by_id)
    if shared and plain:
        valid_until = lapse
        if context.on_sale(now):
            starts = context.showtime.starts_at
            valid_until = starts if valid_until is None else min(valid_until, starts)
        memo = _Rendered(
            catalog_version, seat_version, live_version, local_change, valid_until, html, free
        )
        _rendered.set(key, memo)
        return PickerHall(context, parts, html, free, live_version, memo)
    return PickerHall(context, parts, html, free, live_version)
