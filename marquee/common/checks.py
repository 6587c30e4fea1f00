"""Deployment checks of our own, run by `manage.py check --deploy` beside Django's."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register

PER_PROCESS_CACHES = ("locmem", "dummy", "filebased")


@register("marquee", deploy=True)
def shared_cache_check(app_configs, **kwargs) -> list[Warning]:
    """Production needs a cache every process shares: without one, each gunicorn worker
    throttles on its own counters and the catalog, showtime-context and seat-map reuse is off
    (nothing would tell one process that another changed something)."""
    backend = settings.CACHES["default"]["BACKEND"].lower()
    if any(kind in backend for kind in PER_PROCESS_CACHES):
        return [
            Warning(
                "The cache is local to each process: throttles count per worker and the "
                "shared-version caches (catalog responses, showtime contexts, rendered seat "
                "maps) are off.",
                hint="Set REDIS_URL (docs/operations.md).",
                id="marquee.W001",
            )
        ]
    return []
