from marquee.common.errors import ApplicationError


class PaymentError(ApplicationError):
    default_code = "payment_error"


def not_payable(status: str) -> PaymentError:
    return PaymentError(
        f"A booking that is {status} cannot be paid.", code="booking_not_payable", status_code=409
    )
