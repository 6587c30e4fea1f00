"""Signals the booking engine sends; apps further down (tickets, payments) listen.

Both are sent *inside* the transaction that changed the booking, so a receiver's writes
commit or roll back with it. Receivers queue emails and provider calls with
`transaction.on_commit`, never inline.

- `booking_confirmed(sender=Booking, booking=..., actor=...)`
- `booking_cancelled(sender=Booking, booking=..., previous_status=..., actor=..., reason=...,
  refund_reason=...)`: `refund_reason` (a `RefundReason`) says why a paid booking's money goes
  back; `reason` is the free-text note.
- `tickets_cancelled(sender=Booking, booking=..., cancellation=..., actor=...,
  refund_reason=...)`: some tickets of a confirmed booking were given back (a
  `TicketCancellation`, with the refund decided).
"""

from django.dispatch import Signal

booking_confirmed = Signal()
booking_cancelled = Signal()
tickets_cancelled = Signal()
