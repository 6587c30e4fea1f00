"""Liveness and readiness: /healthz says the process answers, /readyz that its
dependencies (database, cache, broker) do and that the database schema is migrated."""

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


_migrations_applied = False  # once true it stays true for this process: no check costs more


def _check_migrations() -> None:
    """Every migration this code has is applied; until then each API call could be a 500."""
    global _migrations_applied
    if _migrations_applied:
        return
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections["default"])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        names = [f"{migration.app_label}.{migration.name}" for migration, _ in pending]
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise RuntimeError(f"{len(names)} unapplied (run `manage.py migrate`): {shown}")
    _migrations_applied = True


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
        ("migrations", _check_migrations),
        ("cache", _check_cache),
        ("broker", _check_broker),
    ):
        if name == "migrations" and "database" in failed:
            checks[name] = {"status": "skipped"}  # not knowable without the database
            continue
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
