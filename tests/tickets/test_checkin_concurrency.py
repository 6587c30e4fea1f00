"""Two scanners, one ticket: the door admits it exactly once, under real concurrency."""

import threading

import pytest
from django.db import connections

from marquee.booking.models import Ticket
from marquee.tickets.codes import ticket_code
from marquee.tickets.errors import TicketError
from marquee.tickets.services import ticket_check_in
from tests import factories

# The `book` fixture confirms through booking_confirm alone (no Payment row): the check that each
# confirmed booking has exactly one succeeded payment does not apply to these tickets.
pytestmark = [
    pytest.mark.server_db,
    pytest.mark.concurrency(without=["confirmed_bookings_without_one_payment"]),
    pytest.mark.django_db(transaction=True),
]

SCANNERS = 10
TIMEOUT_SECONDS = 30


def test_ten_simultaneous_scans_admit_the_ticket_once(book):
    ticket = book(["C3"]).tickets.get()
    code = ticket_code(ticket)
    staff = factories.UserFactory.create_batch(SCANNERS, role="staff")
    barrier = threading.Barrier(SCANNERS)
    admitted: list[Ticket] = []
    refused: list[Exception] = []

    def scan(user) -> None:
        try:
            barrier.wait(timeout=TIMEOUT_SECONDS)
            admitted.append(ticket_check_in(code=code, staff_user=user))
        except Exception as error:
            refused.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scan, args=(user,), daemon=True) for user in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a scanner hung"

    assert len(admitted) == 1
    assert len(refused) == SCANNERS - 1
    assert all(
        isinstance(error, TicketError) and error.code == "already_checked_in" for error in refused
    ), [repr(error) for error in refused]
    ticket.refresh_from_db()
    assert ticket.checked_in_at == admitted[0].checked_in_at
    assert ticket.checked_in_by == admitted[0].checked_in_by
    first = ticket.checked_in_at.isoformat().replace("+00:00", "Z")  # as response bodies
    assert {error.details["checked_in_at"] for error in refused} == {first}
