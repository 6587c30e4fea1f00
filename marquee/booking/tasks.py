from celery import shared_task

from marquee.booking.idempotency import idempotency_keys_purge
from marquee.booking.services import bookings_expire


@shared_task
def expire_holds() -> int:
    """Hygiene only: holds are free once expired whether or not this runs."""
    expired = bookings_expire()
    idempotency_keys_purge()
    return expired
