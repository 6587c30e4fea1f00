from django.dispatch import receiver

from marquee.booking.models import RefundReason
from marquee.booking.signals import booking_cancelled, tickets_cancelled
from marquee.payments.services import refund_request_partial, refunds_for_cancelled_booking


@receiver(booking_cancelled, dispatch_uid="refund-cancelled-paid-booking")
def _refund_cancelled(sender, booking, previous_status, **kwargs) -> None:
    refunds_for_cancelled_booking(
        booking=booking,
        previous_status=previous_status,
        reason_code=kwargs.get("refund_reason") or RefundReason.OTHER,
        note=kwargs.get("reason") or "",
    )


@receiver(tickets_cancelled, dispatch_uid="refund-tickets-given-back")
def _refund_given_back(sender, cancellation, **kwargs) -> None:
    refund_request_partial(cancellation=cancellation, reason_code=kwargs.get("refund_reason"))
