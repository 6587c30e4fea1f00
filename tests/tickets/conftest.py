"""Fixtures for tickets: a showtime that is "today" in its theater, and confirmed bookings."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from marquee.booking import services
from marquee.booking.models import Booking
from marquee.catalog.models import Seat
from marquee.tickets import outbox
from marquee.tickets.models import EmailDelivery
from tests import factories
from tests.servers import Inbox, SmtpServer, free_port


def daytime_zone(now: datetime | None = None) -> str:
    """A fixed-offset zone where it is now about 10:00, so now + a few hours is still today."""
    now = now or datetime.now(UTC)
    offset = (10 - now.hour + 12) % 24 - 12  # in -12..+11, all of which exist as Etc/GMT zones
    # Etc/GMT signs are POSIX-style: Etc/GMT-2 is two hours *ahead* of UTC.
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def as_email(message) -> EmailMessage:
    """Parse a sent Django message the way a mail client would."""
    return message_from_bytes(message.message().as_bytes(), policy=policy.default)


def qr_image_parts(parsed: EmailMessage) -> list[EmailMessage]:
    return [part for part in parsed.walk() if part.get_content_type() == "image/png"]


@pytest.fixture(autouse=True)
def _eager_tasks_raise():
    # Eager tasks swallow errors by default (requests must not fail on mail trouble); in
    # these tests a broken email must fail the test instead of vanishing.
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def theater(db):
    return factories.TheaterFactory(timezone=daytime_zone())


@pytest.fixture
def screen(theater):
    """The same 5 x 8 screen as the root fixture (row D premium, row E VIP), in `theater`."""
    return factories.screen_with_seats(
        rows=5, per_row=8, aisle_after=(4,), premium_rows="D", vip_rows="E", theater=theater
    )


@pytest.fixture
def showtime(screen):
    """Today in the theater's own time: starts in three hours, where it is now about 10:00."""
    return factories.ShowtimeFactory(
        screen=screen,
        movie=factories.MovieFactory(title="The Night Usher"),
        starts_at=timezone.now() + timedelta(hours=3),
    )


@pytest.fixture
def berlin_showtime(db):
    """An evening show two days ahead in a Berlin theater: for emails that show the theater's
    clock."""
    theater = factories.TheaterFactory(name="Kino Babylon", timezone="Europe/Berlin")
    screen = factories.screen_with_seats(
        rows=5, per_row=8, premium_rows="D", vip_rows="E", theater=theater
    )
    return factories.ShowtimeFactory(
        screen=screen,
        movie=factories.MovieFactory(title="Metropolis"),
        starts_at=factories.evening_in(2, "Europe/Berlin"),
    )


@pytest.fixture
def book(customer, showtime):
    """book(["A1", "E2"], user=..., showtime=..., confirm=True) -> a booking, via the services."""

    def _book(labels, *, user=None, showtime=showtime, confirm=True, now=None) -> Booking:
        seat_ids = {
            f"{s.row_label}{s.number}": s.id for s in Seat.objects.filter(screen=showtime.screen_id)
        }
        booking = services.booking_hold(
            user=user or customer,
            showtime_id=showtime.pk,
            seat_ids=[seat_ids[label] for label in labels],
            now=now,
        )
        if confirm:
            services.booking_confirm(booking_id=booking.pk)
        return Booking.objects.get(pk=booking.pk)

    return _book


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server that Django's SMTP backend sends to; `.stop()` is an outage."""
    server = SmtpServer(Inbox(), free_port())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_inbox(smtp_server) -> Inbox:
    return smtp_server.inbox


def queued(booking, kind: str = "confirmation") -> EmailDelivery:
    """The one outbox row of this kind the booking's change wrote."""
    return EmailDelivery.objects.get(booking=booking, kind=kind)


def send_queued(booking, kind: str = "confirmation", **options) -> str:
    """Send the booking's outbox row as the task queued after the commit would."""
    return outbox.email_delivery_send(delivery_id=queued(booking, kind).pk, **options)
