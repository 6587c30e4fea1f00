"""What a request has read from the shared cache, asked for in one place."""

import pytest
from django.core.cache import cache

from marquee.common import shared_reads


@pytest.fixture
def in_a_request():
    token = shared_reads.begin()
    yield
    shared_reads.end(token)


def test_a_key_read_once_is_not_read_again_in_the_same_request(in_a_request, monkeypatch):
    cache.set("version:a", 7)
    assert shared_reads.get("version:a") == 7
    monkeypatch.setattr(cache, "get", lambda *a, **kw: pytest.fail("read again"))
    monkeypatch.setattr(cache, "get_many", lambda *a, **kw: pytest.fail("read again"))
    assert shared_reads.get("version:a") == 7
    assert shared_reads.get_many(["version:a"]) == {"version:a": 7}


def test_what_the_throttle_read_along_answers_the_request(in_a_request, monkeypatch):
    shared_reads.remember({"version:a": 3, "version:b": None})
    monkeypatch.setattr(cache, "get_many", lambda *a, **kw: pytest.fail("read again"))
    assert shared_reads.get_many(["version:a", "version:b"]) == {"version:a": 3}


def test_a_key_the_request_changed_is_read_again(in_a_request):
    cache.set("version:a", 1)
    assert shared_reads.get("version:a") == 1
    cache.set("version:a", 2)
    shared_reads.forget("version:a")
    assert shared_reads.get("version:a") == 2


def test_outside_a_request_every_ask_reads_the_cache():
    cache.set("version:a", 1)
    assert shared_reads.get("version:a") == 1
    cache.set("version:a", 2)
    assert shared_reads.get("version:a") == 2


def test_each_request_starts_with_nothing_known(in_a_request):
    shared_reads.remember({"version:a": 1})
    token = shared_reads.begin()
    try:
        cache.set("version:a", 5)
        assert shared_reads.get("version:a") == 5
    finally:
        shared_reads.end(token)
    assert shared_reads.get("version:a") == 1


def test_the_seat_map_and_the_hold_name_their_keys_for_the_throttle(settings):
    settings.CATALOG_CACHE_SECONDS = 60
    seat_map = shared_reads.keys_for("GET", "showtime-seats", {"pk": 5})
    assert seat_map == ["catalog-cache-version", "seat-statuses-version:5"]
    assert shared_reads.keys_for("POST", "booking-list", {}) == ["catalog-cache-version"]
    assert shared_reads.keys_for("GET", "movie-list", {}) == ["catalog-cache-version"]
    assert shared_reads.keys_for("GET", "booking-list", {}) == []
    settings.CATALOG_CACHE_SECONDS = 0
    assert shared_reads.keys_for("GET", "showtime-seats", {"pk": 5}) == []
