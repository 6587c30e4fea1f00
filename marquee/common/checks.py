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


@register("marquee", deploy=True)
def trusted_proxy_check(app_configs, **kwargs) -> list[Warning]:
    """Behind a proxy that nobody declared, every client has the proxy's address: one address
    for the whole audience, so one abuser throttles everybody. Declared wrongly the other way,
    any client picks its own address. Production says how many proxies there are."""
    if settings.TRUSTED_PROXY_COUNT_SET:
        return []
    return [
        Warning(
            "TRUSTED_PROXY_COUNT is not set: X-Forwarded-For is ignored and each request's "
            "address is its TCP peer. Behind a proxy, every client would share its address.",
            hint="Set TRUSTED_PROXY_COUNT to the number of proxies in front of the app (1 "
            "behind one nginx or load balancer; 0 if clients connect directly). See "
            "docs/operations.md.",
            id="marquee.W002",
        )
    ]
