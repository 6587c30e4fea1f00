from celery import shared_task

from marquee.payments.services import refund_process, refunds_retry_failed


@shared_task(ignore_result=True)
def process_refund(refund_id: int) -> None:
    refund_process(refund_id=refund_id)


@shared_task(ignore_result=True)
def retry_failed_refunds() -> int:
    return refunds_retry_failed()
