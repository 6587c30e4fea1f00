"""The web booking page: a voucher form before paying, the discount and ticket types shown."""

from decimal import Decimal

import pytest
from django.urls import reverse

from marquee.booking import services, vouchers
from marquee.booking.models import Booking

pytestmark = pytest.mark.django_db


def test_a_voucher_entered_on_the_booking_page_lowers_the_total(site_client, customer, hold):
    vouchers.voucher_create(code="WEB5", kind="amount", value=Decimal("5.00"), currency="EUR")
    booking = hold(["A1", "A2"])
    page = reverse("web:booking", args=[booking.public_id])
    assert 'id="voucher-form"' in site_client.get(page).content.decode()
    response = site_client.post(
        reverse("web:booking-voucher", args=[booking.public_id]), {"code": "web5"}
    )
    assert response.status_code == 302
    html = site_client.get(page).content.decode()
    assert "Voucher WEB5" in html and "€5.00" in html and "€15.00" in html
    assert 'id="voucher-form"' not in html
    assert Booking.objects.get(pk=booking.pk).total == Decimal("15.00")


def test_an_unknown_voucher_on_the_page_says_so_and_changes_nothing(site_client, hold):
    booking = hold(["A1"])
    response = site_client.post(
        reverse("web:booking-voucher", args=[booking.public_id]), {"code": "NOPE"}
    )
    assert response.status_code == 400
    assert "No such voucher code." in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).total == Decimal("10.00")


def test_another_customers_booking_takes_no_voucher(other_site_client, hold):
    vouchers.voucher_create(code="MINE", kind="percent", value=Decimal("10"))
    booking = hold(["A1"])
    response = other_site_client.post(
        reverse("web:booking-voucher", args=[booking.public_id]), {"code": "MINE"}
    )
    assert response.status_code == 404


def test_the_receipt_email_lists_ticket_types_and_the_discount(
    customer, showtime, seats, default_ticket_types
):
    from marquee.catalog import services as catalog_services
    from marquee.payments import services as payment_services

    card = catalog_services.price_card_create(
        theater=showtime.screen.theater,
        name="Family",
        currency="EUR",
        entries=[{"ticket_type": "child", "tier": "standard", "price": Decimal("6.00")}],
    )
    catalog_services.showtime_update(showtime=showtime, price_card=card)
    vouchers.voucher_create(code="FAMILY", kind="percent", value=Decimal("10"))
    booking = services.booking_hold(
        user=customer,
        showtime_id=showtime.pk,
        seat_ids=[seats["A1"].id, seats["A2"].id],
        ticket_types={seats["A2"].id: "child"},
        voucher_code="FAMILY",
    )
    payment_services.payment_start(
        booking=booking, user=customer, card_number="4242 4242 4242 4242"
    )
    from marquee.tickets import emails

    booking.refresh_from_db()
    message = emails.confirmation_message(booking)
    body = message.body
    html = message.alternatives[0][0]
    assert "Voucher FAMILY: -€1.60" in html and "Child" in html
    assert "Child" in body and "Adult" in body
    assert "Voucher FAMILY: -€1.60" in body
    assert "Total: €14.40" in body
