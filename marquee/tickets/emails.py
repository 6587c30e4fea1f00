"""Customer emails: confirmation with e-tickets, cancellation, refund, showtime reminder.

Each builder renders one message from the booking as it is now, or raises `NothingToSend`
when the booking no longer calls for it (a confirmation for a booking since cancelled). The
outbox (marquee/tickets/outbox.py) decides when to send and what to do when sending fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy

from marquee.booking import hooks
from marquee.booking.models import (
    Booking,
    BookingStatus,
    SalesChannel,
    TicketCancellation,
    TicketStatus,
)
from marquee.catalog.models import Showtime, ShowtimeStatus, TicketType
from marquee.common import formats
from marquee.common.time import to_local
from marquee.tickets import selectors
from marquee.tickets.codes import ticket_code
from marquee.tickets.models import EmailDelivery, EmailKind
from marquee.tickets.qr import ticket_qr_png


@dataclass(frozen=True)
class InlineImage:
    content_id: str
    filename: str
    png: bytes


TIERS = {
    "standard": pgettext_lazy("tier", "Standard"),
    "premium": pgettext_lazy("tier", "Premium"),
    "vip": pgettext_lazy("tier", "VIP"),
}


def local_start_text(showtime: Showtime) -> str:
    """E.g. "Saturday, 14 March 2026, 20:00 (Europe/Berlin)": the theater's own clock, in the
    active language ("Samstag, 14. März 2026, 20:00 (Europe/Berlin)")."""
    tz_name = showtime.screen.theater.timezone
    return f"{formats.local_datetime(showtime.starts_at, tz_name)} ({tz_name})"


def local_end_text(showtime: Showtime) -> str:
    """When the film ends on the theater's clock, e.g. "22:05", or with its day past midnight
    ("00:35, Sunday 15 March"), in the active language (needs the movie)."""
    tz_name = showtime.screen.theater.timezone
    start, end = to_local(showtime.starts_at, tz_name), to_local(showtime.film_ends_at, tz_name)
    time_text = formats.local_time(showtime.film_ends_at, tz_name)
    if end.date() == start.date():
        return time_text
    return f"{time_text}, {formats.local_date(showtime.film_ends_at, tz_name)}"


def booking_page_url(booking: Booking) -> str:
    """The booking on the site (marquee.web): its tickets, QR codes, calendar file and cancel."""
    return f"{settings.SITE_URL.rstrip('/')}/bookings/{booking.public_id}/"


def _money(amount: Decimal | str, currency: str) -> str:
    """In the active language and the currency's own format: "€12.50", "12,50 €", "¥1,531"."""
    return formats.money(amount, currency)


def _language(booking: Booking) -> str:
    """The buyer's language (the one the site last served them), else the default."""
    if booking.channel == SalesChannel.BOX_OFFICE:
        return settings.LANGUAGE_CODE  # the walk-in's, not the cashier's: we do not know it
    return booking.user.language or settings.LANGUAGE_CODE


def _one_line(text: str) -> str:
    # A title with a line break must not become a header injection (or a BadHeaderError).
    return " ".join(text.split())


def _booking_context(booking: Booking) -> dict:
    showtime = booking.showtime
    theater = showtime.screen.theater
    return {
        "reference": str(booking.public_id),
        "holder": (
            booking.customer_email
            if booking.channel == SalesChannel.BOX_OFFICE
            else booking.user.get_full_name() or booking.user.username
        ),
        "movie": showtime.movie.title,
        "theater": theater.name,
        "theater_address": theater.address,
        "screen": showtime.screen.name,
        "starts_at": local_start_text(showtime),
        "ends_at": local_end_text(showtime),
        "booking_url": booking_page_url(booking),
    }


def _ticket_type_names(booking: Booking) -> dict[str, str]:
    """Ticket type code -> name for the booking's theater (a receipt line per type)."""
    theater_id = booking.showtime.screen.theater_id
    return dict(
        TicketType.objects.filter(Q(theater__isnull=True) | Q(theater_id=theater_id)).values_list(
            "code", "name"
        )
    )


def _ticket_lines(booking: Booking, *, with_codes: bool) -> tuple[list[dict], list[InlineImage]]:
    lines, images = [], []
    names = _ticket_type_names(booking)
    for ticket in booking.tickets.all():
        if ticket.status != TicketStatus.SOLD:
            continue
        line = {
            "id": ticket.pk,
            "row": ticket.seat.row_label,
            "number": ticket.seat.number,
            "tier": str(TIERS.get(ticket.seat.tier, ticket.seat.tier)),
            "price": _money(ticket.price, booking.currency),
            "ticket_type": names.get(ticket.ticket_type, ticket.ticket_type),
        }
        if with_codes:
            line["code"] = ticket_code(ticket)
            line["content_id"] = f"ticket-{ticket.pk}@marquee"
            images.append(
                InlineImage(line["content_id"], f"ticket-{ticket.pk}.png", ticket_qr_png(ticket))
            )
        lines.append(line)
    return lines, images


def booking_recipient(booking: Booking) -> str:
    """Who a booking's emails go to: the buyer's account; for a box-office sale (the booking is
    the cashier's), the address the walk-in gave, if any."""
    if booking.channel == SalesChannel.BOX_OFFICE:
        return booking.customer_email
    return booking.user.email


class NothingToSend(Exception):
    """The booking no longer calls for this email; the message says why."""


def _message(
    *,
    booking: Booking,
    template: str,
    subject: str,
    context: dict,
    images: Sequence[InlineImage] = (),
) -> EmailMultiAlternatives:
    recipient = booking_recipient(booking)
    if not recipient:
        if booking.channel == SalesChannel.BOX_OFFICE:
            raise NothingToSend("no address was given at the box office")
        raise NothingToSend("the account has no email address")
    message = EmailMultiAlternatives(
        subject=_one_line(subject),
        body=render_to_string(f"tickets/email/{template}.txt", context),
        to=[recipient],
    )
    message.attach_alternative(
        render_to_string(f"tickets/email/{template}.html", context), "text/html"
    )
    if images:
        # multipart/related: the HTML part shows the QR images through their cid: URLs.
        message.mixed_subtype = "related"
        for image in images:
            part = MIMEImage(image.png, _subtype="png")
            part.add_header("Content-ID", f"<{image.content_id}>")
            part.add_header("Content-Disposition", "inline", filename=image.filename)
            message.attach(part)
    return message


def confirmation_message(booking: Booking) -> EmailMultiAlternatives:
    """The e-tickets of a confirmed booking: seats, prices, total and one QR code per seat."""
    if booking.status != BookingStatus.CONFIRMED:
        raise NothingToSend(f"the booking is {booking.status}, not confirmed")
    with translation.override(_language(booking)):
        context = _booking_context(booking)
        tickets, images = _ticket_lines(booking, with_codes=True)
        if not tickets:
            raise NothingToSend("the booking has no sold tickets")
        context |= {
            "tickets": tickets,
            "total": _money(booking.total, booking.currency),
            "voucher": booking.voucher_code,
            "discount": _money(booking.discount, booking.currency) if booking.discount else "",
        }
        return _message(
            booking=booking,
            template="booking_confirmed",
            subject=gettext("Your tickets for %(movie)s, %(when)s")
            % {"movie": context["movie"], "when": context["starts_at"]},
            context=context,
            images=images,
        )


def cancellation_message(booking: Booking) -> EmailMultiAlternatives:
    """Tell the buyer a held or confirmed booking was cancelled (and whether money follows)."""
    # Refunded: the refund may land before this email goes out; the cancellation still happened.
    if booking.status not in (BookingStatus.CANCELLED, BookingStatus.REFUNDED):
        raise NothingToSend(f"the booking is {booking.status}, not cancelled")
    event = selectors.booking_cancellation_event(booking=booking)
    if event is None:
        raise NothingToSend("the booking was never cancelled")
    was_paid = event.from_status == BookingStatus.CONFIRMED
    refund = hooks.cancellation_refund(booking=booking) if was_paid else None
    with translation.override(_language(booking)):
        context = _booking_context(booking) | {
            "was_paid": was_paid,
            "showtime_cancelled": booking.showtime.status == ShowtimeStatus.CANCELLED,
            "total": _money(booking.total, booking.currency),
        }
        if refund is not None and refund != booking.total:
            # Tickets were given back before: say what went back then and what goes back now.
            earlier = booking.tickets.filter(cancellation__isnull=False).aggregate(
                sum=Sum("refund_amount")
            )["sum"]
            context |= {
                "refund": _money(refund, booking.currency),
                "refunded_before": _money(earlier or Decimal(0), booking.currency),
            }
        return _message(
            booking=booking,
            template="booking_cancelled",
            subject=gettext("Booking cancelled: %(movie)s, %(when)s")
            % {"movie": context["movie"], "when": context["starts_at"]},
            context=context,
        )


def tickets_returned_message(booking: Booking, *, cancellation_id: int | None):
    """Some tickets of a paid booking were given back: which, and how much goes back."""
    cancellation = (
        TicketCancellation.objects.filter(pk=cancellation_id, booking_id=booking.pk).first()
        if cancellation_id is not None
        else None
    )
    if cancellation is None:
        raise NothingToSend("the cancellation is gone")
    with translation.override(_language(booking)):
        returned = [
            {
                "row": ticket.seat.row_label,
                "number": ticket.seat.number,
                "tier": str(TIERS.get(ticket.seat.tier, ticket.seat.tier)),
                "price": _money(ticket.price, booking.currency),
                "refund": _money(ticket.refund_amount, booking.currency),
            }
            for ticket in cancellation.tickets.select_related("seat").order_by("pk")
        ]
        context = _booking_context(booking) | {
            "returned": returned,
            "refund": _money(cancellation.refund_amount, cancellation.currency),
            "has_refund": cancellation.refund_amount > 0,
            "percent": f"{cancellation.percent.normalize():f}",
            "remaining": booking.tickets.filter(status=TicketStatus.SOLD).count(),
        }
        return _message(
            booking=booking,
            template="tickets_returned",
            subject=gettext("Tickets given back: %(movie)s, %(when)s")
            % {"movie": context["movie"], "when": context["starts_at"]},
            context=context,
        )


def waitlist_offer_message(booking: Booking) -> EmailMultiAlternatives:
    """Seats came free and are held for the first in the waiting list: pay before they go."""
    if booking.status != BookingStatus.PENDING:
        raise NothingToSend(f"the offer is {booking.status}, not held")
    with translation.override(_language(booking)):
        tz_name = booking.showtime.screen.theater.timezone
        context = _booking_context(booking) | {
            "seats": booking.tickets.count(),
            "until": f"{formats.local_datetime(booking.expires_at, tz_name)} ({tz_name})",
            "total": _money(booking.total, booking.currency),
        }
        return _message(
            booking=booking,
            template="waitlist_offer",
            subject=gettext("Seats for you: %(movie)s, %(when)s")
            % {"movie": context["movie"], "when": context["starts_at"]},
            context=context,
        )


def refund_message(booking: Booking, *, amount: Decimal, currency: str) -> EmailMultiAlternatives:
    """Confirm money went back to the buyer; sent whatever state the booking is in now."""
    with translation.override(_language(booking)):
        context = _booking_context(booking) | {"amount": _money(amount, currency.upper())}
        return _message(
            booking=booking,
            template="refund",
            subject=gettext("Refund of %(amount)s for %(movie)s")
            % {"amount": context["amount"], "movie": context["movie"]},
            context=context,
        )


def reminder_message(booking: Booking, *, now: datetime) -> EmailMultiAlternatives:
    """Shortly before the show: when, where, and the e-tickets again."""
    if booking.status != BookingStatus.CONFIRMED:
        raise NothingToSend(f"the booking is {booking.status}, not confirmed")
    if booking.showtime.status != ShowtimeStatus.SCHEDULED:
        raise NothingToSend(f"the showtime is {booking.showtime.status}")
    if booking.showtime.starts_at <= now:
        raise NothingToSend("the show has started")
    with translation.override(_language(booking)):
        context = _booking_context(booking)
        tickets, images = _ticket_lines(booking, with_codes=True)
        context["tickets"] = tickets
        return _message(
            booking=booking,
            template="showtime_reminder",
            subject=gettext("Starting soon: %(movie)s, %(when)s")
            % {"movie": context["movie"], "when": context["starts_at"]},
            context=context,
            images=images,
        )


def delivery_message(delivery: EmailDelivery, *, now: datetime) -> EmailMultiAlternatives:
    """The message an outbox row stands for, rendered from its booking as it is now."""
    booking = selectors.booking_get_for_email(booking_id=delivery.booking_id)
    if booking is None:
        raise NothingToSend("the booking is gone")
    if delivery.kind == EmailKind.CONFIRMATION:
        return confirmation_message(booking)
    if delivery.kind == EmailKind.CANCELLATION:
        return cancellation_message(booking)
    if delivery.kind == EmailKind.REFUND:
        return refund_message(booking, amount=delivery.amount, currency=delivery.currency)
    if delivery.kind == EmailKind.REMINDER:
        return reminder_message(booking, now=now)
    if delivery.kind == EmailKind.WAITLIST_OFFER:
        return waitlist_offer_message(booking)
    if delivery.kind == EmailKind.TICKETS_RETURNED:
        return tickets_returned_message(booking, cancellation_id=delivery.cancellation_id)
    raise ValueError(f"unknown email kind {delivery.kind!r}")
