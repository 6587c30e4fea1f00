import logging

from celery import shared_task

from marquee.payments import reconciliation
from marquee.payments.services import (
    payments_settle_captured,
    refund_process,
    refunds_retry_failed,
)

logger = logging.getLogger("marquee.payments")


@shared_task(ignore_result=True)
def process_refund(refund_id: int) -> None:
    refund_process(refund_id=refund_id)


@shared_task(ignore_result=True)
def retry_failed_refunds() -> int:
    # Captures whose request failed after the money was taken are settled first (kept, or
    # refunded), then the refunds that failed are tried again.
    payments_settle_captured()
    return refunds_retry_failed()


@shared_task(ignore_result=True)
def reconcile() -> int:
    """Periodic (beat): every breach of an invariant of seats or money is logged at ERROR."""
    breaches = reconciliation.reconcile(limit=100)
    for breach in breaches:
        logger.error(
            "invariant breached",
            extra={
                "check": breach.check.name,
                "promise": breach.check.promise,
                "rows": breach.check.rows,
                "ids": breach.ids,
            },
        )
    return len(breaches)
