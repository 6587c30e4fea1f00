"""The booking page the emails link to: read-only, server-rendered, opened by its signed link.

A person opens it from an email in a browser, without logging in: the link's signature
(`marquee.tickets.codes.booking_page_token`) is the credential, like the QR codes it shows.
It answers until `BOOKING_PAGE_DAYS_AFTER_SHOW` days after the show; anything else gets the
same friendly 404 page. The moviegoer's web app will replace it.
"""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from marquee.booking.models import BookingStatus, TicketStatus
from marquee.booking.selectors import booking_display_status
from marquee.common.time import to_local
from marquee.tickets import selectors
from marquee.tickets.codes import parse_booking_page_token, ticket_code
from marquee.tickets.emails import local_end_text, local_start_text
from marquee.tickets.qr import ticket_qr_data_uri

BOOKING_PAGE_DAYS_AFTER_SHOW = 30

STATUS_LINES = {
    BookingStatus.CONFIRMED: "Confirmed. Show the QR code of each ticket at the door.",
    BookingStatus.PENDING: "Not paid yet: the seats are held for you until {expires}.",
    BookingStatus.EXPIRED: "Not paid in time: the hold expired and the seats were released.",
    BookingStatus.CANCELLED: "Cancelled. These tickets are no longer valid.",
    BookingStatus.PAYMENT_FAILED: "The payment failed. These tickets are not valid.",
    BookingStatus.REFUNDED: "Refunded. These tickets are no longer valid.",
}


def _private(response):
    # The address is a bearer credential: keep it out of caches, referrers and search engines.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _not_found(request):
    return _private(render(request, "tickets/page/booking_not_found.html", status=404))


@require_safe
def booking_page(request, token: str):
    public_id = parse_booking_page_token(token)
    booking = None if public_id is None else selectors.booking_get_for_page(public_id=public_id)
    now = timezone.now()
    if booking is None:
        return _not_found(request)
    showtime = booking.showtime
    if showtime.film_ends_at + timedelta(days=BOOKING_PAGE_DAYS_AFTER_SHOW) < now:
        return _not_found(request)
    theater = showtime.screen.theater
    status = booking_display_status(booking, now)
    expires = f"{to_local(booking.expires_at, theater.timezone):%H:%M} ({theater.timezone})"
    valid = status == BookingStatus.CONFIRMED
    tickets = [
        {
            "row": ticket.seat.row_label,
            "number": ticket.seat.number,
            "tier": ticket.seat.get_tier_display(),
            "price": f"{ticket.price} {booking.currency}",
            "code": ticket_code(ticket) if valid and ticket.status == TicketStatus.SOLD else "",
            "qr": ticket_qr_data_uri(ticket)
            if valid and ticket.status == TicketStatus.SOLD
            else "",
            "checked_in_at": to_local(ticket.checked_in_at, theater.timezone)
            if ticket.checked_in_at
            else None,
        }
        for ticket in booking.tickets.all()
    ]
    context = {
        "reference": str(booking.public_id),
        "movie": showtime.movie.title,
        "theater": theater.name,
        "theater_address": theater.address,
        "screen": showtime.screen.name,
        "starts_at": local_start_text(showtime),
        "ends_at": local_end_text(showtime),
        "status": status,
        "status_line": STATUS_LINES[BookingStatus(status)].format(expires=expires),
        "valid": valid,
        "tickets": tickets,
        "total": f"{booking.total} {booking.currency}",
    }
    return _private(render(request, "tickets/page/booking.html", context))
