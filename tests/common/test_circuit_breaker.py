"""The circuit breaker: closed lets everything through; one failure opens it for a period; then
one probe, whose answer closes it or opens it again. Shared by threads."""

import sys
import threading

import pytest

from marquee.common.circuit_breaker import CircuitBreaker

OPEN_SECONDS = 5.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def breaker(clock):
    return CircuitBreaker(open_seconds=lambda: OPEN_SECONDS, clock=clock)


def test_a_closed_breaker_lets_every_call_through(breaker):
    assert all(breaker.allow() for _ in range(100))
    assert breaker.closed and breaker.openings == 0


def test_one_failure_opens_it_and_calls_are_refused_for_the_period(breaker, clock):
    assert breaker.failure() is True  # closed until now
    assert not breaker.closed and breaker.openings == 1
    assert not any(breaker.allow() for _ in range(100))
    clock.advance(OPEN_SECONDS - 0.01)
    assert breaker.allow() is False


def in_another_thread(call):
    result = []
    thread = threading.Thread(target=lambda: result.append(call()))
    thread.start()
    thread.join()
    return result[0]


def test_when_the_period_ends_one_thread_probes_and_the_others_wait(breaker, clock):
    breaker.failure()
    clock.advance(OPEN_SECONDS)
    assert breaker.allow() is True  # this thread is the probe
    assert [in_another_thread(breaker.allow) for _ in range(3)] == [False, False, False]
    # The probing thread may call again (what must go first, then its own call).
    assert breaker.allow() is True
    assert not breaker.closed


def test_the_probe_s_answer_closes_it(breaker, clock):
    breaker.failure()
    clock.advance(OPEN_SECONDS)
    assert breaker.allow()
    assert breaker.success() is True
    assert breaker.closed
    assert all(breaker.allow() for _ in range(10))
    assert breaker.openings == 1


def test_a_failed_probe_opens_it_for_another_full_period(breaker, clock):
    breaker.failure()
    clock.advance(OPEN_SECONDS)
    assert breaker.allow()
    assert breaker.failure() is False  # it was open: not a new outage
    assert breaker.openings == 1
    clock.advance(OPEN_SECONDS - 0.01)
    assert breaker.allow() is False  # not even for the thread that probed
    clock.advance(0.01)
    assert breaker.allow() is True


def test_an_answer_to_a_call_made_before_it_opened_does_not_close_it(breaker):
    assert breaker.allow()  # a call starts while closed...
    breaker.failure()  # ...another one fails meanwhile...
    assert breaker.success() is False  # ...and the first one's late answer says nothing of now
    assert not breaker.closed


def test_a_probe_that_never_reports_is_replaced_one_period_later(breaker, clock):
    breaker.failure()
    clock.advance(OPEN_SECONDS)
    assert in_another_thread(breaker.allow)  # the probe's thread ends without a word
    clock.advance(OPEN_SECONDS - 0.01)
    assert breaker.allow() is False
    clock.advance(0.01)
    assert breaker.allow() is True


def test_the_open_period_is_read_at_each_opening(clock):
    seconds = [1.0]
    breaker = CircuitBreaker(open_seconds=lambda: seconds[0], clock=clock)
    breaker.failure()
    clock.advance(1.0)
    assert breaker.allow()
    seconds[0] = 3.0  # a setting changed meanwhile
    breaker.failure()
    clock.advance(2.0)
    assert breaker.allow() is False
    clock.advance(1.0)
    assert breaker.allow() is True


def test_each_outage_is_counted_once(breaker, clock):
    for _ in range(3):
        breaker.failure()
        breaker.failure()
        clock.advance(OPEN_SECONDS)
        assert breaker.allow()
        breaker.success()
    assert breaker.openings == 3


@pytest.fixture
def switch_often():
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns between almost every two bytecodes
    yield
    sys.setswitchinterval(interval)


def run_at_once(count: int, target) -> list:
    start = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        start.wait()
        results[index] = target(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_of_many_threads_asking_when_the_period_ends_one_probes(breaker, clock, switch_often):
    for _ in range(20):
        breaker.failure()
        clock.advance(OPEN_SECONDS)
        allowed = run_at_once(16, lambda index: breaker.allow())
        assert allowed.count(True) == 1
        breaker.success()
        assert breaker.closed


def test_many_threads_failing_at_once_open_it_once(breaker, switch_often):
    opened = run_at_once(16, lambda index: breaker.failure())
    assert opened.count(True) == 1
    assert breaker.openings == 1 and not breaker.closed


def test_threads_failing_answering_and_asking_leave_a_consistent_breaker(clock, switch_often):
    breaker = CircuitBreaker(open_seconds=lambda: 0.0, clock=clock)  # every ask may probe
    errors = []

    def churn(index: int) -> None:
        try:
            for n in range(2000):
                if breaker.allow():
                    breaker.failure() if (n + index) % 3 == 0 else breaker.success()
        except Exception as error:
            errors.append(error)

    run_at_once(8, churn)
    assert errors == []
    # Whatever the interleaving, it ends in a state its own rules can leave: a probe answered
    # closes it, and from closed one failure opens it.
    if not breaker.closed:
        assert breaker.allow() and breaker.success()
    assert breaker.closed and breaker.allow()
    openings = breaker.openings
    assert breaker.failure() and breaker.openings == openings + 1
