"""Customer emails: confirmation with e-tickets, cancellation, refund, showtime reminder.

Each function takes a booking id (tasks pass ids, never objects), re-reads the booking and
sends nothing when its status no longer fits. Returns whether an email went out. SMTP
errors propagate so the calling task can retry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext_lazy

from marquee.booking.models import Booking, BookingStatus, TicketStatus
from marquee.catalog.models import Showtime, ShowtimeStatus
from marquee.common import formats
from marquee.tickets import selectors, services
from marquee.tickets.codes import ticket_code
from marquee.tickets.qr import ticket_qr_png

logger = logging.getLogger("marquee.tickets")


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


def _money(amount: Decimal | str, currency: str) -> str:
    return formats.money(amount, currency)


def _language(booking: Booking) -> str:
    """The buyer's language (the one the site last served them), else the default."""
    return booking.user.language or settings.LANGUAGE_CODE


def _one_line(text: str) -> str:
    # A title with a line break must not become a header injection (or a BadHeaderError).
    return " ".join(text.split())


def _booking_context(booking: Booking) -> dict:
    showtime = booking.showtime
    theater = showtime.screen.theater
    return {
        "reference": str(booking.public_id),
        "holder": booking.user.get_full_name() or booking.user.username,
        "movie": showtime.movie.title,
        "theater": theater.name,
        "theater_address": theater.address,
        "screen": showtime.screen.name,
        "starts_at": local_start_text(showtime),
        # The booking page of the site (marquee.web), where the tickets and the QR codes are.
        "booking_url": f"{settings.SITE_URL.rstrip('/')}/bookings/{booking.public_id}/",
    }


def _ticket_lines(booking: Booking, *, with_codes: bool) -> tuple[list[dict], list[InlineImage]]:
    lines, images = [], []
    for ticket in booking.tickets.all():
        if ticket.status != TicketStatus.SOLD:
            continue
        line = {
            "id": ticket.pk,
            "row": ticket.seat.row_label,
            "number": ticket.seat.number,
            "tier": str(TIERS.get(ticket.seat.tier, ticket.seat.tier)),
            "price": _money(ticket.price, booking.currency),
        }
        if with_codes:
            line["code"] = ticket_code(ticket)
            line["content_id"] = f"ticket-{ticket.pk}@marquee"
            images.append(
                InlineImage(line["content_id"], f"ticket-{ticket.pk}.png", ticket_qr_png(ticket))
            )
        lines.append(line)
    return lines, images


def _send(
    *,
    booking: Booking,
    template: str,
    subject: str,
    context: dict,
    images: Sequence[InlineImage] = (),
) -> bool:
    recipient = booking.user.email
    if not recipient:
        logger.warning("no email address", extra={"booking": str(booking.public_id)})
        return False
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
    message.send()
    logger.info("email sent", extra={"booking": str(booking.public_id), "template": template})
    return True


def send_booking_confirmation(booking_id: int) -> bool:
    """The e-tickets of a confirmed booking: seats, prices, total and one QR code per seat."""
    booking = selectors.booking_get_for_email(booking_id=booking_id)
    if booking is None or booking.status != BookingStatus.CONFIRMED:
        return False
    with translation.override(_language(booking)):
        context = _booking_context(booking)
        tickets, images = _ticket_lines(booking, with_codes=True)
        if not tickets:
            return False
        context |= {"tickets": tickets, "total": _money(booking.total, booking.currency)}
        return _send(
            booking=booking,
            template="booking_confirmed",
            subject=gettext("Your tickets for %(movie)s, %(when)s")
            % {"movie": context["movie"], "when": context["starts_at"]},
            context=context,
            images=images,
        )


def send_booking_cancellation(booking_id: int) -> bool:
    """Tell the buyer a held or confirmed booking was cancelled (and whether money follows)."""
    booking = selectors.booking_get_for_email(booking_id=booking_id)
    # Refunded: the refund may land before this email goes out; the cancellation still happened.
    if booking is None or booking.status not in (BookingStatus.CANCELLED, BookingStatus.REFUNDED):
        return False
    event = selectors.booking_cancellation_event(booking=booking)
    if event is None:
        return False
    with translation.override(_language(booking)):
        context = _booking_context(booking) | {
            "was_paid": event.from_status == BookingStatus.CONFIRMED,
            "showtime_cancelled": booking.showtime.status == ShowtimeStatus.CANCELLED,
            "total": _money(booking.total, booking.currency),
        }
        return _send(
            booking=booking,
            template="booking_cancelled",
            subject=gettext("Booking cancelled: %(movie)s, %(when)s")
            % {"movie": context["movie"], "when": context["starts_at"]},
            context=context,
        )


def send_refund_notice(booking_id: int, amount: str, currency: str) -> bool:
    """Confirm money went back to the buyer; sent whatever state the booking is in now."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"not an amount: {amount!r}") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"not a refundable amount: {amount!r}")
    booking = selectors.booking_get_for_email(booking_id=booking_id)
    if booking is None:
        return False
    with translation.override(_language(booking)):
        context = _booking_context(booking) | {"amount": _money(value, currency.upper())}
        return _send(
            booking=booking,
            template="refund",
            subject=gettext("Refund of %(amount)s for %(movie)s")
            % {"amount": context["amount"], "movie": context["movie"]},
            context=context,
        )


def send_showtime_reminder(booking_id: int, *, now: datetime | None = None) -> bool:
    """Once per booking, shortly before the show: when, where, and the e-tickets again."""
    now = now or timezone.now()
    booking = selectors.booking_get_for_email(booking_id=booking_id)
    if (
        booking is None
        or booking.status != BookingStatus.CONFIRMED
        or booking.reminded_at is not None
        or booking.showtime.status != ShowtimeStatus.SCHEDULED
        or booking.showtime.starts_at <= now
    ):
        return False
    # Claim first: of two runs racing here, exactly one sends.
    if not services.booking_reminder_claim(booking_id=booking.pk, now=now):
        return False
    try:
        with translation.override(_language(booking)):
            context = _booking_context(booking)
            tickets, images = _ticket_lines(booking, with_codes=True)
            context["tickets"] = tickets
            return _send(
                booking=booking,
                template="showtime_reminder",
                subject=gettext("Starting soon: %(movie)s, %(when)s")
                % {"movie": context["movie"], "when": context["starts_at"]},
                context=context,
                images=images,
            )
    except Exception:
        services.booking_reminder_release(booking_id=booking.pk, claimed_at=now)
        raise
