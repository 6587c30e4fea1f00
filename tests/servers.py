"""Helpers for tests that talk to real processes: servers they start (gunicorn, a Celery worker)
on the test database, and a Redis nobody listens on."""

import socket

from django.db import connection


def subprocess_database_url() -> str:
    """DATABASE_URL of the test database, for a process started by a test."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    scheme, default_user, default_port = {
        "postgresql": ("postgres", "postgres", 5432),
        "mysql": ("mysql", "root", 3306),
    }[connection.vendor]
    user = db.get("USER") or default_user
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or default_port}"
    return f"{scheme}://{user}{password}@{host}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dead_redis(*, ignore_exceptions: bool) -> dict:
    """CACHES for a Redis nobody listens on (port 1); production swallows its errors."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
                "IGNORE_EXCEPTIONS": ignore_exceptions,
            },
        }
    }
