"""A buyer's bookings: the list, one booking (hold and checkout, or tickets), paying,
cancelling, the calendar file and each ticket's QR code. Login required; another buyer's
booking is a 404, as in the API."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from marquee.booking import errors as booking_errors
from marquee.booking import refund_policy
from marquee.booking import selectors as booking_selectors
from marquee.booking import services as booking_services
from marquee.booking.error_codes import BookingErrorCode
from marquee.booking.models import BookingStatus, TicketStatus
from marquee.catalog.models import DEFAULT_TICKET_TYPE, TicketType
from marquee.common import formats
from marquee.common.errors import DomainError, http_status
from marquee.payments import services as payment_services
from marquee.payments.models import Payment, PaymentStatus, Provider
from marquee.tickets import selectors as ticket_selectors
from marquee.tickets.codes import ticket_code
from marquee.tickets.qr import ticket_qr_svg
from marquee.web import selectors
from marquee.web.calendar import booking_ics
from marquee.web.messages import error_message


def _booking(request, public_id):
    try:
        return booking_selectors.booking_get(user=request.user, public_id=public_id)
    except DomainError:
        raise Http404 from None


@login_required
def booking_list(request):
    now = timezone.now()
    return render(
        request,
        "web/bookings/list.html",
        {
            "upcoming": selectors.bookings_for_page(user=request.user, upcoming=True, now=now),
            "past": selectors.bookings_for_page(user=request.user, upcoming=False, now=now),
        },
    )


@login_required
def booking_detail(request, public_id, *, error: str | None = None, status: int = 200):
    booking = _booking(request, public_id)
    now = timezone.now()
    shown_status = booking_selectors.booking_display_status(booking, now)
    showtime = booking.showtime
    context = {
        "booking": booking,
        "showtime": showtime,
        "theater": showtime.screen.theater,
        "status": shown_status,
        "error": error,
        "now": now,
        "tickets": _with_type_names(booking),
    }
    if shown_status == BookingStatus.PENDING:
        context |= _checkout_context(request, booking, error)
    elif shown_status == BookingStatus.CONFIRMED:
        cutoff = booking_services.cancellation_cutoff(showtime.starts_at)
        context |= {
            "cutoff": cutoff,
            "can_cancel": now < cutoff,
            "started": showtime.starts_at <= now,
            "sold": [
                {"ticket": ticket, "code": ticket_code(ticket)}
                for ticket in context["tickets"]
                if ticket.status == TicketStatus.SOLD
            ],
            "given_back": [t for t in context["tickets"] if t.cancellation_id is not None],
            "refunded": booking_selectors.booking_refunded_amount(booking),
        }
    response = render(request, "web/bookings/detail.html", context, status=status)
    if context.get("client_secret"):
        # Stripe.js and its frames, on this page only (settings.STRIPE_ORIGINS).
        response._csp_replace = {"frame-src": list(settings.STRIPE_ORIGINS["frame-src"])}
        response._csp_update = {
            key: values for key, values in settings.STRIPE_ORIGINS.items() if key != "frame-src"
        }
    return response


def _checkout_context(request, booking, error) -> dict:
    provider = settings.PAYMENT_PROVIDER
    context = {"provider": provider, "hold_seconds": settings.BOOKING_HOLD_MINUTES * 60}
    if provider != Provider.STRIPE:
        return context
    processing = (
        Payment.objects.filter(
            booking=booking, provider=Provider.STRIPE, status=PaymentStatus.PENDING
        ).exists()
        and request.GET.get("payment") == "processing"
    )
    context["processing"] = processing
    if processing or error:
        return context
    try:
        intent = payment_services.payment_start(booking=booking, user=request.user)
    except DomainError as refused:
        context["error"] = error_message(refused)
        return context
    context |= {
        "client_secret": intent["client_secret"],
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "return_url": request.build_absolute_uri(
            reverse("web:booking", args=[booking.public_id]) + "?payment=processing"
        ),
    }
    return context


@login_required
@require_POST
def booking_pay(request, public_id):
    """The simulated provider's card form: charge now, then show the tickets."""
    booking = _booking(request, public_id)
    try:
        payment_services.payment_start(
            booking=booking, user=request.user, card_number=request.POST.get("card_number", "")[:40]
        )
    except DomainError as refused:
        return booking_detail(
            request, public_id, error=error_message(refused), status=http_status(refused)
        )
    messages.success(request, gettext("Payment received. Your tickets are below. Enjoy the show!"))
    return redirect(reverse("web:booking", args=[booking.public_id]))


def _with_type_names(booking) -> list:
    """The tickets, each with `type_name` when the show sells more than the default type."""
    tickets = list(booking.tickets.all())
    if all(ticket.ticket_type == DEFAULT_TICKET_TYPE for ticket in tickets):
        return tickets
    names = dict(
        TicketType.objects.filter(
            Q(theater__isnull=True) | Q(theater_id=booking.showtime.screen.theater_id)
        ).values_list("code", "name")
    )
    for ticket in tickets:
        ticket.type_name = names.get(ticket.ticket_type, ticket.ticket_type)
    return tickets


@login_required
@require_POST
def booking_voucher(request, public_id):
    """A promo code for a held booking, before paying. With Stripe the checkout has made a
    Payment Intent for the old total already: payments cancels it first, and the page makes
    one for the new total (`payment_voucher_apply`; with nothing started, the API's service)."""
    booking = _booking(request, public_id)
    try:
        payment_services.payment_voucher_apply(
            booking=booking, code=request.POST.get("code", "")[:32], actor=request.user
        )
    except DomainError as refused:
        return booking_detail(
            request, public_id, error=error_message(refused), status=http_status(refused)
        )
    messages.success(request, gettext("Your voucher is applied."))
    return redirect(reverse("web:booking", args=[booking.public_id]))


@login_required
def booking_cancel(request, public_id):
    """GET: what cancelling means (and until when it is possible); POST: cancel."""
    booking = _booking(request, public_id)
    now = timezone.now()
    if request.method == "POST":
        try:
            booking_services.booking_cancel(booking=booking, actor=request.user)
        except DomainError as refused:
            return booking_detail(
                request, public_id, error=error_message(refused), status=http_status(refused)
            )
        was_paid = booking.status == BookingStatus.CONFIRMED
        messages.success(
            request,
            gettext("Your booking is cancelled; the payment will be refunded in full.")
            if was_paid
            else gettext("Your hold is released."),
        )
        return redirect(reverse("web:booking", args=[booking.public_id]))
    cutoff = booking_services.cancellation_cutoff(booking.showtime.starts_at)
    return render(
        request,
        "web/bookings/cancel.html",
        {
            "booking": booking,
            "showtime": booking.showtime,
            "theater": booking.showtime.screen.theater,
            "status": booking_selectors.booking_display_status(booking, now),
            "cutoff": cutoff,
            "can_cancel": booking.status == BookingStatus.PENDING or now < cutoff,
        },
    )


def _ticket_ids(request) -> list[int]:
    ids = []
    for value in request.POST.getlist("tickets")[:100]:
        if value.isdigit() and len(value) < 12:
            ids.append(int(value))
    return ids


@login_required
def booking_give_back(request, public_id):
    """Give back some tickets of a paid booking: tick them (GET), see the refund the policy
    gives now (POST step=preview), then confirm (POST step=confirm)."""
    booking = _booking(request, public_id)
    now = timezone.now()
    showtime = booking.showtime
    sold = [t for t in booking.tickets.all() if t.status == TicketStatus.SOLD]
    context = {
        "booking": booking,
        "showtime": showtime,
        "theater": showtime.screen.theater,
        "status": booking_selectors.booking_display_status(booking, now),
        "sold": sold,
        "cutoff": booking_services.cancellation_cutoff(showtime.starts_at),
        "policy": refund_policy.refund_deadlines(
            steps=refund_policy.policy_for(showtime.screen.theater_id),
            starts_at=showtime.starts_at,
        ),
        "chosen": set(),
    }
    if request.method == "POST":
        ids = _ticket_ids(request)
        context["chosen"] = set(ids)
        confirm = request.POST.get("step") == "confirm"
        try:
            if not ids:
                raise booking_errors.BookingError(
                    "Name at least one ticket.", code=BookingErrorCode.NO_TICKETS_REQUESTED
                )
            act = (
                booking_services.booking_cancel_tickets
                if confirm
                else booking_services.booking_refund_quote
            )
            quote = act(booking=booking, ticket_ids=ids, actor=request.user, now=now)
        except DomainError as refused:
            context["error"] = error_message(refused)
            return render(
                request, "web/bookings/give_back.html", context, status=http_status(refused)
            )
        if confirm:
            messages.success(
                request,
                gettext("Tickets given back; %(amount)s will be refunded.")
                % {"amount": formats.money(quote.amount, quote.currency)},
            )
            return redirect(reverse("web:booking", args=[booking.public_id]))
        context["quote"] = quote
        context["quote_lines"] = [(t, quote.refunds[t.pk]) for t in quote.tickets]
    return render(request, "web/bookings/give_back.html", context)


@login_required
def booking_calendar(request, public_id):
    booking = _booking(request, public_id)
    url = request.build_absolute_uri(reverse("web:booking", args=[booking.public_id]))
    response = HttpResponse(booking_ics(booking, url=url), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="marquee-{booking.public_id}.ics"'
    return response


@login_required
def ticket_qr(request, ticket_id: int):
    try:
        ticket = ticket_selectors.ticket_get_for_qr(user=request.user, ticket_id=ticket_id)
    except DomainError:
        raise Http404 from None
    response = HttpResponse(ticket_qr_svg(ticket), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response
