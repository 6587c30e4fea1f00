"""Idempotency-Key for POST /bookings/: a retried request gets the first answer, not a second
booking. The key is claimed (inserted) before the work, so two retries racing each other
cannot both book; a failed attempt releases its claim so the client may try again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from marquee.booking.error_codes import BookingErrorCode
from marquee.booking.errors import BookingError
from marquee.booking.models import IdempotencyKey

# A claim this old whose request never finished belongs to a process that died.
ABANDONED_AFTER = timedelta(seconds=60)
MAX_KEY_LENGTH = 255


def request_fingerprint(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _claim(*, user, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Insert the key; on a clash return the row that holds it."""
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(user=user, key=key, request_fingerprint=fingerprint)
        return None
    except IntegrityError:
        return IdempotencyKey.objects.filter(user=user, key=key).first()


def run_idempotent(
    *, user, key: str, payload: Any, perform: Callable[[], tuple[int, dict]]
) -> tuple[int, dict]:
    """Run `perform` once per (user, key); replay its (status, body) on a retry."""
    # Printable only: a NUL would reach PostgreSQL's text (a 500), and no client sends controls.
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BookingError(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.",
            code=BookingErrorCode.INVALID_IDEMPOTENCY_KEY,
        )
    fingerprint = request_fingerprint(payload)
    now = timezone.now()
    expired_before = now - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    for _ in range(2):
        existing = _claim(user=user, key=key, fingerprint=fingerprint)
        if existing is None:
            break
        stale = existing.created_at < expired_before or (
            existing.response_status is None and existing.created_at < now - ABANDONED_AFTER
        )
        if stale:
            IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if existing.request_fingerprint != fingerprint:
            raise BookingError(
                "This Idempotency-Key was used with a different request.",
                code=BookingErrorCode.IDEMPOTENCY_KEY_REUSED,
            )
        if existing.response_status is None:
            raise BookingError(
                "The first request with this Idempotency-Key is still running; retry shortly.",
                code=BookingErrorCode.IDEMPOTENCY_IN_PROGRESS,
                details={"retry_after_seconds": 1},
            )
        return existing.response_status, existing.response_body
    else:
        raise BookingError(
            "The Idempotency-Key is busy; retry shortly.",
            code=BookingErrorCode.IDEMPOTENCY_IN_PROGRESS,
        )

    try:
        status_code, body = perform()
    except BaseException:
        IdempotencyKey.objects.filter(user=user, key=key, response_status=None).delete()
        raise
    IdempotencyKey.objects.filter(user=user, key=key).update(
        response_status=status_code, response_body=body
    )
    return status_code, body


def idempotency_keys_purge(*, now=None) -> int:
    """Forget keys older than their lifetime."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
