"""Sales by ticket type and by voucher code: they add up to what was sold and paid."""

from decimal import Decimal

import pytest

from marquee.booking import vouchers
from marquee.booking.services import booking_hold
from marquee.catalog import services as catalog_services
from marquee.catalog.models import Seat
from tests import factories
from tests.reports.conftest import client_for, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_ticket_types")]


def test_sales_by_ticket_type_and_by_voucher_add_up(customer, other_customer, admin_user):
    screen = factories.screen_with_seats(rows=2, per_row=6)
    showtime = factories.ShowtimeFactory(
        screen=screen, starts_at=factories.evening_in(2, screen.theater.timezone)
    )
    card = catalog_services.price_card_create(
        theater=screen.theater,
        name="Family",
        currency="EUR",
        entries=[
            {"ticket_type": "adult", "tier": "standard", "price": Decimal("12.00")},
            {"ticket_type": "child", "tier": "standard", "price": Decimal("8.00")},
        ],
    )
    catalog_services.showtime_update(showtime=showtime, price_card=card)
    vouchers.voucher_create(code="FAMILY", kind="amount", value=Decimal("5.00"), currency="EUR")
    seats = sorted(Seat.objects.filter(screen=screen).values_list("pk", flat=True))
    family = booking_hold(
        user=customer,
        showtime_id=showtime.pk,
        seat_ids=seats[:5],
        ticket_types={seats[2]: "child", seats[3]: "child", seats[4]: "child"},
        voucher_code="FAMILY",
    )
    single = booking_hold(user=other_customer, showtime_id=showtime.pk, seat_ids=seats[5:6])
    pay(customer, family)
    pay(other_customer, single)
    booking_hold(user=other_customer, showtime_id=showtime.pk, seat_ids=seats[6:7])  # unpaid
    admin = client_for(admin_user)

    by_type = admin.get("/api/reports/sales/ticket-types/").json()["rows"]
    assert by_type == [
        {"ticket_type": "adult", "currency": "EUR", "tickets_sold": 3, "revenue": "36.00"},
        {"ticket_type": "child", "currency": "EUR", "tickets_sold": 3, "revenue": "24.00"},
    ]
    by_voucher = admin.get("/api/reports/sales/vouchers/").json()["rows"]
    assert by_voucher == [
        {
            "voucher": "FAMILY",
            "currency": "EUR",
            "bookings": 1,
            "tickets_sold": 5,
            "discount": "5.00",
            "revenue": "43.00",
        }
    ]
    sales = admin.get("/api/reports/sales/", {"group_by": "movie"}).json()["totals"]
    # What was paid in all = ticket prices less the voucher's discount.
    assert sales == [
        {"currency": "EUR", "tickets_sold": 6, "gross": "55.00", "refunds": "0.00", "net": "55.00"}
    ]
    csv = admin.get("/api/reports/sales/vouchers/", {"format": "csv"})
    assert csv.content.decode().splitlines()[0] == (
        "voucher,currency,bookings,tickets_sold,discount,revenue"
    )
