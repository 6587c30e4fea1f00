from celery import shared_task
from django.conf import settings

from marquee.accounts.services import auth_records_prune


@shared_task
def prune_auth_records() -> dict[str, int]:
    """Hygiene: expired sessions and tokens, and login records past their retention."""
    return auth_records_prune(login_log_days=settings.LOGIN_LOG_RETENTION_DAYS)
