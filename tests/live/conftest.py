import pytest
from django.core.asgi import get_asgi_application

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


@pytest.fixture(scope="session")
def asgi_app():
    return get_asgi_application()
