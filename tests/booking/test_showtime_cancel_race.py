"""The cinema cancels a show while a customer gives back a booking's last tickets.

The customer's transaction holds the booking's row lock; the show's cancellation waits for it.
Whatever the customer's transaction committed meanwhile decides: a booking the policy gave back
in full stays as it was, one it kept part of is cancelled and refunded the rest. Each test
stops the customer's transaction before its commit until the cancellation is seen waiting for
the lock, so the two meet the same way on every run."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.db.models import Sum

from marquee.booking.models import Ticket
from marquee.booking.services import booking_cancel_tickets
from marquee.catalog.services import showtime_cancel
from marquee.payments import reconciliation
from marquee.payments.models import Payment, Refund
from marquee.payments.services import payment_start
from tests.concurrency import WORKER_TIMEOUT_SECONDS

pytestmark = [
    pytest.mark.server_db,
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
]

CARD = "4242424242424242"
# How long the cancellation may take to reach the booking's row lock.
LOCK_WAIT_SECONDS = 10

# MariaDB refreshes information_schema.innodb_trx only when it was not read for 0.1 s.
POLL_SECONDS = 0.2

# Sessions of this test database waiting for a row lock.
LOCK_WAITERS_SQL = {
    "postgresql": "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock'",
    "mysql": "SELECT count(*) FROM information_schema.innodb_trx t "
    "JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
    "WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()",
}


def lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(LOCK_WAITERS_SQL[connection.vendor])
        return cursor.fetchone()[0]


def wait_until_blocked() -> None:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while lock_waiters() == 0:
        assert time.monotonic() < deadline, "the show's cancellation never waited for the lock"
        time.sleep(POLL_SECONDS)


def cancel_show_while_tickets_are_given_back(booking, showtime, *, hours_before: int) -> None:
    """Thread A gives back every ticket of the booking, `hours_before` the show, and waits
    before its commit; thread B cancels the show, which waits for A's lock on the booking;
    then A commits and B finishes."""
    given_back, release, cancelled = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def give_back() -> None:
        try:
            # The service's own atomic block is a savepoint inside this one: its work is done
            # and its row lock held, but nothing is committed until `release`.
            with transaction.atomic():
                booking_cancel_tickets(
                    booking=booking,
                    ticket_ids=list(booking.tickets.values_list("pk", flat=True)),
                    actor=booking.user,
                    now=showtime.starts_at - timedelta(hours=hours_before),
                )
                given_back.set()
                assert release.wait(WORKER_TIMEOUT_SECONDS), "never released"
                # The partial refunds are sent once the show's cancellation has finished, so
                # each run ends the same way; sending one while the cancellation holds the
                # booking is the last test's race.
                after_commit = [call for _, call, _ in connection.run_on_commit]
                connection.run_on_commit.clear()
            cancelled.wait(WORKER_TIMEOUT_SECONDS)
            for call in after_commit:
                call()
        except BaseException as error:
            errors.append(error)
            given_back.set()
        finally:
            connections.close_all()

    def cancel_show() -> None:
        try:
            showtime_cancel(showtime=showtime)
        except BaseException as error:
            errors.append(error)
        finally:
            cancelled.set()
            connections.close_all()

    a = threading.Thread(target=give_back, daemon=True)
    b = threading.Thread(target=cancel_show, daemon=True)
    a.start()
    assert given_back.wait(WORKER_TIMEOUT_SECONDS)
    b.start()
    try:
        wait_until_blocked()
    finally:
        release.set()
        a.join(WORKER_TIMEOUT_SECONDS)
        b.join(WORKER_TIMEOUT_SECONDS)
    assert not a.is_alive() and not b.is_alive(), "a worker hung"
    assert not errors, errors


@pytest.fixture
def paid(customer, showtime):
    from marquee.booking.services import booking_hold
    from marquee.catalog.models import Seat

    seat_ids = list(
        Seat.objects.filter(screen=showtime.screen_id, row_label="A", number__lte=3).values_list(
            "pk", flat=True
        )
    )
    booking = booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=seat_ids)
    payment_start(booking=booking, user=customer, card_number=CARD)
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    return booking


def refunded(payment: Payment) -> Decimal:
    succeeded = Refund.objects.filter(payment=payment, status="succeeded")
    return succeeded.aggregate(sum=Sum("amount"))["sum"] or Decimal(0)


def test_a_booking_given_back_in_full_while_the_show_is_cancelled_stays_as_it_was(paid, showtime):
    cancel_show_while_tickets_are_given_back(paid, showtime, hours_before=30)  # 100%

    paid.refresh_from_db()
    assert paid.status == "confirmed"  # the policy gave it all back: nothing is owed
    assert set(Ticket.objects.filter(booking=paid).values_list("status", flat=True)) == {
        "cancelled"
    }
    payment = Payment.objects.get(booking=paid)
    assert refunded(payment) == payment.amount
    assert not Refund.objects.filter(payment=payment, reason_code="showtime_cancelled").exists()
    assert reconciliation.reconcile() == []


def test_a_booking_given_back_at_half_while_the_show_is_cancelled_gets_the_rest_back(
    paid, showtime
):
    cancel_show_while_tickets_are_given_back(paid, showtime, hours_before=5)  # 50%

    paid.refresh_from_db()
    assert paid.status == "refunded"  # the policy kept half: the cancelled show refunds it
    payment = Payment.objects.get(booking=paid)
    assert refunded(payment) == payment.amount
    rest = Refund.objects.get(payment=payment, reason_code="showtime_cancelled")
    assert (rest.amount, rest.status) == (payment.amount / 2, "succeeded")
    assert reconciliation.reconcile() == []


def test_a_refund_sent_while_a_booking_change_adds_a_refund_does_not_deadlock(paid, showtime):
    """A tickets-given-back refund is sent (refund_process) while the show's cancellation holds
    the booking's lock and is about to add the payment's full refund. The sender must not hold
    the payment's row while it waits for the booking (its email names the booking), or the two
    wait on each other and the database kills one."""
    from marquee.booking.models import Booking
    from marquee.payments.services import refund_process

    with transaction.atomic():  # a pending partial refund, its sending held back
        booking_cancel_tickets(
            booking=paid,
            ticket_ids=list(paid.tickets.values_list("pk", flat=True)[:1]),
            actor=paid.user,
            now=showtime.starts_at - timedelta(hours=5),
        )
        connection.run_on_commit.clear()
    partial = Refund.objects.get(kind="partial")
    assert partial.status == "pending"
    payment = Payment.objects.get(booking=paid)

    locked, go = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def cancellation() -> None:  # holds the booking, then cancels the show
        try:
            with transaction.atomic():
                Booking.objects.select_for_update().get(pk=paid.pk)
                locked.set()
                assert go.wait(WORKER_TIMEOUT_SECONDS), "never released"
                showtime_cancel(showtime=showtime)  # adds the payment's full refund
        except BaseException as error:
            errors.append(error)
            locked.set()
        finally:
            connections.close_all()

    def sender() -> None:
        try:
            refund_process(refund_id=partial.pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    b = threading.Thread(target=cancellation, daemon=True)
    a = threading.Thread(target=sender, daemon=True)
    b.start()
    assert locked.wait(WORKER_TIMEOUT_SECONDS)
    a.start()
    try:
        wait_until_blocked()  # the sender waits for the booking
    finally:
        go.set()
        a.join(WORKER_TIMEOUT_SECONDS)
        b.join(WORKER_TIMEOUT_SECONDS)
    assert not a.is_alive() and not b.is_alive(), "a worker hung"
    assert not errors, errors
    partial.refresh_from_db()
    assert partial.status == "succeeded"
    full = Refund.objects.get(payment=payment, kind="full")
    assert full.reason_code == "showtime_cancelled"
    assert refunded(payment) == payment.amount
