"""The booking engine's stable error codes: clients branch on these, so never rename one."""

from enum import StrEnum


class BookingErrorCode(StrEnum):
    BOOKING_ERROR = "booking_error"
    SHOWTIME_NOT_FOUND = "showtime_not_found"
    SHOWTIME_CANCELLED = "showtime_cancelled"
    SHOWTIME_STARTED = "showtime_started"
    SHOWTIME_HAS_BOOKINGS = "showtime_has_bookings"
    BOOKING_NOT_FOUND = "booking_not_found"
    NO_SEATS_REQUESTED = "no_seats_requested"
    TOO_MANY_SEATS = "too_many_seats"
    DUPLICATE_SEATS = "duplicate_seats"
    SEATS_NOT_IN_SCREEN = "seats_not_in_screen"
    INVALID_TIER = "invalid_tier"
    SEATS_UNAVAILABLE = "seats_unavailable"
    SEATS_BUSY = "seats_busy"
    HOLD_LIMIT_REACHED = "hold_limit_reached"
    NO_ADJACENT_SEATS = "no_adjacent_seats"
    NOT_ENOUGH_SEATS = "not_enough_seats"
    CANCELLATION_CLOSED = "cancellation_closed"
    BOOKING_NOT_CANCELLABLE = "booking_not_cancellable"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    # Accessible seating (marquee/booking/accessibility.py).
    COMPANION_REQUIRES_WHEELCHAIR = "companion_requires_wheelchair"
    ACCESSIBLE_QUANTITY = "accessible_quantity"
    NO_ACCESSIBLE_SEATS = "no_accessible_seats"
    # Giving back some tickets, and the refund policy.
    NO_TICKETS_REQUESTED = "no_tickets_requested"
    DUPLICATE_TICKETS = "duplicate_tickets"
    TICKETS_NOT_IN_BOOKING = "tickets_not_in_booking"
    TICKETS_NOT_ACTIVE = "tickets_not_active"
    REFUND_OVERRIDE_NOT_ALLOWED = "refund_override_not_allowed"
    REFUND_OVERRIDE_NEEDS_REASON = "refund_override_needs_reason"
    REFUND_OVERRIDE_NOT_APPLICABLE = "refund_override_not_applicable"
