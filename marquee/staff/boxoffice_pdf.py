"""The printed tickets of a box-office sale: one A6 page per seat with its QR code, as a PDF
rendered from an HTML template by WeasyPrint (it needs Pango from the system: Debian's
`libpango-1.0-0 libpangoft2-1.0-0`, which `.ci/run` and the Dockerfile install)."""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

from marquee.booking.models import Booking, BookingStatus, TicketStatus
from marquee.common import formats
from marquee.common.errors import DomainError
from marquee.staff.boxoffice_error_codes import BoxOfficeErrorCode
from marquee.tickets.codes import ticket_code
from marquee.tickets.emails import TIERS, local_start_text
from marquee.tickets.qr import ticket_qr_data_uri
from marquee.tickets.selectors import booking_get_for_email


def tickets_pdf_context(booking: Booking) -> dict:
    booking = booking_get_for_email(booking_id=booking.pk)
    showtime = booking.showtime
    tickets = [
        {
            "id": ticket.pk,
            "row": ticket.seat.row_label,
            "number": ticket.seat.number,
            "tier": str(TIERS.get(ticket.seat.tier, ticket.seat.tier)),
            "price": formats.money(ticket.price, booking.currency),
            "code": ticket_code(ticket),
            "qr": ticket_qr_data_uri(ticket),
        }
        for ticket in booking.tickets.all()
        if ticket.status == TicketStatus.SOLD
    ]
    return {
        "booking": booking,
        "movie": showtime.movie.title,
        "theater": showtime.screen.theater.name,
        "screen": showtime.screen.name,
        "starts_at": local_start_text(showtime),
        "tickets": tickets,
    }


def tickets_pdf(booking: Booking) -> bytes:
    """The PDF of the booking's sold tickets (no page for a ticket that is not sold)."""
    from weasyprint import HTML  # imported on use: loading Pango costs a process ~100 ms

    with translation.override(translation.get_language()):
        html = render_to_string("staff/boxoffice/tickets_pdf.html", tickets_pdf_context(booking))
    return HTML(string=html).write_pdf()


def pdf_response(booking: Booking) -> HttpResponse:
    """The tickets as a download; a sale not paid (yet, or any more) has none: 409."""
    if booking.status != BookingStatus.CONFIRMED:
        raise DomainError(
            "Only a paid sale has tickets to print.",
            code=BoxOfficeErrorCode.SALE_NOT_CONFIRMED,
            details={"status": booking.status},
        )
    response = HttpResponse(tickets_pdf(booking), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="tickets-{booking.public_id}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
