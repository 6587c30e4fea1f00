"""The reconciliation finds every kind of breach it promises to find, written past the services
the way a bug, the shell or a bad migration would, and finds nothing on a database the services
wrote."""

import json
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from marquee.booking.models import (
    Booking,
    BookingStatus,
    Ticket,
    TicketCancellation,
    TicketStatus,
)
from marquee.booking.services import (
    booking_cancel,
    booking_cancel_tickets,
    booking_confirm,
    bookings_expire,
)
from marquee.payments import reconciliation, tasks
from marquee.payments.models import Payment, PaymentStatus, Refund
from marquee.payments.reconciliation import reconcile
from marquee.payments.services import payment_start
from tests.concurrency import assert_reconciled

pytestmark = pytest.mark.django_db

CARD = "4242424242424242"


@pytest.fixture
def pay(customer):
    """pay(booking) -> the booking, paid with the simulated provider through the service."""

    def _pay(booking: Booking, card: str = CARD) -> Booking:
        payment_start(booking=booking, user=customer, card_number=card)
        return Booking.objects.get(pk=booking.pk)

    return _pay


def found(check: str) -> list[int]:
    (breach,) = [b for b in reconcile() if b.check.name == check]
    return breach.ids


def payment_of(booking: Booking) -> Payment:
    return Payment.objects.get(booking=booking, status=PaymentStatus.SUCCEEDED)


def test_what_the_services_write_passes_every_check(
    hold, pay, customer, django_capture_on_commit_callbacks
):
    hold(["B1"])  # a running hold
    hold(["B2"], now=timezone.now() - timedelta(hours=1))  # lapsed, swept below
    bookings_expire()
    pay(hold(["A1", "A2", "E1"]))  # paid, three tiers
    declined = hold(["A3"])
    with pytest.raises(Exception, match="declined"):
        pay(declined, card="4000000000000002")
    pay(declined)  # paid with a second card
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=pay(hold(["C1", "C2"])), actor=customer)  # refunded
    booking_cancel(booking=hold(["D1"]), actor=customer)  # cancelled unpaid

    assert reconcile() == []
    assert set(Booking.objects.values_list("status", flat=True)) == {
        "pending",
        "expired",
        "confirmed",
        "refunded",
        "cancelled",
    }


@pytest.mark.parametrize("prices", [("0.10", "0.20"), ("10.10", "10.20"), ("0.01", "0.02")])
def test_sums_that_binary_floats_get_wrong_still_agree(hold, prices):
    booking = hold(["A1", "A2"])
    for ticket, price in zip(booking.tickets.order_by("pk"), prices, strict=True):
        Ticket.objects.filter(pk=ticket.pk).update(price=Decimal(price))
    Booking.objects.filter(pk=booking.pk).update(total=sum(Decimal(p) for p in prices))
    assert reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_a_seat_held_by_two_tickets_is_found(hold, without_constraint):
    without_constraint(Ticket, "ticket_one_active_per_seat")
    first = hold(["A1"]).tickets.get()
    second = hold(["A2"]).tickets.get()
    Ticket.objects.filter(pk=second.pk).update(seat_id=first.seat_id)
    assert found("seats_in_two_active_tickets") == [first.pk, second.pk]


def test_a_sold_and_an_expired_ticket_on_one_seat_are_not_a_breach(hold, pay):
    lapsed = hold(["A1"], now=timezone.now() - timedelta(hours=1))
    bookings_expire()
    pay(hold(["A1"]))
    assert lapsed.tickets.get().status == TicketStatus.EXPIRED
    assert reconcile() == []


def test_a_booking_whose_total_is_not_its_tickets_is_found(hold):
    raised = hold(["A1", "A2"])
    Booking.objects.filter(pk=raised.pk).update(total=F("total") + Decimal("0.01"))
    repriced = hold(["B1"])
    Ticket.objects.filter(booking=repriced).update(price=F("price") - Decimal("1.00"))
    hold(["C1"])  # untouched
    assert found("bookings_not_totalling_their_tickets") == [raised.pk, repriced.pk]


def test_tickets_disagreeing_with_their_booking_are_found(hold, pay):
    sold_while_pending = hold(["A1"]).tickets.get()
    Ticket.objects.filter(pk=sold_while_pending.pk).update(status=TicketStatus.SOLD)
    cancelled = hold(["B1"])
    Booking.objects.filter(pk=cancelled.pk).update(status=BookingStatus.CANCELLED)
    confirmed = pay(hold(["C1", "C2"]))
    lost = confirmed.tickets.order_by("pk").last()
    Ticket.objects.filter(pk=lost.pk).update(status=TicketStatus.EXPIRED)
    assert found("tickets_disagreeing_with_their_booking") == [
        sold_while_pending.pk,
        cancelled.tickets.get().pk,
        lost.pk,
    ]


@pytest.mark.django_db(transaction=True)
def test_confirmed_bookings_without_exactly_one_payment_are_found(hold, pay, without_constraint):
    unpaid = hold(["A1"])
    booking_confirm(booking_id=unpaid.pk)
    paid_twice = pay(hold(["B1"]))
    without_constraint(Payment, "payment_one_succeeded_per_booking")
    Payment.objects.create(
        booking=paid_twice,
        provider="simulated",
        provider_reference="sim_second",
        amount=paid_twice.total,
        currency=paid_twice.currency,
        status=PaymentStatus.SUCCEEDED,
    )
    refunded_but_kept = pay(hold(["C1"]))
    Payment.objects.filter(booking=refunded_but_kept).update(status=PaymentStatus.REFUNDED)
    pay(hold(["D1"]))  # paid once
    assert found("confirmed_bookings_without_one_payment") == [
        unpaid.pk,
        paid_twice.pk,
        refunded_but_kept.pk,
    ]


def test_a_kept_payment_that_is_not_the_booking_total_is_found(hold, pay):
    short = payment_of(pay(hold(["A1"])))
    Payment.objects.filter(pk=short.pk).update(amount=F("amount") - Decimal("0.01"))
    foreign = payment_of(pay(hold(["B1"])))
    Payment.objects.filter(pk=foreign.pk).update(currency="USD")
    pay(hold(["C1"]))
    assert found("kept_payments_not_the_booking_total") == [short.pk, foreign.pk]


def test_captured_payments_neither_kept_nor_refunded_are_found(hold, pay):
    orphaned = pay(hold(["A1"]))
    Booking.objects.filter(pk=orphaned.pk).update(status=BookingStatus.CANCELLED)
    Ticket.objects.filter(booking=orphaned).update(status=TicketStatus.CANCELLED)
    paid = pay(hold(["B1"]))
    duplicate = Payment.objects.create(
        booking=paid,
        provider="simulated",
        provider_reference="sim_duplicate",
        amount=paid.total,
        currency=paid.currency,
        status=PaymentStatus.DUPLICATE,
    )
    assert found("captured_payments_neither_kept_nor_refunded") == [
        payment_of(orphaned).pk,
        duplicate.pk,
    ]
    # Each is fine once its refund is asked for.
    for payment in Payment.objects.filter(pk__in=[payment_of(orphaned).pk, duplicate.pk]):
        Refund.objects.create(payment=payment, amount=payment.amount, currency=payment.currency)
    assert reconcile() == []


def test_a_refund_of_the_payment_a_confirmed_booking_stands_on_is_found(hold, pay):
    kept = payment_of(pay(hold(["A1"])))
    Refund.objects.create(payment=kept, amount=kept.amount, currency=kept.currency)
    assert found("kept_payments_refunded") == [kept.pk]


def test_a_voucher_count_that_is_not_its_live_redemptions_is_found(customer, showtime, seats):
    from decimal import Decimal as D

    from marquee.booking import services as booking_services
    from marquee.booking import vouchers
    from marquee.booking.models import Voucher, VoucherRedemption

    voucher = vouchers.voucher_create(code="COUNT", kind="percent", value=D("10"))
    booking = booking_services.booking_hold(
        user=customer, showtime_id=showtime.pk, seat_ids=[seats["A1"].id], voucher_code="COUNT"
    )
    assert reconcile() == []
    Voucher.objects.filter(pk=voucher.pk).update(redeemed=5)  # past the services
    assert found("vouchers_miscounted") == [voucher.pk]
    Voucher.objects.filter(pk=voucher.pk).update(redeemed=1)
    # A booking cancelled past the services keeps its redemption live: found.
    Booking.objects.filter(pk=booking.pk).update(status="cancelled")
    redemption = VoucherRedemption.objects.get()
    assert found("redemptions_of_bookings_gone") == [redemption.pk]
    # The total with the discount still adds up (a discount is not a breach).
    assert "bookings_not_totalling_their_tickets" not in {b.check.name for b in reconcile()}


def give_back(booking: Booking, *labels: str, hours_before: int = 5, actor=None):
    """Give back tickets of a paid booking through the service (50% under the default policy
    five hours before the show)."""
    ids = [
        t.pk
        for t in booking.tickets.select_related("seat")
        if f"{t.seat.row_label}{t.seat.number}" in labels
    ]
    return booking_cancel_tickets(
        booking=booking,
        ticket_ids=ids,
        actor=actor or booking.user,
        now=booking.showtime.starts_at - timedelta(hours=hours_before),
    )


def test_partial_cancellations_pass_every_check(
    hold, pay, staff_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = pay(hold(["A1", "A2", "A3", "A4"]))
        give_back(booking, "A1", hours_before=30)  # 100%
        give_back(booking, "A2")  # 50%
        give_back(booking, "A3", hours_before=1, actor=staff_user)  # past the cutoff: nothing
        whole = pay(hold(["B1", "B2"]))
        give_back(whole, "B1")
        booking_cancel(booking=whole, actor=whole.user)  # the rest, in full
    assert reconcile() == []


def test_refunds_beyond_what_a_payment_collected_are_found(hold, pay):
    paid = pay(hold(["A1"]))
    duplicate = Payment.objects.create(
        booking=paid,
        provider="simulated",
        provider_reference="sim_duplicate",
        amount=paid.total,
        currency=paid.currency,
        status=PaymentStatus.DUPLICATE,
    )
    Refund.objects.create(
        payment=duplicate, amount=duplicate.amount + Decimal("0.01"), currency="EUR"
    )
    assert found("payments_refunded_beyond_captured") == [duplicate.pk]


def test_a_partial_refund_not_matching_its_tickets_is_found(hold, pay):
    booking = pay(hold(["A1", "A2"]))
    give_back(booking, "A1")
    Refund.objects.filter(kind="partial").update(amount=Decimal("6.00"))
    assert found("kept_payments_not_accounted_by_tickets") == [payment_of(booking).pk]


def test_a_ticket_given_back_without_its_refund_is_found(hold, pay):
    booking = pay(hold(["A1", "A2"]))
    give_back(booking, "A1")
    Refund.objects.filter(kind="partial").delete()
    assert found("kept_payments_not_accounted_by_tickets") == [payment_of(booking).pk]


def test_a_cancellation_not_its_tickets_refunds_is_found(hold, pay):
    booking = pay(hold(["A1", "A2"]))
    cancellation = give_back(booking, "A1")
    TicketCancellation.objects.update(refund_amount=Decimal("7.00"))
    assert found("cancellations_not_their_tickets_refunds") == [TicketCancellation.objects.get().pk]
    assert cancellation.amount == Decimal("5.00")


def test_a_cancelled_showtime_passes_every_check_after_tickets_given_back(
    hold, pay, django_capture_on_commit_callbacks
):
    from marquee.catalog.services import showtime_cancel

    with django_capture_on_commit_callbacks(execute=True):
        booking = pay(hold(["A1", "A2", "A3"]))
        give_back(booking, "A1")  # 50 % kept
        whole = pay(hold(["B1", "B2"]))
        give_back(whole, "B1", "B2")  # every ticket by list, 50 % kept
        showtime_cancel(showtime=booking.showtime)
    assert set(Booking.objects.values_list("status", flat=True)) == {"refunded"}
    assert reconcile() == []


def test_a_cancelled_showtime_refund_that_leaves_the_kept_money_behind_is_found(
    hold, pay, django_capture_on_commit_callbacks
):
    """What the showtime's refund gave before the kept part was refunded too."""
    from marquee.catalog.services import showtime_cancel

    with django_capture_on_commit_callbacks(execute=True):
        booking = pay(hold(["A1", "A2"]))
        give_back(booking, "A1")
        showtime_cancel(showtime=booking.showtime)
    payment = Payment.objects.get(booking=booking)
    assert Refund.objects.get(payment=payment, kind="full").amount == Decimal("15.00")
    assert reconcile() == []
    Refund.objects.filter(payment=payment, kind="full").update(amount=Decimal("10.00"))
    assert found("cancelled_showtime_payments_not_refunded_whole") == [payment.pk]


def test_a_booking_of_a_cancelled_showtime_left_confirmed_with_money_kept_is_found(hold, pay):
    """The booking given back whole by list and left as it was when the show was called off."""
    from marquee.catalog.models import Showtime

    booking = pay(hold(["A1", "A2"]))
    give_back(booking, "A1", "A2")
    assert reconcile() == []
    Showtime.objects.filter(pk=booking.showtime_id).update(status="cancelled")
    assert found("cancelled_showtime_payments_not_refunded_whole") == [payment_of(booking).pk]


def test_every_check_is_tested_with_a_breach():
    tested = {
        "vouchers_miscounted",
        "redemptions_of_bookings_gone",
        "seats_in_two_active_tickets",
        "bookings_not_totalling_their_tickets",
        "tickets_disagreeing_with_their_booking",
        "confirmed_bookings_without_one_payment",
        "kept_payments_not_the_booking_total",
        "captured_payments_neither_kept_nor_refunded",
        "kept_payments_refunded",
        "payments_refunded_beyond_captured",
        "kept_payments_not_accounted_by_tickets",
        "cancellations_not_their_tickets_refunds",
        "cancelled_showtime_payments_not_refunded_whole",
    }
    assert set(reconciliation.CHECK_NAMES) == tested


def test_a_breach_fails_the_concurrency_tests_check(hold):
    booking_confirm(booking_id=hold(["A1"]).pk)
    with pytest.raises(AssertionError, match="confirmed_bookings_without_one_payment"):
        assert_reconciled()
    assert_reconciled(without=["confirmed_bookings_without_one_payment"])
    with pytest.raises(ValueError, match="Unknown"):
        assert_reconciled(without=["no_such_check"])


def test_the_command_reports_a_clean_database_and_exits_zero(hold, pay, capsys):
    pay(hold(["A1"]))
    call_command("reconcile")
    out = capsys.readouterr().out
    assert f"all {len(reconciliation.CHECKS)} invariants hold" in out
    assert out.count("ok      ") == len(reconciliation.CHECKS)


def test_the_command_reports_each_breach_and_exits_one(hold, capsys):
    booking = hold(["A1"])
    Booking.objects.filter(pk=booking.pk).update(total=Decimal("1.00"))
    with pytest.raises(CommandError, match="1 of 13 invariants breached") as error:
        call_command("reconcile")
    assert error.value.returncode == 1
    out = capsys.readouterr().out
    assert "BREACH  bookings_not_totalling_their_tickets" in out
    assert f"booking ids: {booking.pk}" in out


def test_the_command_speaks_json_and_can_skip_a_check(hold, capsys):
    booking = hold(["A1"])
    booking_confirm(booking_id=booking.pk)
    with pytest.raises(CommandError):
        call_command("reconcile", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["breaches"] == [
        {
            "check": "confirmed_bookings_without_one_payment",
            "promise": "each confirmed booking has exactly one succeeded payment",
            "rows": "booking",
            "ids": [booking.pk],
        }
    ]
    call_command("reconcile", "--json", "--skip", "confirmed_bookings_without_one_payment")
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert "confirmed_bookings_without_one_payment" not in report["checked"]


def test_the_periodic_task_logs_each_breach_at_error(hold, caplog, settings):
    assert settings.CELERY_BEAT_SCHEDULE["reconcile"]["task"] == tasks.reconcile.name
    assert tasks.reconcile.name == "marquee.payments.tasks.reconcile"
    assert tasks.reconcile() == 0
    booking = hold(["A1"])
    booking_confirm(booking_id=booking.pk)
    with caplog.at_level(logging.ERROR, logger="marquee.payments"):
        assert tasks.reconcile() == 1
    (record,) = [r for r in caplog.records if r.getMessage() == "invariant breached"]
    assert (record.levelno, record.check, record.ids) == (
        logging.ERROR,
        "confirmed_bookings_without_one_payment",
        [booking.pk],
    )
