"""Liveness and readiness: /healthz says the process answers, /readyz that its
dependencies (database, cache, broker) do."""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse

logger = logging.getLogger("marquee.health")


def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    client = getattr(cache, "client", None)
    if client is not None and hasattr(client, "get_client"):
        # django-redis swallows errors on purpose (reads degrade); ask Redis directly.
        client.get_client(write=True).ping()
        return
    cache.set("readyz", "1", 5)
    if cache.get("readyz") != "1":
        raise RuntimeError("cache did not return what was stored")


def _check_broker() -> str | None:
    if settings.CELERY_TASK_ALWAYS_EAGER or settings.CELERY_BROKER_URL.startswith("memory://"):
        return "in-process"
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as connection:
        connection.ensure_connection(max_retries=1, timeout=2)
    return None


def readyz(request):
    checks, failed = {}, []
    for name, check in (
        ("database", _check_database),
        ("cache", _check_cache),
        ("broker", _check_broker),
    ):
        started = time.monotonic()
        try:
            note = check()
            checks[name] = {
                "status": note or "ok",
                "ms": round((time.monotonic() - started) * 1000, 1),
            }
        except Exception as error:  # any failure is "not ready", with the reason
            logger.warning("readiness check failed", extra={"check": name, "error": str(error)})
            checks[name] = {"status": "failed", "error": str(error)[:200]}
            failed.append(name)
    status = 503 if failed else 200
    return JsonResponse(
        {"status": "ready" if not failed else "unavailable", "failed": failed, "checks": checks},
        status=status,
    )
