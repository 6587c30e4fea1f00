"""Money in the currency's own units, end to end: the seat map shows, the hold charges, the
booking totals, the payment records and Stripe receives whole yen and won, euro and dollar
cents, three-decimal dinars, each rounded once (ISO 4217 minor units)."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from marquee.catalog.models import Seat, Theater, WeekdayPriceRule
from marquee.payments.models import Payment
from tests import factories
from tests.payments.stripe_fake import intent_event

pytestmark = pytest.mark.django_db

GOOD_CARD = "4242 4242 4242 4242"


@dataclass(frozen=True)
class Case:
    currency: str
    base_price: str
    surcharges: dict  # the theater's surcharge fields
    prices: dict  # tier -> the price the API writes
    total: str  # standard + premium + vip
    stripe_amount: int


# Every show is +7.8% (a weekday rule on each day), so each price needs its one rounding.
CASES = [
    # 1420 x 1.078 = 1530.76 -> 1531; x 1.2 -> 1836.912 -> 1837; x 1.5 -> 2296.14 -> 2296
    Case("JPY", "1420", {"surcharge_kind": "percent", "premium_surcharge": "20",
         "vip_surcharge": "50"},
         {"standard": "1531", "premium": "1837", "vip": "2296"}, "5664", 5664),
    # (12000 + 3000) x 1.078 = 16170; (12000 + 5000) x 1.078 = 18326
    Case("KRW", "12000", {"surcharge_kind": "amount", "surcharge_currency": "KRW",
         "premium_surcharge": "3000", "vip_surcharge": "5000"},
         {"standard": "12936", "premium": "16170", "vip": "18326"}, "47432", 47432),
    # 9.99 x 1.078 = 10.76922; 11.988 x 1.078 = 12.923064; 14.985 x 1.078 = 16.15383
    Case("EUR", "9.99", {"surcharge_kind": "percent", "premium_surcharge": "20",
         "vip_surcharge": "50"},
         {"standard": "10.77", "premium": "12.92", "vip": "16.15"}, "39.84", 3984),
    # 12 x 1.078 = 12.936; 14.50 x 1.078 = 15.631; 16.75 x 1.078 = 18.0565 (half up)
    Case("USD", "12", {"surcharge_kind": "amount", "surcharge_currency": "USD",
         "premium_surcharge": "2.50", "vip_surcharge": "4.75"},
         {"standard": "12.94", "premium": "15.63", "vip": "18.06"}, "46.63", 4663),
    # 3.5 x 1.078 = 3.773; 4.2 x 1.078 = 4.5276; 5.25 x 1.078 = 5.6595 (half up)
    Case("KWD", "3.5", {"surcharge_kind": "percent", "premium_surcharge": "20",
         "vip_surcharge": "50"},
         {"standard": "3.773", "premium": "4.528", "vip": "5.660"}, "13.961", 13961),
]  # fmt: skip


def showtime_for(case: Case):
    surcharges = {
        name: Decimal(value) if name.endswith("_surcharge") else value
        for name, value in case.surcharges.items()
    }
    theater = Theater.objects.create(
        name=f"Cinema {case.currency}", timezone="Asia/Tokyo", **surcharges
    )
    WeekdayPriceRule.objects.bulk_create(
        WeekdayPriceRule(theater=theater, weekday=day, adjustment_percent=Decimal("7.8"))
        for day in range(7)
    )
    screen = factories.screen_with_seats(
        rows=5, per_row=8, premium_rows="D", vip_rows="E", theater=theater
    )
    return factories.ShowtimeFactory(
        screen=screen,
        starts_at=factories.evening_in(2, "Asia/Tokyo"),
        base_price=Decimal(case.base_price),
        currency=case.currency,
    )


def one_seat_per_tier(showtime) -> list[int]:
    seats = Seat.objects.filter(screen=showtime.screen_id, number=1, row_label__in="ADE")
    return sorted(seats.values_list("id", flat=True))


def hold(client, showtime):
    response = client.post(
        "/api/bookings/",
        {"showtime": showtime.pk, "seats": one_seat_per_tier(showtime)},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.currency)
def test_the_seat_map_hold_and_payment_carry_the_currencys_own_units(
    api_client, customer_client, case
):
    showtime = showtime_for(case)

    seat_map = api_client.get(f"/api/showtimes/{showtime.pk}/seats/").json()
    booking = hold(customer_client, showtime)
    paid = customer_client.post(
        f"/api/bookings/{booking['id']}/pay/", {"card_number": GOOD_CARD}, format="json"
    )
    listed = customer_client.get("/api/bookings/").json()["results"][0]

    assert (seat_map["currency"], seat_map["prices"]) == (case.currency, case.prices)
    assert {seat["price"] for seat in seat_map["seats"]} == set(case.prices.values())
    assert [ticket["price"] for ticket in booking["tickets"]] == [
        case.prices["standard"],
        case.prices["premium"],
        case.prices["vip"],
    ]
    assert (booking["total"], booking["currency"]) == (case.total, case.currency)
    assert paid.status_code == 200, paid.content
    assert paid.json()["booking"]["total"] == case.total
    assert listed["total"] == case.total
    assert [t["price"] for t in listed["tickets"]] == [t["price"] for t in booking["tickets"]]
    payment = Payment.objects.get()
    assert (payment.amount, payment.currency) == (Decimal(case.total), case.currency)


@pytest.mark.parametrize("case", CASES[:4], ids=lambda case: case.currency)
def test_stripe_receives_the_total_in_minor_units_and_its_webhook_confirms(
    customer_client, fake_stripe, deliver, case
):
    showtime = showtime_for(case)
    booking = hold(customer_client, showtime)

    started = customer_client.post(f"/api/bookings/{booking['id']}/pay/", {}, format="json")
    (sent,) = fake_stripe.calls("/v1/payment_intents")
    confirmed = deliver(
        intent_event(
            started.json()["payment"],
            amount=case.stripe_amount,
            currency=case.currency.lower(),
        )
    )

    assert started.status_code == 200, started.content
    assert started.json()["amount"] == case.total
    assert (sent.params["amount"], sent.params["currency"]) == (
        str(case.stripe_amount),
        case.currency.lower(),
    )
    assert confirmed.json()["outcome"] == "confirmed"


def test_stripe_takes_three_decimal_amounts_ending_in_zero(customer_client, fake_stripe):
    """Stripe's rule for KWD, BHD, JOD, OMR and TND: the last minor digit is 0."""
    payable = showtime_for(CASES[4])  # 13.961 KWD: Stripe cannot take it
    booking = hold(customer_client, payable)

    refused = customer_client.post(f"/api/bookings/{booking['id']}/pay/", {}, format="json")

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "amount_not_chargeable"
    assert refused.json()["error"]["details"] == {"amount": "13.961", "currency": "KWD"}
    assert fake_stripe.calls("/v1/payment_intents") == []


def test_a_wrong_amount_in_a_webhook_is_refused_in_minor_units(
    customer_client, fake_stripe, deliver
):
    showtime = showtime_for(CASES[0])  # 5664 JPY
    booking = hold(customer_client, showtime)
    intent = customer_client.post(f"/api/bookings/{booking['id']}/pay/", {}, format="json")

    # 566400 would be the total read as if the yen had cents.
    outcome = deliver(intent_event(intent.json()["payment"], amount=566400, currency="jpy"))

    assert outcome.json()["outcome"] == "amount_mismatch"
    assert Payment.objects.get().status == "pending"
