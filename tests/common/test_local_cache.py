"""The one per-process memo: bounded, aged, least recently used out, cleared all at once."""

import sys
import threading

import pytest

from marquee.common import local_cache
from marquee.common.local_cache import LocalCache


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(local_cache.time, "monotonic", lambda: now[0])
    return now


def test_a_full_cache_drops_the_least_recently_used_entry():
    memo = LocalCache("test-lru", max_size=2)
    memo.set("a", 1)
    memo.set("b", 2)
    assert memo.get("a") == 1  # "b" is now the least recently used
    memo.set("c", 3)
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (1, None, 3)
    assert len(memo) == 2


def test_an_entry_older_than_the_maximum_age_is_gone(clock):
    memo = LocalCache("test-age", max_size=8, max_age=5.0)
    memo.set("a", 1)
    clock[0] += 4.9
    assert memo.get("a") == 1
    clock[0] += 0.2
    assert memo.get("a") is None
    assert len(memo) == 0


def test_a_caller_may_ask_for_a_younger_entry_but_never_an_older_one(clock):
    memo = LocalCache("test-call-age", max_size=8, max_age=5.0)
    memo.set("a", 1)
    clock[0] += 2
    assert memo.get("a", max_age=10.0) == 1
    assert memo.get("a", max_age=1.0) is None
    memo.set("b", 2)
    clock[0] += 6
    assert memo.get("b", max_age=60.0) is None


def test_setting_again_renews_the_age_and_the_recency(clock):
    memo = LocalCache("test-renew", max_size=2, max_age=5.0)
    memo.set("a", 1)
    memo.set("b", 2)
    clock[0] += 4
    memo.set("a", 10)
    memo.set("c", 3)  # drops "b", the least recently used
    clock[0] += 2
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (10, None, 3)


def test_clear_all_forgets_every_registered_cache():
    first, second = LocalCache("test-all-1", max_size=4), LocalCache("test-all-2", max_size=4)
    first.set(1, "x")
    second.set(2, "y")
    assert {first, second} <= set(local_cache.local_caches())
    local_cache.clear_all()
    assert (first.get(1), second.get(2)) == (None, None)


def test_the_application_s_memos_are_all_registered():
    import marquee.accounts.authentication
    import marquee.booking.rendered
    import marquee.web.views.picker  # noqa: F401

    names = {memo.name for memo in local_cache.local_caches()}
    assert {
        "verified_tokens",
        "screen_layouts",
        "catalog_responses",
        "showtime_contexts",
        "local_seat_changes",
        "seat_map_bytes",
        "picker_hall_parts",
        "picker_halls",
        "picker_pages",
    } <= names


def test_threads_setting_and_getting_at_once_keep_the_bound():
    memo = LocalCache("test-threads", max_size=100)
    errors = []

    def work(thread: int) -> None:
        try:
            for n in range(3000):
                memo.set((thread, n), n)
                memo.get((thread, n - 50))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert errors == []
    assert len(memo) == 100
