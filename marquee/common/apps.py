import os

from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "marquee.common"
    label = "common"

    def ready(self) -> None:
        from marquee.common import checks  # noqa: F401  (registers the deployment checks)

        os.register_at_fork(after_in_child=forget_cache_connections)


def forget_cache_connections() -> None:
    """A forked child (a Celery pool process, a worker forked after the cache was used) opens
    Redis connections of its own instead of writing into its parent's socket.

    The cache clients keep one connection each (`single_connection_client`, see settings), and
    unlike redis-py's pool such a connection does not notice that it changed process. The
    parent's sockets are left alone: the child only drops its references.
    """
    from django.core.cache import caches

    for cache in caches.all(initialized_only=True):
        client = getattr(cache, "_client", None)
        clients = getattr(client, "_clients", None)
        if clients is not None:
            client._clients = [None] * len(clients)
