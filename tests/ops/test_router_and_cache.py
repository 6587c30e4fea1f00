import sys
import threading

import pytest
from django.test import Client

from marquee.booking.models import Ticket
from marquee.catalog import cache as catalog_cache
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


@pytest.fixture
def fresh_local_copies():
    catalog_cache._local.clear()
    yield
    catalog_cache._local.clear()


@pytest.mark.django_db
def test_on_redis_a_cached_catalog_read_costs_one_round_trip(
    cached_catalog, redis_commands, fresh_local_copies
):
    factories.MovieFactory(title="Alpha")
    client = Client()
    first = client.get("/api/movies/").json()
    redis_commands.clear()
    assert client.get("/api/movies/").json() == first
    # The throttle's count and the catalog version in one script call; the response is this
    # process's copy, kept under the version it was read for.
    assert redis_commands == ["EVALSHA"]


@pytest.mark.django_db
def test_a_process_s_copy_is_served_for_a_few_seconds_at_most(
    cached_catalog, redis_commands, fresh_local_copies, monkeypatch
):
    factories.MovieFactory(title="Alpha")
    client = Client()
    client.get("/api/movies/")
    monkeypatch.setattr(catalog_cache, "LOCAL_SECONDS", 0.0)  # as if they had passed
    redis_commands.clear()
    client.get("/api/movies/")
    assert redis_commands == ["EVALSHA", "GET"]  # the shared cache is asked again


@pytest.mark.django_db
def test_a_write_is_seen_at_once_in_spite_of_the_process_s_copy(
    cached_catalog, redis_cache, fresh_local_copies, admin_client_api
):
    movie = factories.MovieFactory(title="Alpha")
    client = Client()
    assert client.get(f"/api/movies/{movie.pk}/").json()["title"] == "Alpha"
    assert (
        admin_client_api.patch(
            f"/api/movies/{movie.pk}/", {"title": "Beta"}, format="json"
        ).status_code
        == 200
    )
    assert client.get(f"/api/movies/{movie.pk}/").json()["title"] == "Beta"


def test_a_process_keeps_a_bounded_number_of_copies(settings, fresh_local_copies):
    settings.CATALOG_CACHE_SECONDS = 60
    kept = catalog_cache._local.max_size
    for n in range(kept + 50):
        catalog_cache._keep(f"catalog-response:1:{n}", {"n": n})
    assert len(catalog_cache._local) == kept
    assert catalog_cache._local.get("catalog-response:1:0") is None  # the oldest went first
    assert catalog_cache._local.get(f"catalog-response:1:{kept + 49}")[0] == {"n": kept + 49}


def test_threads_keeping_copies_at_once_leave_a_consistent_store(settings, fresh_local_copies):
    settings.CATALOG_CACHE_SECONDS = 60
    errors = []

    def keep_many(thread: int) -> None:
        try:
            for n in range(2000):
                catalog_cache._keep(f"catalog-response:1:{thread}:{n}", n)
        except Exception as error:  # a 500 in a threaded server
            errors.append(error)

    threads = [threading.Thread(target=keep_many, args=(t,)) for t in range(8)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns between almost every two bytecodes
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert errors == []
    assert len(catalog_cache._local) == catalog_cache._local.max_size


# --- Another Host header cannot poison the cache ----------------------------------------------


@pytest.fixture
def another_host(settings):
    """A Host the settings allow (as the dev profile may allow any), other than the usual."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "evil.example"]
    return "evil.example"


def links(body: dict) -> list[str]:
    """Every absolute link of a catalog list: pagination, and each movie's poster."""
    found = [body["next"]]
    for item in body["results"]:
        movie = item.get("movie", item)
        found.append(movie["poster"])
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/movies/", "/api/showtimes/"])
def test_a_request_with_another_host_never_stores_its_links_for_everyone(
    cached_catalog, fresh_local_copies, another_host, screen, path
):
    for n in range(21):  # two pages: a `next` link
        movie = factories.MovieFactory(title=f"Movie {n:02}", poster="posters/p.jpg")
        factories.ShowtimeFactory(
            movie=movie, screen=screen, starts_at=factories.evening_in(1 + n, "UTC")
        )
    client = Client()
    poisoned = client.get(path, HTTP_HOST=another_host).json()
    assert all(link.startswith("http://evil.example/") for link in links(poisoned))
    with assert_max_data_queries(0):  # the same host's second read is served from the cache
        assert client.get(path, HTTP_HOST=another_host).json() == poisoned
    own = client.get(path).json()
    assert all(link.startswith("http://testserver/") for link in links(own))
    secure = client.get(path, secure=True).json()
    assert all(link.startswith("https://testserver/") for link in links(secure))
    # And the other host's copy never replaced the usual one.
    assert client.get(path).json() == own
