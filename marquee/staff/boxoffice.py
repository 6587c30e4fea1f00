"""The box office: selling seats to a walk-in at a till.

A sale goes through the same services as an online one: `booking_hold` (with the channel
`box_office`: the booking belongs to the cashier, a walk-in having no account) and
`payment_take_in_person` (the capture, settling and confirmation of every payment, with the
till and the cashier on the payment). Nothing here decides about seats or money; it puts the
two steps in order and gives the walk-in their tickets.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Prefetch

from marquee.booking import services as booking_services
from marquee.booking.error_codes import BookingErrorCode
from marquee.booking.models import Booking, BookingStatus, SalesChannel, Ticket
from marquee.common.errors import CommonErrorCode, DomainError
from marquee.common.permissions import is_staff_member
from marquee.payments import errors as payment_errors
from marquee.payments import services as payment_services
from marquee.payments.errors import PaymentError
from marquee.payments.models import IN_PERSON_PROVIDERS, Payment
from marquee.staff.boxoffice_error_codes import BoxOfficeErrorCode
from marquee.tickets.outbox import booking_tickets_resend

logger = logging.getLogger("marquee.staff")


def _check_staff(staff) -> None:
    if not is_staff_member(staff):
        raise DomainError(
            "Only staff sell at the box office.", code=CommonErrorCode.PERMISSION_DENIED
        )


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(
            "Enter a valid email address.",
            code=BoxOfficeErrorCode.INVALID_EMAIL,
            details={"email": email},
        ) from None
    return email


def box_office_hold(
    *,
    staff,
    showtime_id: int,
    seat_ids: Sequence[int] | None = None,
    quantity: int | None = None,
    tier: str | None = None,
    allow_split: bool = False,
) -> Booking:
    """Hold seats for a walk-in: the online hold, on the box-office channel.

    `seat_ids` is the seam for ticket types: whatever the hold service takes per seat, the box
    office passes through unchanged."""
    _check_staff(staff)
    return booking_services.booking_hold(
        user=staff,
        showtime_id=showtime_id,
        seat_ids=seat_ids,
        quantity=quantity,
        tier=tier,
        allow_split=allow_split,
        channel=SalesChannel.BOX_OFFICE,
    )


def box_office_pay(
    *, booking: Booking, staff, method: str, till_id: int, email: str = ""
) -> Payment:
    """Take the walk-in's money (cash or card_present) at a till; the booking is confirmed."""
    _check_staff(staff)
    if booking.channel != SalesChannel.BOX_OFFICE:
        raise DomainError(
            "This booking was not sold at the box office.",
            code=BoxOfficeErrorCode.NOT_A_BOX_OFFICE_SALE,
        )
    email = _clean_email(email)
    if email:
        # Before the confirmation: its email (queued on confirm) goes to this address.
        Booking.objects.filter(pk=booking.pk).update(customer_email=email)
        booking.customer_email = email
    return payment_services.payment_take_in_person(
        booking=booking, method=method, till_id=till_id, staff=staff
    )


def box_office_sell(
    *,
    staff,
    showtime_id: int,
    method: str,
    till_id: int,
    seat_ids: Sequence[int] | None = None,
    quantity: int | None = None,
    tier: str | None = None,
    allow_split: bool = False,
    email: str = "",
) -> tuple[Booking, Payment]:
    """Hold and pay in one go (the API's sale). The till, payment method and address are
    checked before any seat is held; if the payment still fails, the hold is let go."""
    _check_staff(staff)
    email = _clean_email(email)
    if method not in IN_PERSON_PROVIDERS:
        raise payment_errors.not_a_till_method(method)
    payment_services.till_for_sale(till_id=till_id)
    booking = box_office_hold(
        staff=staff,
        showtime_id=showtime_id,
        seat_ids=seat_ids,
        quantity=quantity,
        tier=tier,
        allow_split=allow_split,
    )
    try:
        payment = box_office_pay(
            booking=booking, staff=staff, method=method, till_id=till_id, email=email
        )
    except PaymentError:
        _let_go(booking, staff)
        raise
    booking.refresh_from_db()
    return booking, payment


def _let_go(booking: Booking, staff) -> None:
    try:
        booking_services.booking_cancel(
            booking=booking, actor=staff, reason="box office payment not taken"
        )
    except DomainError:  # already confirmed or gone: nothing of ours to release
        logger.warning("box office hold not released", extra={"booking": str(booking.public_id)})


def box_office_cancel_hold(*, booking: Booking, staff) -> Booking:
    """The walk-in changed their mind before paying: the seats go back on sale at once."""
    _check_staff(staff)
    if booking.status != BookingStatus.PENDING:
        raise DomainError(
            f"A booking that is {booking.status} is not a hold.",
            code=BookingErrorCode.BOOKING_NOT_CANCELLABLE,
        )
    return booking_services.booking_cancel(booking=booking, actor=staff, reason="box office")


def box_office_email_tickets(*, booking: Booking, staff, email: str):
    """Email a box-office sale's e-tickets to the address the walk-in gives (kept on it)."""
    _check_staff(staff)
    email = _clean_email(email)
    if not email:
        raise DomainError("Enter an email address.", code=BoxOfficeErrorCode.INVALID_EMAIL)
    with transaction.atomic():
        Booking.objects.filter(pk=booking.pk).update(customer_email=email)
        delivery = booking_tickets_resend(booking_id=booking.pk, requested_by=staff)
    return delivery


def box_office_sale(*, public_id: uuid.UUID | str) -> Booking:
    """A box-office booking by its public id (any cashier's): 404 `sale_not_found` otherwise."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise DomainError(
            "No such box-office sale.", code=BoxOfficeErrorCode.SALE_NOT_FOUND
        ) from None
    booking = (
        Booking.objects.select_related("showtime__movie", "showtime__screen__theater", "user")
        .prefetch_related(
            Prefetch(
                "tickets",
                queryset=Ticket.objects.select_related("seat").order_by("seat__y", "seat__x"),
            )
        )
        .filter(public_id=public_id, channel=SalesChannel.BOX_OFFICE)
        .first()
    )
    if booking is None:
        raise DomainError("No such box-office sale.", code=BoxOfficeErrorCode.SALE_NOT_FOUND)
    return booking
