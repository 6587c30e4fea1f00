"""Vouchers: discounts computed in pricing.py, applied at hold or before payment, limits, scope,
given back when a booking no longer stands."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from marquee.booking import services, vouchers
from marquee.booking.models import Booking, Voucher, VoucherRedemption
from marquee.booking.pricing import voucher_discount
from marquee.catalog import services as catalog_services
from marquee.common.errors import ApplicationError
from marquee.common.money import quantize
from marquee.payments.reconciliation import reconcile
from tests import factories

URL = "/api/bookings/"


def ids(seats, *labels):
    return [seats[label].id for label in labels]


# --- The discount (pure) ---------------------------------------------------------------------


def test_a_percentage_is_rounded_once_half_up_to_the_minor_unit():
    assert voucher_discount(
        kind="percent", value=Decimal("15"), currency="EUR", eligible_total=Decimal("12.50")
    ) == Decimal("1.88")  # 1.875
    assert voucher_discount(
        kind="percent", value=Decimal("15"), currency="JPY", eligible_total=Decimal("1530")
    ) == Decimal("230")  # 229.5, whole yen
    assert voucher_discount(
        kind="percent", value=Decimal("10"), currency="KWD", eligible_total=Decimal("3.255")
    ) == Decimal("0.326")  # 0.3255, three decimals


def test_a_fixed_amount_never_takes_more_than_the_tickets_cost():
    assert voucher_discount(
        kind="amount", value=Decimal("5.00"), currency="EUR", eligible_total=Decimal("3.20")
    ) == Decimal("3.20")
    assert voucher_discount(
        kind="amount", value=Decimal("500"), currency="JPY", eligible_total=Decimal("1800")
    ) == Decimal("500")


@given(
    kind=st.sampled_from(["percent", "amount"]),
    value=st.decimals(min_value=0, max_value=10_000, places=2),
    currency=st.sampled_from(["EUR", "JPY", "KWD", "USD"]),
    prices=st.lists(st.decimals(min_value=0, max_value=10_000, places=0), max_size=12),
)
def test_a_discount_is_never_negative_never_above_the_total_and_in_minor_units(
    kind, value, currency, prices
):
    total = quantize(sum(prices, Decimal(0)), currency)
    discount = voucher_discount(kind=kind, value=value, currency=currency, eligible_total=total)
    assert Decimal(0) <= discount <= total
    assert discount == quantize(discount, currency)
    assert total - discount >= 0


# --- Holding with a voucher ------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def make(code="SAVE10", **terms) -> Voucher:
    terms = {"kind": "percent", "value": Decimal("10"), **terms}
    return vouchers.voucher_create(code=code, **terms)


def test_a_voucher_at_hold_takes_its_discount_off_the_total(customer_client, showtime, seats):
    make("save10")  # codes are upper case, and matched whatever the case typed
    response = customer_client.post(
        URL,
        {"showtime": showtime.pk, "seats": ids(seats, "A1", "E1"), "voucher": "Save10 "},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["voucher"], body["discount"], body["total"]) == ("SAVE10", "2.50", "22.50")
    assert Voucher.objects.get().redeemed == 1
    detail = customer_client.get(f"{URL}{body['id']}/").json()
    assert detail["discount"] == "2.50" and detail["voucher"] == "SAVE10"
    assert reconcile() == []


def test_without_a_voucher_a_booking_shows_no_discount(customer_client, showtime, seats):
    body = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1")}, format="json"
    ).json()
    assert (body["voucher"], body["discount"]) == (None, "0.00")


@pytest.mark.parametrize(
    ("terms", "code", "status"),
    [
        ({"valid_until": timezone.now() - timedelta(days=1)}, "voucher_expired", 400),
        ({"valid_from": timezone.now() + timedelta(days=1)}, "voucher_not_yet_valid", 400),
        ({"min_seats": 3}, "voucher_min_seats", 400),
        ({"ticket_type": "child"}, "voucher_not_applicable", 400),
        (
            {"kind": "amount", "value": Decimal("500"), "currency": "JPY"},
            "voucher_not_applicable",
            400,
        ),
        ({"max_redemptions": 0}, "voucher_exhausted", 409),
    ],
)
def test_a_voucher_that_does_not_apply_refuses_the_hold_and_holds_nothing(
    customer_client, showtime, seats, terms, code, status
):
    make("NOPE", **terms)
    response = customer_client.post(
        URL,
        {"showtime": showtime.pk, "seats": ids(seats, "A1", "A2"), "voucher": "NOPE"},
        format="json",
    )
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert not Booking.objects.exists()
    assert Voucher.objects.get().redeemed == 0


def test_an_unknown_code_is_400_voucher_invalid(customer_client, showtime, seats):
    response = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1"), "voucher": "WHAT"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "voucher_invalid"


@pytest.mark.parametrize("voucher", [5, "", "X" * 33, None, ["A"]])
def test_a_malformed_voucher_field_is_400_invalid(customer_client, showtime, seats, voucher):
    response = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1"), "voucher": voucher}, format="json"
    )
    if voucher == 5:  # a number is read as the text "5": an unknown code
        assert response.json()["error"]["code"] == "voucher_invalid"
    else:
        assert response.json()["error"]["code"] == "invalid"
    assert response.status_code == 400


def test_the_scope_of_a_movie_or_theater_is_kept(customer_client, showtime, seats):
    make("MOVIE", movie=factories.MovieFactory())
    make("THEATER", theater=showtime.screen.theater)
    refused = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1"), "voucher": "MOVIE"}, format="json"
    )
    assert refused.json()["error"]["code"] == "voucher_not_applicable"
    taken = customer_client.post(
        URL,
        {"showtime": showtime.pk, "seats": ids(seats, "A1"), "voucher": "THEATER"},
        format="json",
    )
    assert taken.status_code == 201


def test_a_ticket_type_voucher_discounts_only_those_tickets(
    customer_client, showtime, seats, default_ticket_types
):
    card = catalog_services.price_card_create(
        theater=showtime.screen.theater,
        name="Family",
        currency="EUR",
        entries=[
            {"ticket_type": "adult", "tier": "standard", "price": Decimal("12.00")},
            {"ticket_type": "child", "tier": "standard", "price": Decimal("8.00")},
        ],
    )
    catalog_services.showtime_update(showtime=showtime, price_card=card)
    make("KIDS", value=Decimal("50"), ticket_type="child")
    seats_in = [
        seats["A1"].id,
        seats["A2"].id,
        {"id": seats["A3"].id, "ticket_type": "child"},
        {"id": seats["A4"].id, "ticket_type": "child"},
        {"id": seats["A5"].id, "ticket_type": "child"},
    ]
    body = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": seats_in, "voucher": "KIDS"}, format="json"
    ).json()
    assert (body["discount"], body["total"]) == ("12.00", "36.00")  # 24 + 24, less 50 % of 24


def test_the_per_user_limit_counts_live_redemptions(customer, showtime, hold, seats):
    make("ONCE", max_per_user=1)
    first = services.booking_hold(
        user=customer, showtime_id=showtime.pk, seat_ids=ids(seats, "A1"), voucher_code="ONCE"
    )
    with pytest.raises(vouchers.BookingError) as refused:
        services.booking_hold(
            user=customer, showtime_id=showtime.pk, seat_ids=ids(seats, "A2"), voucher_code="ONCE"
        )
    assert refused.value.code == "voucher_user_limit"
    services.booking_cancel(booking=first, actor=customer)  # gives the use back
    services.booking_hold(
        user=customer, showtime_id=showtime.pk, seat_ids=ids(seats, "A2"), voucher_code="ONCE"
    )


def test_cancelled_expired_and_refunded_bookings_give_their_redemption_back(
    customer, showtime, seats
):
    voucher = make("BACK", max_redemptions=3)

    def held(label, **kwargs):
        return services.booking_hold(
            user=customer,
            showtime_id=showtime.pk,
            seat_ids=ids(seats, label),
            voucher_code="BACK",
            **kwargs,
        )

    cancelled, expired, refunded = (
        held("A1"),
        held("A2", now=timezone.now() - timedelta(hours=1)),
        held("A3"),
    )
    voucher.refresh_from_db()
    assert voucher.redeemed == 3
    services.booking_cancel(booking=cancelled, actor=customer)
    services.bookings_expire()
    services.booking_mark_refunded(booking_id=refunded.pk)
    voucher.refresh_from_db()
    assert voucher.redeemed == 0
    assert VoucherRedemption.objects.filter(released_at__isnull=True).count() == 0
    assert expired.pk in VoucherRedemption.objects.values_list("booking_id", flat=True)
    assert reconcile() == []


def test_a_voucher_applied_before_payment(customer_client, showtime, seats, other_client):
    make("LATE", kind="amount", value=Decimal("3.00"), currency="EUR")
    booking = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1", "A2")}, format="json"
    ).json()
    url = f"{URL}{booking['id']}/voucher/"
    assert other_client.post(url, {"code": "LATE"}).status_code == 404  # not theirs
    assert customer_client.post(url, {}).json()["error"]["code"] == "invalid"
    response = customer_client.post(url, {"code": "late"})
    assert response.status_code == 200, response.content
    assert (response.json()["total"], response.json()["discount"]) == ("17.00", "3.00")
    again = customer_client.post(url, {"code": "LATE"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "voucher_already_applied"
    assert reconcile() == []


def test_a_voucher_cannot_be_applied_to_a_paid_booking(customer_client, showtime, seats):
    make("PAID")
    booking = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1")}, format="json"
    ).json()
    paid = customer_client.post(
        f"{URL}{booking['id']}/pay/", {"card_number": "4242 4242 4242 4242"}, format="json"
    )
    assert paid.status_code in (200, 201), paid.content
    response = customer_client.post(f"{URL}{booking['id']}/voucher/", {"code": "PAID"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "booking_not_pending"


def test_paying_a_discounted_booking_charges_the_discounted_total(customer_client, showtime, seats):
    make("HALF", value=Decimal("50"))
    booking = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1"), "voucher": "HALF"}, format="json"
    ).json()
    customer_client.post(
        f"{URL}{booking['id']}/pay/", {"card_number": "4242 4242 4242 4242"}, format="json"
    )
    paid = Booking.objects.get(public_id=booking["id"])
    assert paid.status == "confirmed"
    assert paid.payments.get(status="succeeded").amount == Decimal("5.00")
    assert reconcile() == []


@pytest.mark.parametrize(
    "terms",
    [
        {"kind": "percent", "value": Decimal("0")},
        {"kind": "percent", "value": Decimal("101")},
        {"kind": "percent", "value": Decimal("10"), "currency": "EUR"},
        {"kind": "amount", "value": Decimal("5.005"), "currency": "EUR"},
        {"kind": "amount", "value": Decimal("5"), "currency": "eur"},
        {"kind": "amount", "value": Decimal("5"), "currency": ""},
        {"kind": "bogus", "value": Decimal("5")},
    ],
)
def test_bad_voucher_terms_are_refused(terms):
    with pytest.raises(ApplicationError) as refused:
        vouchers.voucher_create(code="BAD", **terms)
    assert refused.value.code in {"invalid_voucher_terms", "invalid_currency", "too_many_decimals"}


def test_the_command_creates_a_batch_and_prints_it_as_csv(capsys):
    call_command(
        "create_vouchers",
        "5",
        "--percent",
        "20",
        "--prefix",
        "xmas-",
        "--batch",
        "xmas",
        "--max-redemptions",
        "1",
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("code,kind,value")
    assert len(lines) == 6
    codes = set(Voucher.objects.values_list("code", flat=True))
    assert len(codes) == 5 and all(code.startswith("XMAS-") for code in codes)
    assert {line.split(",")[0] for line in lines[1:]} == codes


def test_the_admin_creates_codes_like_a_voucher_and_exports_csv(admin_client, db):
    template = make("TEMPLATE", max_redemptions=1)
    response = admin_client.post(
        "/admin/booking/voucher/",
        {"action": "create_codes_like_these", "_selected_action": [template.pk], "count": 3},
    )
    assert response.status_code == 302
    assert Voucher.objects.filter(batch="TEMPLATE", max_redemptions=1).count() == 3
    csv_response = admin_client.post(
        "/admin/booking/voucher/",
        {
            "action": "export_csv",
            "_selected_action": list(Voucher.objects.values_list("pk", flat=True)),
        },
    )
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.decode().count("\n") == 5


def test_the_database_refuses_more_uses_than_the_limit_whatever_the_code_does():
    from django.db import IntegrityError, transaction
    from django.db.models import F

    voucher = make("CHECKED", max_redemptions=1)
    Voucher.objects.filter(pk=voucher.pk).update(redeemed=F("redeemed") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        # A writer that skips the conditional UPDATE still cannot pass the limit.
        Voucher.objects.filter(pk=voucher.pk).update(redeemed=F("redeemed") + 1)
    voucher.refresh_from_db()
    assert voucher.redeemed == 1


def test_a_booking_paid_after_the_sweeper_expired_it_takes_its_use_back(customer, showtime, seats):
    make("LATEPAY", max_redemptions=1)
    lapsed = services.booking_hold(
        user=customer,
        showtime_id=showtime.pk,
        seat_ids=ids(seats, "A1"),
        voucher_code="LATEPAY",
        now=timezone.now() - timedelta(hours=1),
    )
    services.bookings_expire()
    assert Voucher.objects.get().redeemed == 0
    assert services.booking_confirm(booking_id=lapsed.pk) == services.ConfirmOutcome.CONFIRMED
    assert Voucher.objects.get().redeemed == 1
    # Confirmed here without a payment (the service alone): every other check holds.
    assert reconcile(without=["confirmed_bookings_without_one_payment"]) == []


def test_a_booking_paid_after_its_voucher_ran_out_is_not_confirmed(
    customer, other_customer, showtime, seats
):
    make("GONE", max_redemptions=1)
    lapsed = services.booking_hold(
        user=customer,
        showtime_id=showtime.pk,
        seat_ids=ids(seats, "A1"),
        voucher_code="GONE",
        now=timezone.now() - timedelta(hours=1),
    )
    services.bookings_expire()
    services.booking_hold(
        user=other_customer, showtime_id=showtime.pk, seat_ids=ids(seats, "A2"), voucher_code="GONE"
    )
    outcome = services.booking_confirm(booking_id=lapsed.pk)
    assert outcome == services.ConfirmOutcome.NOT_CONFIRMABLE  # the caller refunds
    assert Booking.objects.get(pk=lapsed.pk).status == "expired"
    assert Voucher.objects.get().redeemed == 1
