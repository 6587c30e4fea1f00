"""The box office's pages (staff): pick a show, pick seats on the moviegoers' seat picker (or
the best available), take cash or card at this device's till, print or email the tickets, and
the till's end-of-day summary. Thin: every write is a service of `marquee.staff.boxoffice`."""

from __future__ import annotations

import functools
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.shortcuts import render as django_render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marquee.booking import selectors as booking_selectors
from marquee.booking.models import BookingStatus
from marquee.catalog.models import SeatTier
from marquee.common.errors import DomainError, http_status
from marquee.common.formats import money
from marquee.common.permissions import is_staff_member
from marquee.payments.models import IN_PERSON_PROVIDERS, Payment, Provider, Till
from marquee.reports import dashboard
from marquee.reports import selectors as report_selectors
from marquee.staff import boxoffice
from marquee.staff.boxoffice_pdf import pdf_response
from marquee.tickets.codes import ticket_code
from marquee.tickets.qr import ticket_qr_data_uri
from marquee.web.hall import picker_hall, tier_text
from marquee.web.messages import error_message as site_error_message
from marquee.web.views.picker import live_url

MAX_FORM_SEATS = 1000  # more checkboxes than any hall has is not a sale


def _seat_ids(values: list[str]) -> list[int]:
    """The ids among the form's values; anything else is not a seat."""
    return [
        int(value)
        for value in values[:MAX_FORM_SEATS]
        if value.isascii() and value.isdigit() and len(value) < 12
    ]


TILL_COOKIE = "marquee_till"  # this device's till: a preference, checked again on every sale
TILL_COOKIE_AGE = 400 * 24 * 3600


def render(request, template: str, context: dict, status: int = 200):
    return django_render(request, template, {"section": "box-office", **context}, status=status)


def staff_page(view):
    """Staff and admins only: a visitor logs in first, a customer gets 403."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def error_message(refused: DomainError) -> str:
    """The site's sentence for a refusal, with the box office's own codes."""
    own = {
        "till_not_found": lambda: _("Choose a till for this device."),
        "till_closed": lambda: _("This till is closed; choose another one."),
        "invalid_payment_method": lambda: _("Choose cash or card."),
        "invalid_email": lambda: _("Enter a valid email address."),
        "booking_not_confirmed": lambda: _("Only a paid sale has tickets to send."),
    }.get(refused.code)
    return own() if own else site_error_message(refused)


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def device_till(request) -> Till | None:
    value = request.COOKIES.get(TILL_COOKIE, "")
    if not (value.isascii() and value.isdigit() and len(value) < 12):
        return None
    return Till.objects.filter(pk=int(value), is_active=True).first()


def method_text(method: str) -> str:
    return {Provider.CASH: _("Cash"), Provider.CARD_PRESENT: _("Card (terminal)")}.get(
        method, method
    )


def status_text(status: str) -> str:
    """A sale that can no longer be paid, as its heading says it."""
    return {
        BookingStatus.EXPIRED: _("Expired"),
        BookingStatus.CANCELLED: _("Cancelled"),
        BookingStatus.REFUNDED: _("Refunded"),
    }.get(status, status)


@require_GET
@staff_page
def index(request):
    """Tonight's shows first, then the coming week's, with the seats still free."""
    now = timezone.now()
    shows = dashboard.showtimes_on_sale(now=now, days=7)
    return render(
        request,
        "staff/boxoffice/index.html",
        {
            "tonight": [s for s in shows if s["tonight"]],
            "later": [s for s in shows if not s["tonight"]],
            "tills": Till.objects.filter(is_active=True).order_by("name", "pk"),
            "till": device_till(request),
        },
    )


@require_POST
@staff_page
def choose_till(request):
    """Remember this device's till (a cookie: the till belongs to the device, not the login)."""
    value = request.POST.get("till", "")
    response = redirect(_safe_next(request, reverse("staff:box-office")))
    till = None
    if value.isascii() and value.isdigit() and len(value) < 12:
        till = Till.objects.filter(pk=int(value), is_active=True).first()
    if till is None:
        messages.error(request, _("Choose an open till."))
        return response
    response.set_cookie(
        TILL_COOKIE, str(till.pk), max_age=TILL_COOKIE_AGE, httponly=True, samesite="Lax"
    )
    messages.success(request, _("This device is now %(till)s.") % {"till": till.name})
    return response


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/staff/") and "//" not in target and "\\" not in target:
        return target
    return default


@require_GET
@staff_page
def picker(request, showtime_id: int):
    return _render_picker(request, showtime_id)


def _render_picker(request, showtime_id: int, *, error=None, selected=frozenset(), status=200):
    now = timezone.now()
    try:
        hall = picker_hall(
            showtime_id=showtime_id,
            language=translation.get_language(),
            now=now,
            selected=frozenset(selected),
        )
    except DomainError as refused:
        if refused.code == "showtime_not_found":
            raise Http404 from None
        raise
    context = hall.context
    showtime = context.showtime
    tiers_present = {seat.tier for seat in context.layout}
    tiers = [
        {
            "tier": tier,
            "name": tier_text(tier),
            "price": money(context.prices[tier], showtime.currency),
        }
        for tier in SeatTier.values
        if tier in tiers_present
    ]
    return render(
        request,
        "staff/boxoffice/picker.html",
        {
            "showtime": showtime,
            "theater": showtime.screen.theater,
            "hall": hall,
            "on_sale": context.on_sale(now),
            "tiers": tiers,
            "error": error,
            "live_url": live_url(showtime_id),
            "map_url": reverse("showtime-seats", args=[showtime_id]),
            "poll_seconds": settings.SEAT_PICKER_POLL_SECONDS,
            "max_seats": settings.BOOKING_MAX_SEATS,
            "quantities": range(1, settings.BOOKING_MAX_SEATS + 1),
            "currency": showtime.currency,
            "selected_count": len(selected),
            "till": device_till(request),
        },
        status=status,
    )


@require_POST
@staff_page
def hold(request, showtime_id: int):
    """Hold the ticked seats (or the best `quantity`) for the walk-in, then to payment."""
    seat_ids = _seat_ids(request.POST.getlist("seat"))
    best = request.POST.get("mode") == "best"
    try:
        if best:
            quantity = _seat_ids([request.POST.get("quantity", "")])
            booking = boxoffice.box_office_hold(
                staff=request.user,
                showtime_id=showtime_id,
                quantity=quantity[0] if quantity else 0,
                tier=request.POST.get("tier") or None,
                allow_split=request.POST.get("allow_split") == "1",
            )
        else:
            booking = boxoffice.box_office_hold(
                staff=request.user, showtime_id=showtime_id, seat_ids=seat_ids
            )
    except DomainError as refused:
        if refused.code == "showtime_not_found":
            raise Http404 from None
        if _wants_json(request):
            body = {
                "error": {
                    "code": refused.code,
                    "message": error_message(refused),
                    "details": refused.details,
                }
            }
            return JsonResponse(body, status=http_status(refused))
        taken = set(refused.details.get("seat_ids", []))
        return _render_picker(
            request,
            showtime_id,
            error=error_message(refused),
            selected=frozenset() if best else frozenset(seat_ids) - taken,
            status=http_status(refused),
        )
    target = reverse("staff:box-office-sale", args=[booking.public_id])
    if _wants_json(request):
        return JsonResponse({"redirect": target, "booking": str(booking.public_id)}, status=201)
    return redirect(target)


def _sale_or_404(public_id):
    try:
        return boxoffice.box_office_sale(public_id=public_id)
    except DomainError:
        raise Http404 from None


@require_GET
@staff_page
def sale(request, public_id):
    booking = _sale_or_404(public_id)
    return _render_sale(request, booking)


def _render_sale(request, booking, *, error=None, status=200):
    now = timezone.now()
    shown = booking_selectors.booking_display_status(booking, now)
    confirmed = booking.status == BookingStatus.CONFIRMED
    tickets = [
        {
            "seat": ticket.seat,
            "tier": tier_text(ticket.seat.tier),
            "price": money(ticket.price, booking.currency),
            "code": ticket_code(ticket) if confirmed and ticket.status == "sold" else "",
            "qr": ticket_qr_data_uri(ticket) if confirmed and ticket.status == "sold" else "",
        }
        for ticket in booking.tickets.all()
    ]
    payments = list(
        Payment.objects.filter(booking=booking).select_related("till", "taken_by").order_by("pk")
    )
    return render(
        request,
        "staff/boxoffice/sale.html",
        {
            "booking": booking,
            "showtime": booking.showtime,
            "status": shown,
            "status_text": status_text(shown),
            "payable": shown == BookingStatus.PENDING,
            "confirmed": confirmed,
            "tickets": tickets,
            "total": money(booking.total, booking.currency),
            "payments": [
                {
                    "payment": p,
                    "method": method_text(p.provider),
                    "amount": money(p.amount, p.currency),
                }
                for p in payments
            ],
            "methods": [(m, method_text(m)) for m in IN_PERSON_PROVIDERS],
            "tills": Till.objects.filter(is_active=True).order_by("name", "pk"),
            "till": device_till(request),
            "error": error,
        },
        status=status,
    )


@require_POST
@staff_page
def pay(request, public_id):
    booking = _sale_or_404(public_id)
    till = request.POST.get("till", "")
    try:
        boxoffice.box_office_pay(
            booking=booking,
            staff=request.user,
            method=request.POST.get("method", ""),
            till_id=int(till) if till.isascii() and till.isdigit() and len(till) < 12 else 0,
            email=request.POST.get("email", ""),
        )
    except DomainError as refused:
        booking = _sale_or_404(public_id)
        return _render_sale(
            request, booking, error=error_message(refused), status=http_status(refused)
        )
    messages.success(request, _("Paid. Print or show the tickets."))
    return redirect("staff:box-office-sale", public_id=booking.public_id)


@require_POST
@staff_page
def cancel(request, public_id):
    booking = _sale_or_404(public_id)
    try:
        boxoffice.box_office_cancel_hold(booking=booking, staff=request.user)
    except DomainError as refused:
        return _render_sale(
            request, booking, error=error_message(refused), status=http_status(refused)
        )
    messages.success(request, _("The seats are back on sale."))
    return redirect("staff:box-office-picker", showtime_id=booking.showtime_id)


@require_GET
@staff_page
def tickets_pdf(request, public_id):
    booking = _sale_or_404(public_id)
    if booking.status != BookingStatus.CONFIRMED:
        raise Http404
    return pdf_response(booking)


@require_POST
@staff_page
def email_tickets(request, public_id):
    booking = _sale_or_404(public_id)
    try:
        boxoffice.box_office_email_tickets(
            booking=booking, staff=request.user, email=request.POST.get("email", "")
        )
    except DomainError as refused:
        return _render_sale(
            request, booking, error=error_message(refused), status=http_status(refused)
        )
    messages.success(request, _("The tickets are on their way."))
    return redirect("staff:box-office-sale", public_id=booking.public_id)


@require_http_methods(["GET", "HEAD"])
@staff_page
def till_summary(request, till_id: int):
    day = None
    raw = request.GET.get("date", "")
    if raw:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            day = None
    try:
        summary = report_selectors.till_day_summary(till_id=till_id, day=day)
    except DomainError:
        raise Http404 from None
    for row in summary["by_method"] + summary["by_cashier"] + summary["totals"]:
        row["method_text"] = method_text(row["method"]) if row["method"] != "all" else _("All")
    return render(request, "staff/boxoffice/till_summary.html", {"summary": summary})
