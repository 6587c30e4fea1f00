"""The payments app's stable error codes: clients branch on these, so never rename one."""

from enum import StrEnum


class PaymentErrorCode(StrEnum):
    PAYMENT_ERROR = "payment_error"
    BOOKING_NOT_PAYABLE = "booking_not_payable"
    ALREADY_PAID = "already_paid"
    HOLD_EXPIRED = "hold_expired"
    AMOUNT_NOT_CHARGEABLE = "amount_not_chargeable"
    PAYMENT_PROCESSING = "payment_processing"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    INVALID_PAYLOAD = "invalid_payload"
    INVALID_SIGNATURE = "invalid_signature"
    INVALID_CARD_NUMBER = "invalid_card_number"
    PAYMENT_DECLINED = "payment_declined"
    SEATS_LOST = "seats_lost"
    # The box office's tills.
    TILL_NOT_FOUND = "till_not_found"
    TILL_CLOSED = "till_closed"
    INVALID_PAYMENT_METHOD = "invalid_payment_method"
    REFUND_EXCEEDS_PAYMENT = "refund_exceeds_payment"
