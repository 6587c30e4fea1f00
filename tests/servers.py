"""Helpers for tests that talk to real processes: servers they start (gunicorn, a Celery worker)
on the test database, an SMTP server, a Redis nobody listens on, and a Redis of the test's own."""

import os
import signal
import socket
import subprocess
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import redis
from aiosmtpd.controller import Controller
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
                "CONNECTION_POOL_CLASS": "marquee.common.redis_guard.GuardedConnectionPool",
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
                "IGNORE_EXCEPTIONS": ignore_exceptions,
            },
        }
    }


class Inbox:
    """An aiosmtpd handler keeping every envelope it is handed; it refuses the recipients in
    `refused` with a permanent 550, as a server does for an unknown mailbox."""

    def __init__(self):
        self.envelopes = []
        self.refused: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


class SmtpServer:
    """A real SMTP server on a port of its own, that a test can stop and start again."""

    def __init__(self, handler, port: int):
        self.handler, self.port, self.controller = handler, port, None

    @property
    def inbox(self):
        return self.handler

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class OwnRedis:
    """A redis-server of the test's own on a free port, which the test may stop or freeze
    (SIGSTOP) without touching the Redis other runs share. No persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2)

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.thaw()  # a frozen server cannot act on SIGTERM
            self.process.terminate()
            self.process.wait(timeout=10)

    def cache_settings(self) -> dict:
        """CACHES for this server, as config/settings.py builds them for a REDIS_URL."""
        from django.conf import settings

        return {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": self.url,
                "KEY_PREFIX": "own-redis",
                "OPTIONS": {
                    "CLIENT_CLASS": "django_redis.client.DefaultClient",
                    "CONNECTION_POOL_CLASS": "marquee.common.redis_guard.GuardedConnectionPool",
                    "SOCKET_CONNECT_TIMEOUT": settings.REDIS_CONNECT_TIMEOUT_SECONDS,
                    "SOCKET_TIMEOUT": settings.REDIS_TIMEOUT_SECONDS,
                    "IGNORE_EXCEPTIONS": True,
                },
            }
        }
