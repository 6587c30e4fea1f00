"""Two schedulers' runs at once, one outbox: every email goes out exactly once.

The SMTP server holds each message until two are in flight at the same moment, so the runs
are certainly sending side by side. Without the claim the same test sends duplicates: it is
shown below, so the passing test is known to bite.
"""

import asyncio
import contextlib
import threading

import pytest
from django.db import connections
from django.utils import timezone

from marquee.tickets import outbox
from marquee.tickets.models import EmailDelivery
from tests.servers import Inbox, SmtpServer, free_port

pytestmark = [pytest.mark.server_db, pytest.mark.django_db(transaction=True)]

RUNS = 2
EMAILS = 6
TIMEOUT_SECONDS = 30


class SideBySideInbox(Inbox):
    """Accepts no message until `parties` messages have been in flight at once (or 20 s)."""

    def __init__(self, parties: int):
        super().__init__()
        self.parties, self.in_flight, self.together = parties, 0, None

    async def handle_DATA(self, server, session, envelope):
        if self.together is None:
            self.together = asyncio.Event()
        self.in_flight += 1
        if self.in_flight >= self.parties:
            self.together.set()
        with contextlib.suppress(TimeoutError):  # the other run had nothing left to send
            await asyncio.wait_for(self.together.wait(), timeout=20)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def side_by_side_smtp(settings):
    server = SmtpServer(SideBySideInbox(parties=RUNS), free_port())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 10
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    yield server.inbox
    server.stop()


@pytest.fixture
def waiting_emails(book, other_customer):
    """EMAILS confirmations waiting in the outbox (their first try failed, say)."""
    bookings = [
        book([label], user=other_customer if n % 2 else None)
        for n, label in enumerate(["A1", "A2", "A3", "B1", "B2", "B3"][:EMAILS])
    ]
    # Each was queued and sent (to the test outbox) as its booking committed, before the SMTP
    # server below started; the rows written here are what is waiting.
    EmailDelivery.objects.all().delete()
    now = timezone.now()
    return [
        EmailDelivery.objects.create(
            kind="confirmation",
            booking=booking,
            next_attempt_at=now,
            give_up_at=now + outbox.retry_window(),
        )
        for booking in bookings
    ]


def run_side_by_side() -> list:
    barrier = threading.Barrier(RUNS)
    summaries, errors = [], []

    def run() -> None:
        try:
            barrier.wait(timeout=TIMEOUT_SECONDS)
            summaries.append(outbox.email_deliveries_send_due())
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, daemon=True) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a run hung"
    assert errors == []
    return summaries


def emails_per_booking(inbox, deliveries) -> list[int]:
    """How many of the inbox's messages carry each delivery's booking reference."""
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in inbox.messages()]
    references = [str(d.booking.public_id) for d in deliveries]
    return [sum(reference in body for body in bodies) for reference in references]


def test_two_runs_at_once_send_each_email_once(waiting_emails, side_by_side_smtp):
    summaries = run_side_by_side()

    assert sum(s.sent for s in summaries) == EMAILS
    assert len(side_by_side_smtp.envelopes) == EMAILS
    assert emails_per_booking(side_by_side_smtp, waiting_emails) == [1] * EMAILS
    assert all(s.sent for s in summaries)  # both runs really sent, side by side
    assert set(EmailDelivery.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_without_the_claim_the_same_runs_send_duplicates(
    monkeypatch, waiting_emails, side_by_side_smtp
):
    monkeypatch.setattr(outbox, "_claim", lambda **kwargs: True)

    run_side_by_side()

    assert max(emails_per_booking(side_by_side_smtp, waiting_emails)) == 2  # the claim's race
