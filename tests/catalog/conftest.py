"""Catalog test helpers: real images made in memory, a ticket on a seat, local times."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from marquee.booking.models import Booking, Ticket


def image_upload(name="poster.png", image_format="PNG", size=(16, 24)) -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", size, color=(200, 30, 30)).save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format}")


def local_datetime(day, hour, minute=0, tz="Europe/Berlin") -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz))


def local_today(tz="Europe/Berlin"):
    return timezone.now().astimezone(ZoneInfo(tz)).date()


def hold_ticket(*, seat, showtime, user) -> Ticket:
    """A held ticket, written straight to the booking tables (the catalog never does this)."""
    booking = Booking.objects.create(
        user=user,
        showtime=showtime,
        expires_at=timezone.now() + timedelta(minutes=10),
        total=Decimal("10.00"),
        currency="EUR",
    )
    return Ticket.objects.create(
        booking=booking, showtime=showtime, seat=seat, price=Decimal("10.00"), status="held"
    )


@pytest.fixture
def admin_site_client(admin_user):
    client = Client()
    client.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")
    return client
