import pytest
from django.core.asgi import get_asgi_application
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from marquee.live.broker import broker, broker_reset


@pytest.fixture
def local_broker(settings):
    """The in-process broker (the embedded default), whatever REDIS_URL the suite has."""
    settings.REDIS_URL = ""
    broker_reset()
    yield broker()
    broker_reset()


@pytest.fixture
def redis_broker(redis_cache, settings):
    """The Redis broker on the suite's Redis (skipped without one, as `redis_cache`)."""
    broker_reset()
    yield broker()
    broker_reset()


@pytest.fixture
def asgi_app():
    """The project's ASGI application; as Django's test client does, requests leave the test's
    database connection open (and so inside the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_asgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
