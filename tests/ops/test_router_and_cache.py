import pytest
from django.test import Client

from marquee.booking.models import Ticket
from marquee.catalog.models import Movie
from marquee.common import request_context
from marquee.common.db_router import PrimaryReplicaRouter
from tests import factories
from tests.queries import assert_max_data_queries
from tests.servers import dead_redis


def test_catalog_reads_go_to_the_replica_when_one_is_configured(monkeypatch):
    from django.conf import settings

    # Only the router looks: no connection to a "replica" is ever opened here.
    monkeypatch.setitem(settings.DATABASES, "replica", dict(settings.DATABASES["default"]))
    router = PrimaryReplicaRouter()
    assert router.db_for_read(Movie) == "replica"
    assert router.db_for_read(Ticket) == "default"  # seats never from a replica
    assert router.db_for_write(Movie) == "default"
    token = request_context.use_primary.set(True)  # a request that writes
    try:
        assert router.db_for_read(Movie) == "default"
    finally:
        request_context.use_primary.reset(token)


def test_without_a_replica_everything_uses_the_primary():
    assert PrimaryReplicaRouter().db_for_read(Movie) == "default"
    assert PrimaryReplicaRouter().allow_migrate("replica", "catalog") is False


@pytest.fixture
def cached_catalog(settings):
    settings.CATALOG_CACHE_SECONDS = 60


@pytest.mark.django_db
def test_catalog_reads_are_cached_and_a_write_is_seen_at_once(cached_catalog, admin_client_api):
    factories.MovieFactory(title="Alpha")
    client = Client()
    first = client.get("/api/movies/").json()
    with assert_max_data_queries(0):
        assert client.get("/api/movies/").json() == first
    response = admin_client_api.patch(
        f"/api/movies/{first['results'][0]['id']}/", {"title": "Beta"}, format="json"
    )
    assert response.status_code == 200
    assert client.get("/api/movies/").json()["results"][0]["title"] == "Beta"


@pytest.mark.django_db
def test_a_cached_list_still_sees_new_showtimes(cached_catalog, screen):
    client = Client()
    assert client.get("/api/showtimes/").json()["count"] == 0
    factories.ShowtimeFactory(screen=screen)
    assert client.get("/api/showtimes/").json()["count"] == 1


@pytest.mark.django_db
def test_seat_maps_are_never_served_from_the_response_cache(cached_catalog, showtime, hold):
    client = Client()
    url = f"/api/showtimes/{showtime.pk}/seats/"
    assert client.get(url).json()["counts"]["held"] == 0
    hold(["A1"])
    assert client.get(url).json()["counts"]["held"] == 1


@pytest.mark.django_db
def test_a_dead_cache_degrades_to_uncached_reads(cached_catalog, settings):
    # A Redis nobody listens on, with django-redis told to swallow errors as in production.
    settings.CACHES = dead_redis(ignore_exceptions=True)
    # (Overriding CACHES makes Django rebuild its cache handler: `cache` now means that Redis.)
    factories.MovieFactory(title="Still here")
    response = Client().get("/api/movies/")
    assert response.status_code == 200
    assert response.json()["results"][0]["title"] == "Still here"
