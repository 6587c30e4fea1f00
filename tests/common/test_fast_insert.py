"""`fast_insert.insert` writes exactly the rows the ORM would, on SQLite and PostgreSQL."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from marquee.booking.models import Booking, BookingEvent, Ticket
from marquee.common import fast_insert

pytestmark = pytest.mark.django_db


def test_rows_read_back_as_written_with_ids_defaults_and_timestamps(customer, showtime, seats):
    before = timezone.now()
    expires = before + timedelta(minutes=10)
    booking = Booking(
        user=customer, showtime=showtime, expires_at=expires, total=Decimal("21.30"), currency="EUR"
    )
    fast_insert.insert([booking])
    assert booking.pk is not None and not booking._state.adding
    row = Booking.objects.get(pk=booking.pk)
    assert (row.public_id, row.user_id, row.showtime_id) == (
        booking.public_id,
        customer.pk,
        showtime.pk,
    )
    assert (row.status, row.expires_at, row.total, row.currency) == (
        "pending",
        expires,
        Decimal("21.30"),
        "EUR",
    )
    assert before <= row.created_at == booking.created_at
    assert row.updated_at == booking.updated_at and row.reminded_at is None

    labels = ["C3", "A1", "B2"]  # ids come back in the order the rows were given
    tickets = [
        Ticket(
            booking=booking,
            showtime=showtime,
            seat=seats[label],
            price=Decimal("7.10"),
            held_until=expires,
        )
        for label in labels
    ]
    fast_insert.insert(tickets)
    for ticket, label in zip(tickets, labels, strict=True):
        row = Ticket.objects.get(pk=ticket.pk)
        assert row.seat_id == seats[label].pk
        assert (row.secret, row.price, row.status, row.held_until) == (
            ticket.secret,
            Decimal("7.10"),
            "held",
            expires,
        )
    event = BookingEvent(booking=booking, from_status="", to_status="pending", actor=None)
    fast_insert.insert([event])
    assert BookingEvent.objects.get(pk=event.pk).actor_id is None


def test_the_same_rows_as_bulk_create(customer, showtime, seats):
    now = timezone.now()

    def booking():
        return Booking(
            user=customer, showtime=showtime, expires_at=now, total=Decimal("1.00"), currency="EUR"
        )

    ours, theirs = booking(), booking()
    fast_insert.insert([ours])
    Booking.objects.bulk_create([theirs])
    skip = ("id", "public_id")
    fields = [f.attname for f in Booking._meta.concrete_fields if f.attname not in skip]
    mine = Booking.objects.filter(pk=ours.pk).values(*fields).get()
    reference = Booking.objects.filter(pk=theirs.pk).values(*fields).get()
    for row in (mine, reference):  # both stamped "now", a moment apart
        assert row.pop("created_at") >= now and row.pop("updated_at") >= now
    assert mine == reference


def test_the_unique_index_still_refuses_a_second_active_ticket(customer, showtime, seats):
    booking = Booking(
        user=customer,
        showtime=showtime,
        expires_at=timezone.now(),
        total=Decimal("0"),
        currency="EUR",
    )
    fast_insert.insert([booking])
    first = Ticket(booking=booking, showtime=showtime, seat=seats["A1"], price=Decimal("1"))
    fast_insert.insert([first])
    with pytest.raises(IntegrityError), transaction.atomic():
        fast_insert.insert(
            [Ticket(booking=booking, showtime=showtime, seat=seats["A1"], price=Decimal("1"))]
        )
    assert Ticket.objects.filter(seat=seats["A1"]).count() == 1


def test_nothing_to_insert_is_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        fast_insert.insert([])
