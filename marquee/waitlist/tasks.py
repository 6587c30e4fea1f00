from celery import shared_task

from marquee.waitlist.services import waitlist_offer_all, waitlist_offer_next


@shared_task(ignore_result=True)
def offer_freed_seats(showtime_id: int) -> int:
    """Queued after a commit that freed seats of a showtime with a waiting list."""
    return len(waitlist_offer_next(showtime_id=showtime_id))


@shared_task(ignore_result=True)
def offer_all() -> int:
    """Periodic (beat, every minute)."""
    return waitlist_offer_all()
