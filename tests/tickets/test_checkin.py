from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from marquee.booking.models import Ticket
from marquee.booking.services import booking_cancel
from marquee.catalog.models import Showtime
from marquee.common.errors import http_status
from marquee.common.time import to_local
from marquee.tickets.codes import hmac_ticket_code, ticket_code
from marquee.tickets.errors import TicketError
from marquee.tickets.services import ticket_check_in
from tests import factories
from tests.errors import field_codes

pytestmark = pytest.mark.django_db


def scan(client, code):
    return client.post("/api/checkin/", {"code": code}, format="json")


def error_of(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


@pytest.fixture
def ticket(book):
    return book(["E5"]).tickets.select_related("seat").get()


def test_first_scan_admits_the_ticket(staff_client, staff_user, customer, showtime, ticket):
    customer.first_name, customer.last_name = "Ada", "Lovelace"
    customer.save()

    response = scan(staff_client, ticket_code(ticket))

    assert response.status_code == 200
    body = response.json()
    local_start = to_local(showtime.starts_at, showtime.screen.theater.timezone)
    assert body == {
        "ticket": ticket.pk,
        "booking": str(ticket.booking.public_id),
        "checked_in_at": body["checked_in_at"],
        "movie": "The Night Usher",
        "showtime": showtime.pk,
        "starts_at": body["starts_at"],
        "local_starts_at": local_start.isoformat(),
        "theater": showtime.screen.theater.name,
        "screen": showtime.screen.name,
        "seat": {"row": "E", "number": 5, "tier": "vip", "kind": "regular"},
        "holder": "Ada Lovelace",
    }
    assert parse_datetime(body["starts_at"]) == showtime.starts_at
    ticket.refresh_from_db()
    assert ticket.checked_in_by == staff_user
    assert parse_datetime(body["checked_in_at"]) == ticket.checked_in_at


def test_holder_without_a_name_is_shown_by_username(admin_client_api, customer, ticket):
    assert scan(admin_client_api, ticket_code(ticket)).json()["holder"] == customer.username


def test_second_scan_is_409_with_the_first_time(staff_client, ticket):
    first = scan(staff_client, ticket_code(ticket)).json()
    again = scan(staff_client, ticket_code(ticket))
    assert error_of(again) == (409, "already_checked_in")
    first_time = again.json()["error"]["details"]["checked_in_at"]
    assert parse_datetime(first_time) == parse_datetime(first["checked_in_at"])


@pytest.mark.parametrize(
    "forge",
    [
        lambda code: code[:-2] + ("AA" if not code.endswith("AA") else "BB"),
        lambda code: "9" + code,
        lambda code: code.replace(".", "", 1),
        lambda code: "not a ticket",
    ],
)
def test_forged_code_is_400(staff_client, ticket, forge):
    assert error_of(scan(staff_client, forge(ticket_code(ticket)))) == (400, "invalid_ticket_code")
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None


def test_genuine_code_with_a_stale_secret_is_400(staff_client, ticket):
    stale = ticket_code(
        SimpleNamespace(pk=ticket.pk, showtime_id=ticket.showtime_id, secret="an-old-secret")
    )
    assert error_of(scan(staff_client, stale)) == (400, "invalid_ticket_code")


def test_genuine_code_naming_another_showtime_is_400(staff_client, ticket):
    moved = ticket_code(
        SimpleNamespace(pk=ticket.pk, showtime_id=ticket.showtime_id + 1, secret=ticket.secret)
    )
    assert error_of(scan(staff_client, moved)) == (400, "invalid_ticket_code")


def test_an_hmac_code_sold_before_the_ed25519_codes_is_admitted(staff_client, ticket):
    assert scan(staff_client, hmac_ticket_code(ticket)).status_code == 200


def test_an_hmac_code_is_refused_after_the_transition(settings, staff_client, ticket):
    settings.TICKET_CODES_ACCEPT_HMAC = False
    assert error_of(scan(staff_client, hmac_ticket_code(ticket))) == (400, "invalid_ticket_code")
    assert scan(staff_client, ticket_code(ticket)).status_code == 200


def test_genuine_code_of_a_vanished_ticket_is_404(staff_client):
    code = ticket_code(SimpleNamespace(pk=987_654, showtime_id=1, secret="whatever"))
    assert error_of(scan(staff_client, code)) == (404, "ticket_not_found")


def test_cancelled_ticket_is_409(staff_client, staff_user, ticket):
    booking_cancel(booking=ticket.booking, actor=staff_user)
    response = scan(staff_client, ticket_code(ticket))
    assert error_of(response) == (409, "ticket_not_valid")
    assert response.json()["error"]["details"] == {"status": "cancelled"}


@pytest.mark.parametrize("status", ["refunded", "expired"])
def test_refunded_or_expired_ticket_is_409(staff_client, ticket, status):
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    response = scan(staff_client, ticket_code(ticket))
    assert error_of(response) == (409, "ticket_not_valid")
    assert response.json()["error"]["details"] == {"status": status}


def test_held_ticket_is_409(staff_client, book):
    held = book(["A1"], confirm=False).tickets.get()
    response = scan(staff_client, ticket_code(held))
    assert error_of(response) == (409, "ticket_not_valid")
    assert response.json()["error"]["details"] == {"status": "held"}


def test_ticket_for_another_day_is_409_with_the_local_start(staff_client, book, screen):
    later = factories.ShowtimeFactory(screen=screen, starts_at=timezone.now() + timedelta(days=2))
    ticket = book(["B2"], showtime=later).tickets.get()
    response = scan(staff_client, ticket_code(ticket))
    assert error_of(response) == (409, "wrong_day")
    local_start = to_local(later.starts_at, screen.theater.timezone)
    assert response.json()["error"]["details"] == {"local_starts_at": local_start.isoformat()}


def test_yesterdays_ticket_is_refused_the_next_day(staff_user, showtime, ticket):
    with pytest.raises(TicketError) as refused:
        ticket_check_in(
            code=ticket_code(ticket),
            staff_user=staff_user,
            now=showtime.starts_at + timedelta(days=1),
        )
    assert refused.value.code == "wrong_day"


def test_around_midnight_the_doors_open_the_evening_before(staff_user, book):
    """A show at 00:15 lets people in at 23:45 the day before, not hours earlier."""
    theater = factories.TheaterFactory(timezone="UTC")
    screen = factories.screen_with_seats(rows=1, per_row=4, theater=theater)
    tomorrow = timezone.now().astimezone(UTC).date() + timedelta(days=1)
    starts_at = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 0, 15, tzinfo=UTC)
    late_show = factories.ShowtimeFactory(screen=screen, starts_at=starts_at)
    ticket = book(["A1"], showtime=late_show).tickets.get()
    code = ticket_code(ticket)

    with pytest.raises(TicketError) as refused:
        ticket_check_in(code=code, staff_user=staff_user, now=starts_at - timedelta(hours=3))
    assert refused.value.code == "wrong_day"
    admitted = ticket_check_in(
        code=code, staff_user=staff_user, now=starts_at - timedelta(minutes=30)
    )
    assert admitted.checked_in_at == starts_at - timedelta(minutes=30)


def test_ticket_of_a_cancelled_showtime_is_409(staff_user, showtime, ticket):
    Showtime.objects.filter(pk=showtime.pk).update(status="cancelled")
    with pytest.raises(TicketError) as refused:
        ticket_check_in(code=ticket_code(ticket), staff_user=staff_user)
    assert (http_status(refused.value), refused.value.code) == (409, "showtime_cancelled")


def test_customers_may_not_check_in_even_their_own_ticket(customer_client, ticket):
    assert error_of(scan(customer_client, ticket_code(ticket))) == (403, "permission_denied")
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None


def test_anonymous_check_in_is_401(api_client, ticket):
    assert error_of(scan(api_client, ticket_code(ticket))) == (401, "not_authenticated")


@pytest.mark.parametrize(
    ("payload", "field_code"),
    [
        ({}, "required"),
        ({"code": ""}, "blank"),
        ({"code": "x" * 201}, "max_length"),
        ({"code": 12345}, "invalid"),
        ({"code": None}, "null"),
        ({"code": ["a"]}, "invalid"),
    ],
    ids=["missing", "empty", "oversized", "number", "null", "list"],
)
def test_missing_or_malformed_code_is_400(staff_client, payload, field_code):
    response = staff_client.post("/api/checkin/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert field_codes(response) == {"code": [field_code]}


def test_non_object_body_is_400(staff_client):
    response = staff_client.post("/api/checkin/", ["code"], format="json")
    assert response.status_code == 400


def test_a_ticket_sold_before_a_key_rotation_is_admitted_after_it(settings, staff_client, ticket):
    code = ticket_code(ticket)
    old_key = settings.TICKET_SIGNING_KEY

    settings.TICKET_SIGNING_KEY = "the-ticket-key-after-the-rotation-" + "b" * 30
    settings.TICKET_SIGNING_KEY_FALLBACKS = [old_key]

    assert scan(staff_client, code).status_code == 200


def test_without_the_old_key_a_ticket_code_from_before_the_rotation_is_refused(
    settings, staff_client, ticket
):
    code = ticket_code(ticket)

    settings.TICKET_SIGNING_KEY = "the-ticket-key-after-the-rotation-" + "b" * 30
    settings.TICKET_SIGNING_KEY_FALLBACKS = []

    assert error_of(scan(staff_client, code)) == (400, "invalid_ticket_code")
