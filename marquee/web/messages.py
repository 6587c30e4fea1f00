"""What the site says when a service refuses: the domain error's stable `code` mapped to a
sentence in the visitor's language. The services' own messages are the API's (English)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext, ngettext

from marquee.common.errors import DomainError

_MESSAGES = {
    "seats_unavailable": lambda: gettext(
        "Someone else took some of these seats a moment ago. They are marked as taken; "
        "the rest of your selection is kept."
    ),
    "seats_busy": lambda: gettext("These seats are being booked right now. Please try again."),
    "showtime_cancelled": lambda: gettext("This show was cancelled."),
    "showtime_started": lambda: gettext("This show has already started."),
    "showtime_not_found": lambda: gettext("This show does not exist."),
    "no_seats_requested": lambda: gettext("Pick at least one seat."),
    "too_many_seats": lambda: (
        ngettext(
            "You can book at most %(count)d seat at a time.",
            "You can book at most %(count)d seats at a time.",
            settings.BOOKING_MAX_SEATS,
        )
        % {"count": settings.BOOKING_MAX_SEATS}
    ),
    "duplicate_seats": lambda: gettext("A seat was picked twice."),
    "seats_not_in_screen": lambda: gettext("Some of these seats are not in this hall."),
    "no_adjacent_seats": lambda: gettext(
        "No row has that many free seats side by side. Pick seats on the map instead."
    ),
    "not_enough_seats": lambda: gettext("There are not that many free seats left."),
    "invalid_tier": lambda: gettext("Unknown seat category."),
    "cancellation_closed": lambda: gettext("This booking can no longer be cancelled."),
    "booking_not_cancellable": lambda: gettext("This booking cannot be cancelled."),
    "companion_requires_wheelchair": lambda: gettext(
        "A companion seat is booked together with the wheelchair space beside it until "
        "shortly before the show."
    ),
    "no_accessible_seats": lambda: gettext("No wheelchair space is free for this show."),
    "already_on_waitlist": lambda: gettext("You are on this waiting list already."),
    "not_on_waitlist": lambda: gettext("You are not on this waiting list."),
    "seats_available": lambda: gettext("Seats are free for this show: book them now."),
    "invalid_seat_count": lambda: gettext("Choose how many seats you wait for."),
    "no_tickets_requested": lambda: gettext("Tick at least one ticket to give back."),
    "duplicate_tickets": lambda: gettext("A ticket was ticked twice."),
    "tickets_not_in_booking": lambda: gettext("Some of these tickets are not in this booking."),
    "tickets_not_active": lambda: gettext("Some of these tickets were given back already."),
    "booking_not_found": lambda: gettext("No such booking."),
    "already_paid": lambda: gettext("This booking is already paid."),
    "booking_not_payable": lambda: gettext("This booking can no longer be paid."),
    "hold_expired": lambda: gettext("Your hold on these seats has expired. Pick them again."),
    "invalid_card_number": lambda: gettext("Please enter a valid card number."),
    "payment_declined": lambda: gettext("Your card was declined. Try another card."),
    "seats_lost": lambda: gettext(
        "The seats were released before the payment arrived; the payment is being refunded."
    ),
    "provider_unavailable": lambda: gettext(
        "The payment service is unavailable right now. Please try again in a moment."
    ),
    "ticket_type_unknown": lambda: gettext("Unknown ticket type."),
    "ticket_type_not_offered": lambda: gettext(
        "This show does not sell that ticket type for some of these seats."
    ),
    "ticket_counts_mismatch": lambda: gettext(
        "The number of tickets per type does not add up to the number of seats."
    ),
    "voucher_invalid": lambda: gettext("No such voucher code."),
    "voucher_expired": lambda: gettext("This voucher has expired."),
    "voucher_inactive": lambda: gettext("This voucher is no longer valid."),
    "voucher_not_yet_valid": lambda: gettext("This voucher is not valid yet."),
    "voucher_not_applicable": lambda: gettext("This voucher is not valid for this booking."),
    "voucher_min_seats": lambda: gettext("This voucher needs more seats."),
    "voucher_exhausted": lambda: gettext("This voucher has been used up."),
    "voucher_user_limit": lambda: gettext("You have used this voucher as often as it allows."),
    "voucher_already_applied": lambda: gettext("This booking already has a voucher."),
    "payment_in_progress": lambda: gettext(
        "A payment for this booking is under way; a voucher can no longer be added."
    ),
}


def error_message(error: DomainError) -> str:
    """The visitor-facing sentence for a refused request."""
    message = _MESSAGES.get(error.code)
    return message() if message else gettext("That did not work. Please try again.")
