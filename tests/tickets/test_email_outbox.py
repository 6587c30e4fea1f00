"""No e-ticket is ever lost: the outbox keeps every email until a mail server takes it.

The outbox's clock is passed in (`now=`) instead of sleeping: "60 s later" is a re-drive run
with `now` 60 s on, against a real SMTP server that was really stopped and started again.
"""

import logging
import random
from datetime import timedelta
from smtplib import (
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPDataError,
    SMTPRecipientsRefused,
    SMTPSenderRefused,
    SMTPServerDisconnected,
)

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from marquee.booking.services import booking_cancel, booking_confirm
from marquee.tickets import outbox, tasks
from marquee.tickets.models import EmailDelivery
from marquee.tickets.qr import ticket_qr_png
from tests.tickets.conftest import queued

pytestmark = pytest.mark.django_db

CARD = "4242 4242 4242 4242"


def pay(client, booking):
    return client.post(
        f"/api/bookings/{booking.public_id}/pay/", {"card_number": CARD}, format="json"
    )


def qr_images(message) -> list[bytes]:
    return [p.get_content() for p in message.walk() if p.get_content_type() == "image/png"]


def test_smtp_down_for_60_seconds_during_a_payment_the_email_arrives_after_it_returns(
    smtp_server, book, customer, customer_client, django_capture_on_commit_callbacks
):
    booking = book(["A1", "A2"], confirm=False)
    smtp_server.stop()
    outage_began = timezone.now()

    # The request and its after-commit work, run in-process as without a broker (`make run`).
    with django_capture_on_commit_callbacks(execute=True):
        response = pay(customer_client, booking)

    assert response.status_code == 200, response.content  # the outage never reaches the buyer
    assert response.json()["booking"]["status"] == "confirmed"
    delivery = queued(booking)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error.startswith("ConnectionRefusedError")
    assert smtp_server.inbox.envelopes == []

    # The scheduler's runs, a minute apart; the server comes back after the first.
    one_minute_on = outbox.email_deliveries_send_due(now=outage_began + timedelta(seconds=60))
    assert one_minute_on.sent == 0
    assert queued(booking).status == "pending"
    smtp_server.start()
    two_minutes_on = outbox.email_deliveries_send_due(now=outage_began + timedelta(seconds=120))
    three_minutes_on = outbox.email_deliveries_send_due(now=outage_began + timedelta(seconds=180))

    assert (two_minutes_on.sent, three_minutes_on.sent) == (1, 0)
    (message,) = smtp_server.inbox.messages()  # exactly once
    assert message["To"] == customer.email
    assert message["Subject"].startswith("Your tickets for The Night Usher")
    tickets = list(booking.tickets.select_related("seat").order_by("seat__y", "seat__x"))
    assert qr_images(message) == [ticket_qr_png(ticket) for ticket in tickets]
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.sent_at == outage_began + timedelta(seconds=120)
    assert delivery.last_error == ""
    # A straggling copy of the task, or a resend of the task message, sends nothing more.
    assert tasks.send_email_delivery(delivery.pk) == "not_claimed"
    assert len(smtp_server.inbox.envelopes) == 1


def test_a_broker_outage_at_commit_loses_nothing(
    monkeypatch, smtp_inbox, book, django_capture_on_commit_callbacks
):
    booking = book(["B1"], confirm=False)

    def broker_down(*args, **kwargs):
        raise BrokerUnavailable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_email_delivery, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        booking_confirm(booking_id=booking.pk)  # the task cannot be queued: logged, not raised

    assert queued(booking).attempts == 0
    assert outbox.email_deliveries_send_due().sent == 1  # the next scheduler run finds it
    assert len(smtp_inbox.envelopes) == 1


def test_an_email_is_written_with_the_change_or_not_at_all(book):
    booking = book(["B2"], confirm=False)
    with pytest.raises(RuntimeError), transaction.atomic():
        booking_confirm(booking_id=booking.pk)
        raise RuntimeError("the request failed after confirming")
    assert not EmailDelivery.objects.filter(booking=booking).exists()

    booking_confirm(booking_id=booking.pk)
    booking_confirm(booking_id=booking.pk)  # a replayed payment: no second email
    assert EmailDelivery.objects.filter(booking=booking).count() == 1


def test_a_sending_row_whose_sender_died_is_sent_again_once_its_claim_is_old(smtp_inbox, book):
    booking = book(["B3"])
    now = timezone.now()
    EmailDelivery.objects.filter(pk=queued(booking).pk).update(
        status="sending", claimed_at=now, attempts=1
    )

    assert outbox.email_deliveries_send_due(now=now + timedelta(minutes=9)).sent == 0
    assert outbox.email_deliveries_send_due(now=now + timedelta(minutes=10)).sent == 1
    delivery = queued(booking)
    assert (delivery.status, delivery.attempts, delivery.claimed_at) == ("sent", 2, None)
    assert len(smtp_inbox.envelopes) == 1


def test_with_the_server_down_a_run_tries_one_email_and_stops(smtp_server, book, other_customer):
    bookings = [book(["C1"]), book(["C2"]), book(["C3"], user=other_customer)]
    smtp_server.stop()

    summary = outbox.email_deliveries_send_due()

    assert (summary.server_down, summary.retrying, summary.sent) == (True, 1, 0)
    attempts = sorted(queued(b).attempts for b in bookings)
    assert attempts == [0, 0, 1]  # the others were not tried against a server that is down
    assert {queued(b).status for b in bookings} == {"pending"}


def test_a_refused_message_backs_off_while_the_others_go(
    smtp_inbox, book, customer, other_customer
):
    refused, accepted = book(["D1"]), book(["D2"], user=other_customer)
    smtp_inbox.refused.add(customer.email)
    now = timezone.now()

    summary = outbox.email_deliveries_send_due(now=now)

    assert (summary.sent, summary.retrying, summary.server_down) == (1, 1, False)
    assert queued(accepted).status == "sent"
    delivery = queued(refused)
    assert delivery.status == "pending"
    assert delivery.last_error.startswith("SMTPRecipientsRefused")
    assert "550" in delivery.last_error
    # First retry 15..30 s on (30 s, with jitter), then doubling.
    assert now + timedelta(seconds=15) <= delivery.next_attempt_at <= now + timedelta(seconds=30)
    assert outbox.email_deliveries_send_due(now=now + timedelta(seconds=14)).retrying == 0
    later = delivery.next_attempt_at
    assert outbox.email_deliveries_send_due(now=later).retrying == 1
    delivery.refresh_from_db()
    assert later + timedelta(seconds=30) <= delivery.next_attempt_at <= later + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("attempts", "server_down", "longest"),
    [
        (1, True, timedelta(minutes=1)),
        (40, True, timedelta(minutes=1)),  # an outage: probed every minute however long
        (1, False, timedelta(seconds=30)),
        (2, False, timedelta(minutes=1)),
        (3, False, timedelta(minutes=2)),
        (7, False, timedelta(minutes=30)),
        (8, False, timedelta(minutes=30)),  # capped
        (10_000, False, timedelta(minutes=30)),
    ],
)
def test_retry_delays_grow_exponentially_with_jitter_up_to_a_cap(attempts, server_down, longest):
    delays = [
        outbox.retry_delay(attempts=attempts, server_down=server_down, rng=random.Random(seed))
        for seed in range(50)
    ]
    assert all(longest / 2 <= delay <= longest for delay in delays)
    assert len(set(delays)) > 1  # jitter: retries of many emails do not come back at once


@pytest.mark.parametrize(
    ("error", "unreachable"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (OSError(113, "No route to host"), True),
        (SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (SMTPConnectError(421, b"Too busy"), True),
        (SMTPSenderRefused(421, b"Service not available", "tickets@marquee.local"), True),
        (SMTPRecipientsRefused({"a@example.com": (550, b"No such mailbox")}), False),
        (SMTPDataError(552, b"Message too big"), False),
        (SMTPAuthenticationError(535, b"Authentication failed"), False),
    ],
)
def test_a_server_that_cannot_be_reached_is_told_from_a_refused_message(error, unreachable):
    assert outbox.server_unreachable(error) is unreachable


def test_an_error_never_shows_the_smtp_password(settings):
    settings.EMAIL_HOST_PASSWORD = "hunter2-smtp"
    error = SMTPAuthenticationError(535, b"bad credentials for user:hunter2-smtp")
    assert outbox.error_text(error) == (
        "SMTPAuthenticationError: (535, b'bad credentials for user:***')"
    )


def test_an_email_undelivered_for_24_hours_is_failed_for_good_with_an_error_log(
    smtp_server, book, caplog
):
    booking = book(["E1"])
    queued_at = queued(booking).created_at
    smtp_server.stop()
    assert outbox.email_deliveries_send_due(now=queued_at).server_down

    with caplog.at_level(logging.ERROR, logger="marquee.tickets"):
        assert outbox.email_deliveries_send_due(now=queued_at + timedelta(hours=23)).failed == 0
        summary = outbox.email_deliveries_send_due(now=queued_at + timedelta(hours=24))

    assert summary.failed == 1
    delivery = queued(booking)
    assert delivery.status == "failed"
    assert delivery.last_error.startswith("ConnectionRefusedError")
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == "email delivery failed for good"
    assert (record.delivery, record.kind) == (delivery.pk, "confirmation")


def test_the_retry_window_follows_the_setting(settings, book):
    settings.EMAIL_DELIVERY_RETRY_HOURS = 48
    booking = book(["E2"])
    delivery = queued(booking)
    assert delivery.give_up_at - delivery.created_at == timedelta(hours=48)


def test_an_email_that_no_longer_applies_is_skipped_not_sent(smtp_inbox, book, customer):
    booking = book(["E3"])
    booking_cancel(booking=booking, actor=customer)

    summary = outbox.email_deliveries_send_due()

    assert (summary.sent, summary.skipped) == (1, 1)  # the cancellation notice; no tickets
    (message,) = smtp_inbox.messages()
    assert message["Subject"].startswith("Booking cancelled")
    assert queued(booking).status == "skipped"


def test_a_refund_goes_through_the_outbox_once_per_refund(
    customer_client, book, django_capture_on_commit_callbacks, smtp_inbox
):
    booking = book(["A5"], confirm=False)
    pay(customer_client, booking)
    with django_capture_on_commit_callbacks(execute=True):
        customer_client.post(f"/api/bookings/{booking.public_id}/cancel/")

    refund_notice = queued(booking, "refund")
    assert (refund_notice.status, refund_notice.amount, refund_notice.currency) == (
        "sent",
        booking.total,
        "EUR",
    )
    cancelled, refunded = sorted(m["Subject"] for m in smtp_inbox.messages())
    assert cancelled.startswith("Booking cancelled: The Night Usher")
    assert refunded == "Refund of €10.00 for The Night Usher"  # in the buyer's language


def test_old_finished_rows_are_pruned_and_waiting_ones_kept(settings, book, other_customer):
    settings.EMAIL_DELIVERY_RETENTION_DAYS = 30
    sent, waiting = book(["A6"]), book(["A7"], user=other_customer)
    assert outbox.email_delivery_send(delivery_id=queued(sent).pk) == "sent"
    later = timezone.now() + timedelta(days=31)
    EmailDelivery.objects.filter(pk=queued(waiting).pk).update(give_up_at=later + timedelta(1))

    assert outbox.email_deliveries_prune(now=later) == 1
    assert list(EmailDelivery.objects.values_list("booking", flat=True)) == [waiting.pk]
    assert tasks.prune_email_deliveries() == 0


def test_the_send_pending_emails_command_redrives_the_outbox(smtp_server, book, capsys):
    booking = book(["A8"])
    smtp_server.stop()
    call_command("send_pending_emails")
    assert "the mail server cannot be reached" in capsys.readouterr().out

    smtp_server.start()
    EmailDelivery.objects.filter(pk=queued(booking).pk).update(next_attempt_at=timezone.now())
    call_command("send_pending_emails")

    assert capsys.readouterr().out.startswith("sent 1, skipped 0, retrying 0, failed 0")
    assert len(smtp_server.inbox.envelopes) == 1


@pytest.mark.parametrize(
    ("task", "args", "kind"),
    [
        ("send_booking_confirmation", (), "confirmation"),
        ("send_refund_notice", ("12.50", "eur"), "refund"),
    ],
)
def test_the_previous_releases_task_names_queue_each_email_once(
    book, django_capture_on_commit_callbacks, mailoutbox, task, args, kind
):
    booking = book(["B5"])
    EmailDelivery.objects.all().delete()  # as if queued before the outbox existed
    with django_capture_on_commit_callbacks(execute=True):
        getattr(tasks, task).delay(booking.pk, *args)
        getattr(tasks, task).delay(booking.pk, *args)  # a redelivered message

    assert queued(booking, kind).status == "sent"
    assert len(mailoutbox) == 1
