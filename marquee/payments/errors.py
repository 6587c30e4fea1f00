from marquee.common.errors import ApplicationError


class PaymentError(ApplicationError):
    default_code = "payment_error"


def not_payable(status: str) -> PaymentError:
    return PaymentError(
        f"A booking that is {status} cannot be paid.", code="booking_not_payable", status_code=409
    )


def invalid_payload(*, field: str | None = None) -> PaymentError:
    """A webhook body that is not a well-formed Stripe event (signed or not); nothing changes."""
    message = "The webhook body is not a well-formed Stripe event."
    if field:
        message = f"The webhook event is malformed at `{field}`."
    return PaymentError(
        message, code="invalid_payload", details={"field": field} if field else None
    )
