"""Signals the catalog sends; apps further down (booking) listen, the catalog never imports them.
Signals notify; a rule that may refuse a change is a hook (`marquee.catalog.hooks`).

`showtime_cancelled(sender=Showtime, showtime=..., cancelled_by=user or None)` is sent *inside*
the transaction that marks the showtime cancelled, so a receiver's writes (cancelling the
showtime's bookings, freeing tickets) commit or roll back together with the cancellation. A
receiver that raises aborts the cancellation. Receivers must not send email or call payment
providers directly: queue those with `transaction.on_commit`.
"""

from django.dispatch import Signal

showtime_cancelled = Signal()
