from datetime import UTC, datetime, timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone, translation

from config.celery import app as celery_app
from marquee.booking.models import Booking
from marquee.booking.services import booking_cancel, booking_confirm
from marquee.catalog.models import Movie, Screen, Showtime, Theater
from marquee.tickets import emails, outbox, tasks
from marquee.tickets.codes import ticket_code
from marquee.tickets.models import EmailDelivery
from marquee.tickets.qr import ticket_qr_png
from tests import factories
from tests.tickets.conftest import as_email, qr_image_parts, queued, send_queued

pytestmark = pytest.mark.django_db


def text_of(parsed) -> str:
    return parsed.get_body(preferencelist=("plain",)).get_content()


def html_of(parsed) -> str:
    return parsed.get_body(preferencelist=("html",)).get_content()


def test_local_start_reads_in_the_theaters_timezone():
    theater = Theater(name="Kino", timezone="Europe/Berlin")
    showtime = Showtime(
        screen=Screen(theater=theater, name="1"),
        starts_at=datetime(2026, 3, 14, 19, 0, tzinfo=UTC),
    )
    assert (
        emails.local_start_text(showtime)
        == "Saturday, March 14, 2026, 8:00\u202fPM (Europe/Berlin)"
    )
    showtime.starts_at = datetime(2026, 7, 4, 18, 30, tzinfo=UTC)  # summer time
    assert (
        emails.local_start_text(showtime) == "Saturday, July 4, 2026, 8:30\u202fPM (Europe/Berlin)"
    )


def test_confirmation_email_lists_show_seats_prices_total_and_codes(
    book, berlin_showtime, customer, mailoutbox
):
    booking = book(["A1", "D2", "E3"], showtime=berlin_showtime)
    tickets = list(booking.tickets.select_related("seat").order_by("seat__y"))

    assert send_queued(booking) == "sent"

    (message,) = mailoutbox
    assert message.to == [customer.email]
    when = emails.local_start_text(berlin_showtime)
    assert when.endswith("(Europe/Berlin)")
    # One line, whitespace plain (CLDR puts a narrow no-break space before "PM").
    assert message.subject == " ".join(f"Your tickets for Metropolis, {when}".split())
    parsed = as_email(message)
    text, html = text_of(parsed), html_of(parsed)
    for body in (text, html):
        assert "Metropolis" in body
        assert when in body
        assert "Kino Babylon" in body
        assert berlin_showtime.screen.name in body
        assert "Total: €37.00" in body  # two decimals, as EUR has, in the buyer's language
        assert str(booking.public_id) in body
    assert "Row A, seat 1 (Standard): €10.00" in text
    assert "Row D, seat 2 (Premium): €12.00" in text
    assert "Row E, seat 3 (VIP): €15.00" in text
    assert booking.total == sum(t.price for t in tickets)
    for ticket in tickets:
        assert ticket_code(ticket) in text
        assert ticket_code(ticket) in html
        assert f'src="cid:ticket-{ticket.pk}@marquee"' in html
    assert parsed.get_content_type() == "multipart/related"
    images = qr_image_parts(parsed)
    assert [part["Content-ID"] for part in images] == [f"<ticket-{t.pk}@marquee>" for t in tickets]
    for ticket, part in zip(tickets, images, strict=True):
        assert part.get_content_disposition() == "inline"
        # A PNG (mail clients drop SVG) of exactly this ticket's code.
        assert part.get_content() == ticket_qr_png(ticket)
        assert part.get_content().startswith(b"\x89PNG\r\n\x1a\n")


def test_html_part_escapes_the_movie_title(book, berlin_showtime, mailoutbox):
    Movie.objects.filter(pk=berlin_showtime.movie_id).update(title="Tom & <Jerry>")
    booking = book(["A1"], showtime=berlin_showtime)
    send_queued(booking)
    parsed = as_email(mailoutbox[0])
    assert "Tom &amp; &lt;Jerry&gt;" in html_of(parsed)
    assert "Tom & <Jerry>" in text_of(parsed)


def test_confirming_a_booking_sends_one_email_after_commit(
    book, django_capture_on_commit_callbacks, mailoutbox
):
    booking = book(["B1", "B2"], confirm=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        booking_confirm(booking_id=booking.pk)
    assert mailoutbox == []  # nothing leaves before the transaction commits
    assert callbacks  # the email (and the seat map's version bump) wait for the commit

    for callback in callbacks:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        booking_confirm(booking_id=booking.pk)  # already confirmed: no second email

    (message,) = mailoutbox
    assert message.subject.startswith("Your tickets for The Night Usher")
    assert len(qr_image_parts(as_email(message))) == 2
    assert queued(booking).status == "sent"


def test_confirmation_is_not_sent_for_an_unconfirmed_booking(book, customer, mailoutbox):
    with pytest.raises(emails.NothingToSend):
        emails.confirmation_message(book(["B3"], confirm=False))

    cancelled_before_sending = book(["B4"])
    booking_cancel(booking=cancelled_before_sending, actor=customer)
    assert send_queued(cancelled_before_sending) == "skipped"

    assert mailoutbox == []
    delivery = queued(cancelled_before_sending)
    assert (delivery.status, delivery.last_error) == (
        "skipped",
        "the booking is cancelled, not confirmed",
    )


@pytest.mark.parametrize(
    ("confirm", "money_line"),
    [
        (True, "we will email you as soon as the refund is on its way"),
        (False, "Nothing was charged."),
    ],
)
def test_cancelling_sends_a_cancellation_email(
    book,
    customer,
    berlin_showtime,
    django_capture_on_commit_callbacks,
    mailoutbox,
    confirm,
    money_line,
):
    booking = book(["C1"], showtime=berlin_showtime, confirm=confirm)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=customer)
    (message,) = mailoutbox
    assert message.subject.startswith("Booking cancelled: Metropolis")
    parsed = as_email(message)
    assert money_line in text_of(parsed)
    assert money_line in html_of(parsed)
    assert "your booking was cancelled" in text_of(parsed)


def test_cancelled_showtime_says_so_in_each_email(
    book, other_customer_factory, berlin_showtime, django_capture_on_commit_callbacks, mailoutbox
):
    from marquee.booking.services import bookings_cancel_for_showtime

    book(["A1"], showtime=berlin_showtime)
    book(["A2"], showtime=berlin_showtime, user=other_customer_factory())
    with django_capture_on_commit_callbacks(execute=True):
        Showtime.objects.filter(pk=berlin_showtime.pk).update(status="cancelled")
        bookings_cancel_for_showtime(showtime=berlin_showtime)
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        assert "this showtime was cancelled" in message.body


def test_refund_notice_states_the_amount(
    book, customer, django_capture_on_commit_callbacks, mailoutbox
):
    booking = book(["C2"])
    with django_capture_on_commit_callbacks(execute=True):
        outbox.email_queue(
            kind="refund", booking_id=booking.pk, amount="10.00", currency="eur", dedupe_key="r:1"
        )
    (message,) = mailoutbox
    assert message.subject == "Refund of €10.00 for The Night Usher"
    assert "we have refunded €10.00" in message.body
    assert message.to == [customer.email]


@pytest.mark.parametrize("amount", ["", "ten", "NaN", "-5.00", "0"])
def test_refund_notice_refuses_a_nonsense_amount(book, mailoutbox, amount):
    booking = book(["C3"])
    with pytest.raises(ValueError):
        outbox.email_queue(kind="refund", booking_id=booking.pk, amount=amount, currency="EUR")
    assert not EmailDelivery.objects.filter(kind="refund").exists()


@pytest.fixture
def other_customer_factory(db):
    return lambda: factories.UserFactory(role="customer")


@pytest.fixture
def soon_showtime(theater):
    """Starts in an hour: inside the 120-minute reminder window."""
    screen = factories.screen_with_seats(rows=2, per_row=4, theater=theater)
    return factories.ShowtimeFactory(
        screen=screen,
        movie=factories.MovieFactory(title="Soon"),
        starts_at=timezone.now() + timedelta(minutes=60),
    )


def test_reminders_go_out_once_even_when_the_task_runs_twice(
    book,
    soon_showtime,
    showtime,
    other_customer_factory,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    due = book(["A1", "A2"], showtime=soon_showtime)
    book(["B1"], showtime=soon_showtime, user=other_customer_factory(), confirm=False)  # pending
    book(["A1"], showtime=showtime)  # three hours away: not yet

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_showtime_reminders.delay().get() == 1
        assert tasks.send_showtime_reminders.delay().get() == 0
        tasks.send_showtime_reminder.delay(due.pk)  # a straggler of the previous release

    (message,) = mailoutbox
    assert message.subject.startswith("Starting soon: Soon")
    assert len(qr_image_parts(as_email(message))) == 2
    due.refresh_from_db()
    assert due.reminded_at is not None
    assert queued(due, "reminder").status == "sent"


def test_reminder_window_follows_the_setting(
    settings, book, soon_showtime, django_capture_on_commit_callbacks, mailoutbox
):
    book(["A1"], showtime=soon_showtime)
    settings.TICKET_REMINDER_MINUTES = 30
    assert tasks.send_showtime_reminders() == 0
    settings.TICKET_REMINDER_MINUTES = 90
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_showtime_reminders() == 1
    assert len(mailoutbox) == 1


def test_no_reminder_for_a_started_or_cancelled_booking(book, soon_showtime, customer, mailoutbox):
    started = book(["A1"], showtime=soon_showtime)
    assert outbox.showtime_reminders_queue(now=soon_showtime.starts_at) == 0
    cancelled = book(["A2"], showtime=soon_showtime)
    Booking.objects.filter(pk=cancelled.pk).update(status="cancelled")
    assert outbox.showtime_reminders_queue(now=soon_showtime.starts_at) == 0
    assert not Booking.objects.filter(reminded_at__isnull=False).exists()

    # Queued in time, but the show started before the mail server took it: not sent late.
    assert outbox.showtime_reminders_queue() == 1
    assert send_queued(started, "reminder", now=soon_showtime.starts_at) == "skipped"
    assert queued(started, "reminder").last_error == "the show has started"
    assert mailoutbox == []


def test_failed_reminder_send_is_retried(monkeypatch, book, soon_showtime, mailoutbox):
    booking = book(["A1"], showtime=soon_showtime)
    real_send = EmailMultiAlternatives.send

    def broken_send(self, fail_silently=False):
        raise SMTPServerDisconnected("connection lost")

    assert send_queued(booking) == "sent"  # the confirmation
    monkeypatch.setattr(EmailMultiAlternatives, "send", broken_send)
    assert outbox.showtime_reminders_queue() == 1
    assert send_queued(booking, "reminder") == "server_down"
    delivery = queued(booking, "reminder")
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "SMTPServerDisconnected: connection lost"

    monkeypatch.setattr(EmailMultiAlternatives, "send", real_send)
    summary = outbox.email_deliveries_send_due(now=timezone.now() + timedelta(minutes=1))
    assert summary.sent == 1
    assert [m.subject[:14] for m in mailoutbox] == ["Your tickets f", "Starting soon:"]
    assert outbox.showtime_reminders_queue() == 0  # queued once, for good


def test_task_names_match_the_beat_schedule(settings):
    entries = settings.CELERY_BEAT_SCHEDULE.values()
    schedule = {entry["task"]: entry["schedule"] for entry in entries}
    assert schedule[tasks.send_showtime_reminders.name] == 300
    assert schedule[tasks.send_pending_emails.name] == 60  # the outbox's retries, every minute
    assert tasks.send_pending_emails.name == "marquee.tickets.tasks.send_pending_emails"
    assert tasks.prune_email_deliveries.name in schedule
    # The previous release's task names still take the messages it queued.
    assert tasks.send_refund_notice.name == "marquee.tickets.tasks.send_refund_notice"
    assert tasks.send_booking_confirmation.name == "marquee.tickets.tasks.send_booking_confirmation"


def test_mail_trouble_in_process_is_recorded_once_instead_of_retried_in_the_request(
    monkeypatch, book, mailoutbox
):
    booking = book(["C4"])
    attempts = []

    def broken_send(self, fail_silently=False):
        attempts.append(1)
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(EmailMultiAlternatives, "send", broken_send)
    # As configured without a broker: eager, and errors logged rather than raised.
    celery_app.conf.task_eager_propagates = False  # the autouse fixture restores it
    result = tasks.send_email_delivery.delay(queued(booking).pk)
    assert result.state == "SUCCESS"  # nothing raised into the request
    assert result.result == "server_down"
    assert len(attempts) == 1  # the outbox retries later; the request does not
    delivery = queued(booking)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "ConnectionRefusedError: no mail server"


def test_emails_show_when_the_film_ends_not_when_the_screen_is_free(
    book, berlin_showtime, settings
):
    settings.SHOWTIME_CLEANING_MINUTES = 15
    booking = book(["A1"], showtime=berlin_showtime)  # 19:00 Berlin, a 120-minute film

    parsed = as_email(emails.confirmation_message(booking))
    assert "Ends:    9:00\u202fPM\n" in text_of(parsed)  # English: the film's end, 12-hour
    assert "<td>9:00\u202fPM</td>" in html_of(parsed)
    assert "9:15" not in text_of(parsed)


def test_a_film_ending_after_midnight_says_which_day():
    theater = Theater(name="Kino", timezone="Europe/Berlin")
    showtime = Showtime(
        movie=Movie(title="Late", duration_minutes=125),
        screen=Screen(theater=theater, name="1"),
        starts_at=datetime(2026, 3, 14, 22, 30, tzinfo=UTC),  # 23:30 in Berlin
    )
    assert emails.local_end_text(showtime) == "1:35\u202fAM, Sunday, March 15"
    with translation.override("de"):
        assert emails.local_end_text(showtime) == "01:35, Sonntag, 15. März"
