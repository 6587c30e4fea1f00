"""The seat picker: the hall as a form (one checkbox per free seat), and the hold it posts."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from marquee.booking import accessibility
from marquee.booking import errors as booking_errors
from marquee.booking import selectors as booking_selectors
from marquee.booking import services as booking_services
from marquee.booking.api import BookingBurstThrottle
from marquee.catalog.models import DEFAULT_TICKET_TYPE, SeatKind, SeatTier
from marquee.common.errors import DomainError, http_status
from marquee.common.formats import money
from marquee.common.local_cache import LocalCache
from marquee.web.hall import kind_text, picker_hall, tier_text
from marquee.web.messages import error_message
from marquee.web.throttles import throttle_wait

MAX_FORM_SEATS = 1000  # more checkboxes than any hall has is not a booking


def live_url(showtime_id: int) -> str | None:
    """The live seat channel of the showtime, when the `live` app is installed."""
    try:
        return reverse("live:showtime-seats", args=[showtime_id])
    except NoReverseMatch:
        return None


def _seat_ids(values: list[str]) -> list[int]:
    ids = []
    for value in values[:MAX_FORM_SEATS]:
        if value.isascii() and value.isdigit() and len(value) < 12:
            ids.append(int(value))
    return ids


def _ticket_types(data, seat_ids: list[int]) -> dict[int, str] | None:
    """Seat id -> ticket type code from the form: a `type-<seat id>` select per seat (the
    script's), else `count-<code>` numbers (the plain form's), given to the seats in order;
    the seats left over are the default type. The service checks every code."""
    chosen = {}
    for seat_id in seat_ids:
        code = data.get(f"type-{seat_id}", "")
        if code:
            chosen[seat_id] = code[:32]
    rest = iter(sorted(seat_id for seat_id in seat_ids if seat_id not in chosen))
    for name in sorted(data):
        if not name.startswith("count-"):
            continue
        counts = _seat_ids([data.get(name, "")])
        for _ in range(min(counts[0] if counts else 0, len(seat_ids))):
            seat_id = next(rest, None)
            if seat_id is None:
                break
            chosen[seat_id] = name.removeprefix("count-")[:32]
    return chosen or None


def _party(data) -> dict[str, int] | None:
    """Ticket type code -> count from the best-available form's `party-<code>` numbers, in the
    form's order (the service hands the types to the seats in that order), or None."""
    party = {}
    for name in data:
        if name.startswith("party-"):
            count = _seat_ids([data.get(name, "")])
            party[name.removeprefix("party-")[:32]] = min(count[0], MAX_FORM_SEATS) if count else 0
    return party or None


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def seat_picker(request, showtime_id: int):
    selected = frozenset(_seat_ids(request.GET.get("seats", "").split(",")))
    return _render_picker(request, showtime_id, selected=selected, reusable=not request.GET)


# The page as rendered for a plain GET, per (showtime, language, logged in or not): reused while
# its hall is (`PickerHall.memo`), with this request's CSRF token put in (a visitor's page has
# none: the same bytes for every visitor). Only when nothing on it is the visitor's own: no
# hold of theirs, no message waiting, no error, no seat ticked. The template is the costliest
# part of the request (docs/benchmarks.md, "Seat picker"); tests/web/test_picker_speed.py
# pins the reused page to a fresh rendering.
_pages: LocalCache[tuple[int, str, bool], tuple[object, list[bytes]]] = LocalCache(
    "picker_pages", max_size=256
)
CSRF_MARK = "csrf-token-of-this-request"


def _render_picker(
    request,
    showtime_id: int,
    *,
    selected=frozenset(),
    error=None,
    taken=(),
    status=200,
    reusable=False,
):
    now = timezone.now()
    hold, yours = None, frozenset()
    if request.user.is_authenticated:
        public_id, held = booking_selectors.own_hold_seats(
            user_id=request.user.pk, showtime_id=showtime_id, now=now
        )
        if public_id is not None:
            hold, yours = {"public_id": public_id, "seats": len(held)}, frozenset(held)
    try:
        hall = picker_hall(
            showtime_id=showtime_id,
            language=translation.get_language(),
            now=now,
            selected=selected - yours,
            yours=yours,
        )
    except booking_errors.BookingError as refused:
        if refused.code == "showtime_not_found":
            raise Http404 from None
        raise
    language = translation.get_language()
    page_key = (showtime_id, language, request.user.is_authenticated)
    reusable = (
        reusable and hall.memo is not None and hold is None and not messages.get_messages(request)
    )
    if reusable:
        page = _pages.get(page_key)
        if page is not None and page[0] is hall.memo:
            return _page_response(request, page[1])
    context = hall.context
    showtime = context.showtime
    tiers_present = {seat.tier for seat in context.layout}
    kinds_present = {seat.kind for seat in context.layout}
    tiers = [
        {
            "tier": tier,
            "name": tier_text(tier),
            "price": money(context.prices[tier], showtime.currency),
        }
        for tier in SeatTier.values
        if tier in tiers_present
    ]
    kinds = [
        {"kind": kind, "name": kind_text(kind)}
        for kind in (SeatKind.WHEELCHAIR, SeatKind.COMPANION)
        if kind in kinds_present
    ]
    # Asked per seat only when the show sells more than the default type (a price card).
    ticket_types = []
    if len(context.ticket_types) > 1:
        ticket_types = [
            {
                "code": entry["code"],
                "name": entry["name"],
                "default": entry["code"] == DEFAULT_TICKET_TYPE,
                "prices": ", ".join(
                    f"{tier_text(tier)} "
                    f"{money(context.ticket_price(entry['code'], tier), showtime.currency)}"
                    for tier in SeatTier.values  # the legend's order, not the card's
                    if tier in tiers_present and tier in entry["prices"]
                ),
            }
            for entry in context.ticket_types
        ]
    taken_labels = [
        label
        for seat_id, label in zip(hall.parts.ids, hall.parts.labels, strict=True)
        if seat_id in set(taken)
    ]
    page = {
        "showtime": showtime,
        "theater": showtime.screen.theater,
        "hall": hall,
        "on_sale": context.on_sale(now),
        "tiers": tiers,
        "kinds": kinds,
        "ticket_types": ticket_types,
        "ticket_types_data": list(context.ticket_types) if ticket_types else None,
        # A moment fixed by the show's start: the page may be reused before and after it.
        "accessible_release": accessibility.showtime_release_at(showtime) if kinds else None,
        "hold": hold,
        "selected_count": len(selected - yours),
        "error": error,
        "taken_labels": taken_labels,
        "live_url": live_url(showtime_id),
        "map_url": reverse("showtime-seats", args=[showtime_id]),
        "poll_seconds": settings.SEAT_PICKER_POLL_SECONDS,
        "max_seats": settings.BOOKING_MAX_SEATS,
        "quantities": range(1, settings.BOOKING_MAX_SEATS + 1),
        "yours_ids": ",".join(str(seat_id) for seat_id in sorted(yours)),
        "currency": showtime.currency,
        "form_method": "post" if request.user.is_authenticated else "get",
    }
    if not reusable:
        return render(request, "web/picker/picker.html", page, status=status)
    html = render_to_string("web/picker/picker.html", page | {"csrf_token": CSRF_MARK}, request)
    # Kept encoded and cut where the token goes: a page is then one join of a few pieces.
    pieces = html.encode().split(CSRF_MARK.encode())
    _pages.set(page_key, (hall.memo, pieces))
    return _page_response(request, pieces)


def _page_response(request, pieces: list[bytes]) -> HttpResponse:
    if len(pieces) == 1:
        return HttpResponse(pieces[0])
    return HttpResponse(get_token(request).encode().join(pieces))


@require_http_methods(["GET", "POST"])
def hold(request, showtime_id: int):
    """POST: hold the ticked seats (or the best `quantity` seats) and go to checkout. GET (a
    visitor's form): to the login, then back to the picker with the same seats ticked."""
    data = request.POST if request.method == "POST" else request.GET
    seat_ids = _seat_ids(data.getlist("seat"))
    best = data.get("mode") == "best"
    if not request.user.is_authenticated or request.method == "GET":
        back = reverse("web:seat-picker", args=[showtime_id])
        if seat_ids and not best:
            back += "?" + urlencode({"seats": ",".join(map(str, seat_ids))})
        if _wants_json(request):
            login = reverse(settings.LOGIN_URL) + "?" + urlencode({"next": back})
            return JsonResponse({"redirect": login}, status=401)
        if request.user.is_authenticated:
            return redirect(back)
        return redirect_to_login(back)
    wait = throttle_wait(request, BookingBurstThrottle)
    if wait is not None:
        message = ngettext(
            "Too many attempts. Please wait %(seconds)d second.",
            "Too many attempts. Please wait %(seconds)d seconds.",
            wait,
        ) % {"seconds": wait}
        if _wants_json(request):
            return _json_error("throttled", message, {"retry_after_seconds": wait}, 429)
        return _render_picker(
            request, showtime_id, selected=frozenset(seat_ids), error=message, status=429
        )
    try:
        if best:
            party = _party(request.POST)
            quantity = _seat_ids([request.POST.get("quantity", "")])
            tier = request.POST.get("tier") or None
            # A show with several ticket types asks for the party instead of a number.
            count = quantity[0] if quantity else sum((party or {}).values())
            booking = booking_services.booking_hold(
                user=request.user,
                showtime_id=showtime_id,
                quantity=count,
                tier=tier,
                ticket_counts={code: n for code, n in party.items() if n} if party else None,
            )
        else:
            booking = booking_services.booking_hold(
                user=request.user,
                showtime_id=showtime_id,
                seat_ids=seat_ids,
                ticket_types=_ticket_types(data, seat_ids),
            )
    except DomainError as refused:
        if refused.code == "showtime_not_found":
            raise Http404 from None
        taken = refused.details.get("seat_ids", []) if refused.code == "seats_unavailable" else []
        if _wants_json(request):
            return _json_error(
                refused.code, error_message(refused), refused.details, http_status(refused)
            )
        kept = frozenset(seat_ids) - set(taken)
        return _render_picker(
            request,
            showtime_id,
            selected=frozenset() if best else kept,
            error=error_message(refused),
            taken=taken,
            status=http_status(refused),
        )
    target = reverse("web:booking", args=[booking.public_id])
    if _wants_json(request):
        return JsonResponse({"redirect": target, "booking": str(booking.public_id)}, status=201)
    return redirect(target)


def _json_error(code: str, message: str, details: dict, status: int) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "details": details}}, status=status
    )
