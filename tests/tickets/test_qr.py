import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from marquee.booking.models import Ticket
from marquee.booking.services import booking_cancel
from marquee.tickets.qr import ticket_qr_svg
from tests import factories

pytestmark = pytest.mark.django_db


def qr_url(ticket_id) -> str:
    return f"/api/tickets/{ticket_id}/qr.svg"


def bearer_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def error_code(response) -> str:
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]["code"]


@pytest.fixture
def ticket(book):
    return book(["C4"]).tickets.get()


def assert_svg(response, ticket) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    body = response.content.decode()
    assert body.startswith("<?xml") and "<svg" in body and body.rstrip().endswith("</svg>")
    assert body == ticket_qr_svg(ticket)
    assert "no-store" in response["Cache-Control"]


def test_owner_gets_the_qr_image_with_a_jwt(customer, ticket):
    assert_svg(bearer_client(customer).get(qr_url(ticket.pk)), ticket)


@pytest.mark.parametrize("accept", ["image/svg+xml", "application/json", "image/*", "text/html"])
def test_qr_image_whatever_the_accept_header(customer_client, ticket, accept):
    assert_svg(customer_client.get(qr_url(ticket.pk), HTTP_ACCEPT=accept), ticket)


def test_staff_and_admin_get_any_ticket_qr(staff_client, admin_client_api, ticket):
    assert_svg(staff_client.get(qr_url(ticket.pk)), ticket)
    assert_svg(admin_client_api.get(qr_url(ticket.pk)), ticket)


def test_other_customers_ticket_is_404_not_403(ticket):
    other = bearer_client(factories.UserFactory())
    response = other.get(qr_url(ticket.pk))
    assert response.status_code == 404
    assert error_code(response) == "ticket_not_found"


def test_anonymous_is_401_in_json(api_client, ticket):
    response = api_client.get(qr_url(ticket.pk), HTTP_ACCEPT="image/svg+xml")
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


@pytest.mark.parametrize("ticket_id", [999_999, 10**30])
def test_unknown_ticket_is_404(customer_client, ticket_id):
    response = customer_client.get(qr_url(ticket_id), HTTP_ACCEPT="image/svg+xml")
    assert response.status_code == 404
    assert error_code(response) == "ticket_not_found"


def test_held_ticket_has_no_qr_yet(customer_client, book):
    ticket = book(["C5"], confirm=False).tickets.get()
    response = customer_client.get(qr_url(ticket.pk))
    assert response.status_code == 409
    assert error_code(response) == "ticket_not_valid"
    assert response.json()["error"]["details"] == {"status": "held"}


@pytest.mark.parametrize("status", ["cancelled", "refunded"])
def test_cancelled_or_refunded_ticket_qr_is_409(customer_client, staff_user, book, status):
    booking = book(["C6"])
    if status == "cancelled":
        booking_cancel(booking=booking, actor=staff_user)
    else:
        booking.tickets.update(status=status)
    ticket = Ticket.objects.get(booking=booking)
    response = customer_client.get(qr_url(ticket.pk), HTTP_ACCEPT="image/svg+xml")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "ticket_not_valid",
        "message": f"This ticket is {status}, not valid for entry.",
        "details": {"status": status},
    }
