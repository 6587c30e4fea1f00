"""The payments app's refusals: plain exceptions with a code from `PaymentErrorCode`."""

from marquee.common.errors import DomainError
from marquee.payments.error_codes import PaymentErrorCode


class PaymentError(DomainError):
    default_code = PaymentErrorCode.PAYMENT_ERROR


def not_payable(status: str) -> PaymentError:
    return PaymentError(
        f"A booking that is {status} cannot be paid.", code=PaymentErrorCode.BOOKING_NOT_PAYABLE
    )


def already_paid(message: str = "This booking is already paid.") -> PaymentError:
    return PaymentError(message, code=PaymentErrorCode.ALREADY_PAID)


def hold_expired() -> PaymentError:
    return PaymentError(
        "The hold on these seats has expired; book them again.",
        code=PaymentErrorCode.HOLD_EXPIRED,
    )


def amount_not_chargeable(*, amount: str, currency: str) -> PaymentError:
    # Not an outage, and nothing the buyer can change: the total cannot be expressed in the
    # provider's units (Stripe takes three-decimal currencies in whole hundredths only).
    return PaymentError(
        "The payment provider cannot charge this amount in this currency.",
        code=PaymentErrorCode.AMOUNT_NOT_CHARGEABLE,
        details={"amount": amount, "currency": currency},
    )


def payment_processing() -> PaymentError:
    # The money was taken and is on record; settling it met busy rows and is retried shortly.
    return PaymentError(
        "Your payment was received and is being confirmed; check the booking in a moment.",
        code=PaymentErrorCode.PAYMENT_PROCESSING,
        details={"retry_after_seconds": 5},
    )


def provider_unavailable() -> PaymentError:
    # What went wrong (hosts, ports, errno) is logged; the customer gets a plain "try again".
    return PaymentError(
        "The payment provider is unavailable; try again.",
        code=PaymentErrorCode.PROVIDER_UNAVAILABLE,
    )


def invalid_payload(*, field: str | None = None) -> PaymentError:
    """A webhook body that is not a well-formed Stripe event (signed or not); nothing changes."""
    message = "The webhook body is not a well-formed Stripe event."
    if field:
        message = f"The webhook event is malformed at `{field}`."
    return PaymentError(
        message, code=PaymentErrorCode.INVALID_PAYLOAD, details={"field": field} if field else None
    )
