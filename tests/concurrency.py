"""Running calls at the same instant: each in its own thread (and database connection), all
released together by a barrier, so they meet inside the transaction under test rather than one
after another."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connections

from marquee.payments import reconciliation

WORKER_TIMEOUT_SECONDS = 30


@dataclass
class Outcome:
    value: Any = None
    error: Exception | None = None


def run_together(calls: list[Callable[[], Any]]) -> list[Outcome]:
    """Run each call in its own thread (and connection), all released at once."""
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def work(outcome: Outcome, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=WORKER_TIMEOUT_SECONDS)
            outcome.value = call()
        except Exception as error:
            outcome.error = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=work, args=(outcome, call), daemon=True)
        for outcome, call in zip(outcomes, calls, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WORKER_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return outcomes


def assert_reconciled(*, without: Iterable[str] = ()) -> None:
    """Every reconciliation check (but those named) passes on the test database.

    Run after each test marked `concurrency` (tests/conftest.py)."""
    breaches = reconciliation.reconcile(without=without, limit=20)
    assert not breaches, "invariants breached:\n" + "\n".join(str(b) for b in breaches)
