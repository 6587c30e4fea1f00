"""E-ticket codes: `<ticket id>.<secret>.<signature>`, signed with the tickets' own key, and
the signed links of the read-only booking page the emails point at.

The signature makes a code unguessable and lets the door reject a forged or garbled one
before touching the database; the per-ticket secret (compared again at check-in) lets a
ticket be invalidated by changing it. Every character is URL-safe: `[A-Za-z0-9_.-]`.

`TICKET_SIGNING_KEY` (default `SECRET_KEY`) signs; a code signed with one of
`TICKET_SIGNING_KEY_FALLBACKS` (default `SECRET_KEY_FALLBACKS`) still verifies, so rotating
the key does not void the tickets already sold. Another kind of signature (public-key codes a
door device can verify offline) would be another signer behind the same two functions.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core import signing

from marquee.tickets import errors

SALT = "marquee.ticket"
BOOKING_PAGE_SALT = "marquee.booking-page"
SEPARATOR = "."
# A real code is about 65 characters; anything much longer is garbage, not a ticket.
MAX_CODE_LENGTH = 128
MAX_TICKET_ID = 2**63 - 1  # a BigAutoField; larger numbers cannot be ticket ids


def tickets_signer(salt: str) -> signing.Signer:
    """A signer with the tickets' key and its fallbacks (for codes and booking-page links)."""
    return signing.Signer(
        key=settings.TICKET_SIGNING_KEY,
        fallback_keys=settings.TICKET_SIGNING_KEY_FALLBACKS,
        salt=salt,
        sep=SEPARATOR,
    )


def _signer() -> signing.Signer:
    return tickets_signer(SALT)


def ticket_code(ticket) -> str:
    """The signed code printed in a ticket's QR image."""
    return _signer().sign(f"{ticket.pk}{SEPARATOR}{ticket.secret}")


def parse_ticket_code(code: object) -> tuple[int, str]:
    """The (ticket id, secret) a genuine code carries; no database access."""
    if not isinstance(code, str):
        raise errors.invalid_ticket_code()
    code = code.strip()
    if not code or len(code) > MAX_CODE_LENGTH:
        raise errors.invalid_ticket_code()
    try:
        value = _signer().unsign(code)
    except signing.BadSignature:
        raise errors.invalid_ticket_code() from None
    ticket_id, separator, secret = value.partition(SEPARATOR)
    if not (separator and secret and ticket_id.isascii() and ticket_id.isdigit()):
        raise errors.invalid_ticket_code()
    number = int(ticket_id)
    if not 1 <= number <= MAX_TICKET_ID:
        raise errors.invalid_ticket_code()
    return number, secret


def booking_page_token(booking) -> str:
    """The signed part of a booking page's address: `<booking uuid>.<signature>`."""
    return tickets_signer(BOOKING_PAGE_SALT).sign(str(booking.public_id))


def parse_booking_page_token(token: str) -> uuid.UUID | None:
    """The booking's public id a genuine token carries, or None; no database access."""
    if not token or len(token) > MAX_CODE_LENGTH:
        return None
    try:
        return uuid.UUID(tickets_signer(BOOKING_PAGE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
