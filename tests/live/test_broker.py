"""The brokers: versions, the bounded replay log, the fan-out to a process's viewers, and what a
viewer catches up on (`catch_up`). The same behaviour in-process and through Redis."""

import asyncio
import threading

import orjson
from asgiref.sync import async_to_sync

from marquee.live.broker import CLOSED, QUEUE_SIZE, LocalBroker, seats_json
from marquee.live.views import catch_up


def changes(entry) -> list[dict]:
    return orjson.loads(entry.data)["seats"]


def test_each_change_takes_the_next_version_and_the_log_keeps_the_last_ones():
    broker = LocalBroker(log_size=3)
    versions = [broker.publish(7, seats_json([(i, "held")])) for i in range(1, 6)]
    assert versions == [1, 2, 3, 4, 5]
    assert broker.version(7) == 5
    assert broker.version(8) == 0  # another showtime counts on its own

    async def joined():
        viewer, version, log = await broker.join(7)
        viewer.leave()
        return version, log

    version, log = async_to_sync(joined)()
    assert version == 5
    assert [entry.version for entry in log] == [3, 4, 5]
    assert changes(log[-1]) == [{"id": 5, "status": "held"}]


def test_an_event_carries_seat_ids_and_states_only():
    broker = LocalBroker(log_size=10)
    broker.publish(7, seats_json([(11, "held"), (12, "sold")]))

    async def joined():
        viewer, _, log = await broker.join(7)
        viewer.leave()
        return log

    data = orjson.loads(async_to_sync(joined)()[0].data)
    assert data == {
        "version": 1,
        "seats": [{"id": 11, "status": "held"}, {"id": 12, "status": "sold"}],
    }


def test_a_change_published_from_another_thread_reaches_the_viewers_of_that_showtime():
    broker = LocalBroker(log_size=10)

    async def watch():
        viewer, version, _ = await broker.join(7)
        other, _, _ = await broker.join(8)
        publisher = threading.Thread(target=broker.publish, args=(7, seats_json([(3, "sold")])))
        publisher.start()
        entry = await asyncio.wait_for(viewer.queue.get(), 2)
        publisher.join()
        await asyncio.sleep(0.05)
        viewer.leave(), other.leave()
        return version, entry, other.queue.qsize()

    version, entry, others = async_to_sync(watch)()
    assert (version, entry.version, changes(entry)) == (0, 1, [{"id": 3, "status": "sold"}])
    assert others == 0


def test_a_viewer_that_left_receives_nothing_more():
    broker = LocalBroker(log_size=10)

    async def watch():
        viewer, _, _ = await broker.join(7)
        viewer.leave()
        await asyncio.sleep(0)  # the removal runs on the loop
        broker.publish(7, seats_json([(3, "held")]))
        await asyncio.sleep(0.05)
        return viewer.queue.qsize()

    assert async_to_sync(watch)() == 0


def test_a_viewer_too_slow_for_its_queue_is_told_to_start_over():
    broker = LocalBroker(log_size=10)

    async def watch():
        viewer, _, _ = await broker.join(7)
        for i in range(QUEUE_SIZE + 5):
            broker.publish(7, seats_json([(i, "held")]))
        await asyncio.sleep(0.1)
        entries = []
        while not viewer.queue.empty():
            entries.append(viewer.queue.get_nowait())
        viewer.leave()
        return entries

    entries = async_to_sync(watch)()
    assert len(entries) < QUEUE_SIZE
    assert any(entry.reset for entry in entries)
    assert entries[-1].version == QUEUE_SIZE + 5


# --- what a viewer catches up on ---------------------------------------------------------------


def _log(broker, showtime_id):
    async def joined():
        viewer, version, log = await broker.join(showtime_id)
        viewer.leave()
        return version, log

    return async_to_sync(joined)()


def test_a_viewer_at_the_current_version_needs_nothing():
    broker = LocalBroker(log_size=5)
    broker.publish(7, seats_json([(1, "held")]))
    version, log = _log(broker, 7)
    assert catch_up(1, version, log) == []


def test_a_viewer_behind_gets_every_change_after_its_version_in_order():
    broker = LocalBroker(log_size=5)
    for seat in (1, 2, 3, 4):
        broker.publish(7, seats_json([(seat, "held")]))
    version, log = _log(broker, 7)
    assert [entry.version for entry in catch_up(1, version, log)] == [2, 3, 4]


def test_a_viewer_further_behind_than_the_log_gets_a_reset_to_the_current_version():
    broker = LocalBroker(log_size=3)
    for seat in range(1, 8):
        broker.publish(7, seats_json([(seat, "held")]))
    version, log = _log(broker, 7)
    assert [entry.version for entry in catch_up(4, version, log)] == [5, 6, 7]  # just reaches
    reset = catch_up(3, version, log)
    assert [(entry.reset, entry.version) for entry in reset] == [(True, 7)]


def test_a_viewer_ahead_of_the_version_gets_a_reset_the_log_restarted():
    broker = LocalBroker(log_size=3)
    broker.publish(7, seats_json([(1, "held")]))
    version, log = _log(broker, 7)
    assert [(entry.reset, entry.version) for entry in catch_up(40, version, log)] == [(True, 1)]


def test_unknown_changes_in_the_log_turn_the_catch_up_into_a_reset():
    broker = LocalBroker(log_size=5)
    broker.publish(7, seats_json([(1, "held")]))
    broker.publish(7, None)  # what a process that could not reach Redis owes
    broker.publish(7, seats_json([(2, "held")]))
    version, log = _log(broker, 7)
    assert [(entry.reset, entry.version) for entry in catch_up(1, version, log)] == [(True, 3)]


# --- through Redis (needs the suite's Redis: REDIS_URL) ---------------------------------------


def test_redis_numbers_logs_and_fans_out_across_subscribers(redis_broker):
    from marquee.live.broker import RedisBroker

    broker = RedisBroker(redis_broker.url, "live-test:", 3)
    assert [broker.publish(7, seats_json([(seat, "held")])) for seat in range(1, 6)] == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert broker.version(7) == 5

    async def watch():
        viewer, version, log = await broker.join(7)
        other, _, _ = await broker.join(8)
        await asyncio.get_running_loop().run_in_executor(
            None, broker.publish, 7, seats_json([(9, "sold")])
        )
        entry = await asyncio.wait_for(viewer.queue.get(), 2)
        await asyncio.sleep(0.05)
        viewer.leave(), other.leave()
        await broker.aclose()
        return version, log, entry, other.queue.qsize()

    version, log, entry, others = async_to_sync(watch)()
    assert version == 5
    assert [entry.version for entry in log] == [3, 4, 5]
    assert (entry.version, changes(entry)) == (6, [{"id": 9, "status": "sold"}])
    assert others == 0


def test_redis_keeps_unknown_changes_as_a_reset_entry(redis_broker):
    from marquee.live.broker import RedisBroker

    broker = RedisBroker(redis_broker.url, "live-test:", 5)
    broker.publish(7, seats_json([(1, "held")]))
    broker.publish(7, None)

    async def joined():
        viewer, version, log = await broker.join(7)
        viewer.leave()
        await broker.aclose()
        return version, log

    version, log = async_to_sync(joined)()
    assert [(entry.version, entry.reset) for entry in log] == [(1, False), (2, True)]
    assert [(entry.reset, entry.version) for entry in catch_up(0, version, log)] == [(True, 2)]


def test_losing_redis_ends_every_stream_of_the_feed_so_viewers_reconnect(own_redis, settings):
    from marquee.live.broker import RedisBroker

    settings.CACHES = own_redis.cache_settings()
    broker = RedisBroker(own_redis.url, "live-test:", 5)

    async def watch():
        viewer, _, _ = await broker.join(7)
        own_redis.stop()
        entry = await asyncio.wait_for(viewer.queue.get(), 5)
        viewer.leave()
        return entry

    assert async_to_sync(watch)() is CLOSED
