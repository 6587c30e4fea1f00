from marquee.common.errors import ApplicationError


class PaymentError(ApplicationError):
    default_code = "payment_error"


def not_payable(status: str) -> PaymentError:
    return PaymentError(
        f"A booking that is {status} cannot be paid.", code="booking_not_payable", status_code=409
    )


def already_paid(message: str = "This booking is already paid.") -> PaymentError:
    return PaymentError(message, code="already_paid", status_code=409)


def hold_expired() -> PaymentError:
    return PaymentError(
        "The hold on these seats has expired; book them again.",
        code="hold_expired",
        status_code=409,
    )


def amount_not_chargeable(*, amount: str, currency: str) -> PaymentError:
    # Not an outage, and nothing the buyer can change: the total cannot be expressed in the
    # provider's units (Stripe takes three-decimal currencies in whole hundredths only).
    return PaymentError(
        "The payment provider cannot charge this amount in this currency.",
        code="amount_not_chargeable",
        status_code=422,
        details={"amount": amount, "currency": currency},
    )


def payment_processing() -> PaymentError:
    # The money was taken and is on record; settling it met busy rows and is retried shortly.
    return PaymentError(
        "Your payment was received and is being confirmed; check the booking in a moment.",
        code="payment_processing",
        status_code=503,
        details={"retry_after_seconds": 5},
    )


def provider_unavailable() -> PaymentError:
    # What went wrong (hosts, ports, errno) is logged; the customer gets a plain "try again".
    return PaymentError(
        "The payment provider is unavailable; try again.",
        code="provider_unavailable",
        status_code=503,
    )


def invalid_payload(*, field: str | None = None) -> PaymentError:
    """A webhook body that is not a well-formed Stripe event (signed or not); nothing changes."""
    message = "The webhook body is not a well-formed Stripe event."
    if field:
        message = f"The webhook event is malformed at `{field}`."
    return PaymentError(
        message, code="invalid_payload", details={"field": field} if field else None
    )


def till_not_found() -> PaymentError:
    return PaymentError("No such till.", code="till_not_found", status_code=404)


def till_closed() -> PaymentError:
    return PaymentError(
        "This till is closed; choose another one.", code="till_closed", status_code=409
    )


def not_a_till_method(method: str) -> PaymentError:
    return PaymentError(
        "A till takes cash or card_present.",
        code="invalid_payment_method",
        details={"payment_method": method},
    )


def not_staff() -> PaymentError:
    return PaymentError(
        "Only staff take payments at a till.", code="permission_denied", status_code=403
    )
