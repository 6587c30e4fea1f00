"""Property: whatever tickets are given back, when, in whatever order, under whatever policy
and currency, the refunds of a booking never add up to more than it paid, each is exactly
what its tickets' policy shares came to, and reconciliation stays clean; and when the cinema
calls the show off afterwards, the refunds add up to exactly what was paid."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import hypothesis
import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck
from hypothesis import strategies as st

from marquee.booking.errors import BookingError
from marquee.booking.models import Booking, RefundTier, Ticket, TicketStatus
from marquee.booking.refund_policy import ticket_refund
from marquee.booking.services import booking_cancel, booking_cancel_tickets, booking_hold
from marquee.catalog.models import Showtime
from marquee.catalog.services import showtime_cancel
from marquee.payments.models import Payment, Refund
from marquee.payments.reconciliation import reconcile
from marquee.payments.services import payment_start
from tests import factories

SEATS = 6
PRICES = {"JPY": ["1531", "999", "1"], "EUR": ["12.49", "10.01", "0.03"], "KWD": ["3.255"]}

scenario = st.fixed_dictionaries(
    {
        "currency": st.sampled_from(sorted(PRICES)),
        "price_index": st.integers(min_value=0, max_value=2),
        "tiers": st.lists(
            st.tuples(st.integers(min_value=121, max_value=5000), st.integers(0, 100)),
            max_size=3,
            unique_by=lambda tier: tier[0],
        ),
        # Each step gives back some of the tickets still held, at some hours before the show.
        "steps": st.lists(
            st.tuples(
                st.lists(st.integers(0, SEATS - 1), min_size=1, max_size=3, unique=True),
                st.integers(min_value=3, max_value=100),
                st.one_of(st.none(), st.integers(0, 100)),
            ),
            min_size=1,
            max_size=5,
        ),
        "cancel_the_rest": st.booleans(),
        # At the end the cinema calls the show off: every cent paid goes back.
        "cinema_cancels": st.booleans(),
    }
)


@hypothesis.settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@hypothesis.given(case=scenario)
def test_refunds_never_exceed_what_was_paid(
    case, db, customer, staff_user, django_capture_on_commit_callbacks
):
    # Each example in a savepoint rolled back at its end: examples share the test's database.
    with transaction.atomic():
        _check_one_case(case, customer, staff_user, django_capture_on_commit_callbacks)
        transaction.set_rollback(True)


def _check_one_case(case, customer, staff_user, django_capture_on_commit_callbacks):
    prices = PRICES[case["currency"]]
    price = Decimal(prices[case["price_index"] % len(prices)])
    screen = factories.screen_with_seats(rows=1, per_row=SEATS)
    for minutes, percent in case["tiers"]:
        RefundTier.objects.create(theater=screen.theater, minutes_before=minutes, percent=percent)
    showtime = factories.ShowtimeFactory(
        screen=screen,
        base_price=price,
        currency=case["currency"],
        starts_at=factories.evening_in(7, screen.theater.timezone),
    )
    seat_ids = list(screen.seats.order_by("number").values_list("pk", flat=True))
    booking = booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=seat_ids)
    payment_start(booking=booking, user=customer, card_number="4242424242424242")
    tickets = list(booking.tickets.order_by("pk").values_list("pk", flat=True))
    expected = Decimal(0)
    with django_capture_on_commit_callbacks(execute=True):
        for indexes, hours, override in case["steps"]:
            active = set(
                Ticket.objects.filter(booking=booking, status=TicketStatus.SOLD).values_list(
                    "pk", flat=True
                )
            )
            chosen = [tickets[i] for i in indexes if tickets[i] in active]
            if not chosen:
                continue  # every remaining ticket by list follows the policy all the same
            quote = booking_cancel_tickets(
                booking=booking,
                ticket_ids=chosen,
                actor=staff_user,
                now=showtime.starts_at - timedelta(hours=hours),
                refund_percent=None if override is None else Decimal(override),
                reason="" if override is None else "goodwill",
            )
            assert quote.amount == sum(
                ticket_refund(price=price, percent=quote.percent, currency=case["currency"])
                for _ in chosen
            )
            expected += quote.amount
        left = Ticket.objects.filter(booking=booking, status=TicketStatus.SOLD).exists()
        cancelled_by_buyer = case["cancel_the_rest"] and left
        if cancelled_by_buyer:
            booking_cancel(booking=Booking.objects.get(pk=booking.pk), actor=customer)
        elif case["cancel_the_rest"]:  # every ticket went back by list: nothing left to cancel
            with pytest.raises(BookingError) as refused:
                booking_cancel(booking=Booking.objects.get(pk=booking.pk), actor=customer)
            assert refused.value.code == "booking_not_cancellable"
        if case["cinema_cancels"]:
            showtime_cancel(showtime=Showtime.objects.get(pk=showtime.pk))
    payment = Payment.objects.get(booking=booking)
    refunded = Refund.objects.filter(payment=payment).aggregate(total=Sum("amount"))["total"] or 0
    assert refunded <= payment.amount
    partial = Refund.objects.filter(payment=payment, kind="partial").aggregate(t=Sum("amount"))
    assert (partial["t"] or 0) == expected
    if cancelled_by_buyer:
        # Settled by the buyer's own cancellation (a show called off later leaves it so).
        kept = sum(
            t.price - t.refund_amount
            for t in Ticket.objects.filter(booking=booking, cancellation__isnull=False)
        )
        assert refunded == payment.amount - kept
    elif case["cinema_cancels"]:
        # Whatever was given back before, at whatever percentage: every cent paid goes back.
        assert refunded == payment.amount
        full = Refund.objects.filter(payment=payment, kind="full").first()
        if full is not None:
            assert full.reason_code == "showtime_cancelled"
        else:  # the policy had given back every ticket in full: nothing was owed
            assert Booking.objects.get(pk=booking.pk).status == "confirmed"
    assert reconcile() == []


# --- Stripe in three-decimal currencies -----------------------------------------------------


def _kwd_paid_through_stripe(customer, customer_client, fake_stripe, deliver, price="3.255"):
    """Two standard seats at `price` KWD each, paid through the fake Stripe."""
    from tests.payments.stripe_fake import intent_event

    screen = factories.screen_with_seats(rows=1, per_row=SEATS)
    showtime = factories.ShowtimeFactory(
        screen=screen,
        base_price=Decimal(price),
        currency="KWD",
        starts_at=factories.evening_in(7, screen.theater.timezone),
    )
    seat_ids = list(screen.seats.order_by("number").values_list("pk", flat=True))[:2]
    booking = booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=seat_ids)
    started = customer_client.post(f"/api/bookings/{booking.public_id}/pay/", {}, format="json")
    assert started.status_code == 200, started.content
    minor = int(booking.total * 1000)
    confirmed = deliver(intent_event(started.json()["payment"], amount=minor, currency="kwd"))
    assert confirmed.json()["outcome"] == "confirmed"
    booking.refresh_from_db()
    return booking, showtime


def test_a_stripe_partial_refund_in_kwd_is_rounded_down_to_whole_hundredths(
    customer, customer_client, fake_stripe, deliver, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from marquee.booking.models import TicketCancellation

    booking, showtime = _kwd_paid_through_stripe(customer, customer_client, fake_stripe, deliver)
    assert booking.total == Decimal("6.510")
    first, second = booking.tickets.order_by("pk").values_list("pk", flat=True)
    with django_capture_on_commit_callbacks(execute=True):
        quote = booking_cancel_tickets(
            booking=booking,
            ticket_ids=[first],
            actor=customer,
            now=showtime.starts_at - timedelta(hours=5),  # 50 % under the default policy
        )
    # 50 % of 3.255 is 1.6275: the policy's 1.627, and Stripe's 1.620 (never more).
    assert quote.amount == Decimal("1.620")
    (sent,) = fake_stripe.calls("/v1/refunds")
    assert sent.params["amount"] == "1620"
    refund = Refund.objects.get()
    assert (refund.kind, refund.amount, refund.status) == ("partial", Decimal("1.620"), "succeeded")
    assert TicketCancellation.objects.get().refund_amount == Decimal("1.620")
    assert Ticket.objects.get(pk=first).refund_amount == Decimal("1.620")
    assert reconcile() == []

    # The rest of the booking, cancelled whole: what it stood on (3.255), in hundredths.
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=Booking.objects.get(pk=booking.pk), actor=customer)
    full = Refund.objects.get(kind="full")
    assert (full.amount, full.status) == (Decimal("3.250"), "succeeded")
    assert fake_stripe.calls("/v1/refunds")[-1].params["amount"] == "3250"
    assert Ticket.objects.get(pk=second).status == TicketStatus.REFUNDED
    assert reconcile() == []
    call_command("reconcile")


def test_the_quote_and_the_refund_agree_in_kwd_and_add_up_over_the_tickets(
    customer, customer_client, fake_stripe, deliver, django_capture_on_commit_callbacks
):
    from marquee.booking.services import booking_refund_quote

    booking, showtime = _kwd_paid_through_stripe(customer, customer_client, fake_stripe, deliver)
    tickets = list(booking.tickets.order_by("pk").values_list("pk", flat=True))
    now = showtime.starts_at - timedelta(hours=5)
    preview = booking_refund_quote(booking=booking, ticket_ids=tickets, actor=customer, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        quote = booking_cancel_tickets(booking=booking, ticket_ids=tickets, actor=customer, now=now)
    # 1.627 + 1.627 = 3.254 by the policy; 3.250 goes back, the last ticket's share cut.
    assert (
        preview.refunds
        == quote.refunds
        == {tickets[0]: Decimal("1.627"), tickets[1]: Decimal("1.623")}
    )
    assert quote.amount == Decimal("3.250")
    assert fake_stripe.calls("/v1/refunds")[-1].params["amount"] == "3250"
    assert Refund.objects.get().status == "succeeded"
    assert reconcile() == []


def test_the_fake_stripe_refuses_a_kwd_refund_that_does_not_end_in_zero(
    customer, customer_client, fake_stripe, deliver, django_capture_on_commit_callbacks, monkeypatch
):
    """The negative control: without the rounding, Stripe (here its fake) refuses the refund,
    so the tests above would fail if Marquee sent 1627."""
    from marquee.booking import hooks

    booking, showtime = _kwd_paid_through_stripe(customer, customer_client, fake_stripe, deliver)
    monkeypatch.setattr(hooks, "_refund_units", [])
    monkeypatch.setattr("marquee.payments.providers.amount_unit", lambda *args: None)
    monkeypatch.setattr(
        "marquee.payments.providers.to_minor_units",
        lambda amount, currency: int(amount * 1000),
    )
    first = booking.tickets.order_by("pk").values_list("pk", flat=True)[0]
    with django_capture_on_commit_callbacks(execute=True):
        quote = booking_cancel_tickets(
            booking=booking,
            ticket_ids=[first],
            actor=customer,
            now=showtime.starts_at - timedelta(hours=5),
        )
    assert quote.amount == Decimal("1.627")
    (sent,) = fake_stripe.calls("/v1/refunds")
    assert sent.params["amount"] == "1627"
    refund = Refund.objects.get()
    assert refund.status == "failed"
    assert "multiple of 10" in refund.last_error


def test_a_cancelled_show_in_kwd_refunds_the_kept_part_through_stripe_in_hundredths(
    customer, customer_client, fake_stripe, deliver, django_capture_on_commit_callbacks
):
    """One of two 3.255 KWD tickets given back at 50 % (1.620 back through Stripe), then the
    cinema cancels: the rest of the 6.510 paid, 4.890, goes back in one Stripe refund."""
    booking, showtime = _kwd_paid_through_stripe(customer, customer_client, fake_stripe, deliver)
    first = booking.tickets.order_by("pk").values_list("pk", flat=True)[0]
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_tickets(
            booking=booking,
            ticket_ids=[first],
            actor=customer,
            now=showtime.starts_at - timedelta(hours=5),
        )
        showtime_cancel(showtime=Showtime.objects.get(pk=showtime.pk))
    assert [call.params["amount"] for call in fake_stripe.calls("/v1/refunds")] == ["1620", "4890"]
    full = Refund.objects.get(kind="full")
    assert (full.amount, full.status, full.reason_code) == (
        Decimal("4.890"),
        "succeeded",
        "showtime_cancelled",
    )
    assert sum(Refund.objects.values_list("amount", flat=True)) == booking.total
    assert Booking.objects.get(pk=booking.pk).status == "refunded"
    assert reconcile() == []


def test_a_kwd_booking_given_back_whole_gets_the_kept_part_back_through_stripe(
    customer, customer_client, fake_stripe, deliver, django_capture_on_commit_callbacks
):
    booking, showtime = _kwd_paid_through_stripe(customer, customer_client, fake_stripe, deliver)
    tickets = list(booking.tickets.order_by("pk").values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        quote = booking_cancel_tickets(
            booking=booking,
            ticket_ids=tickets,
            actor=customer,
            now=showtime.starts_at - timedelta(hours=5),
        )
        assert quote.amount == Decimal("3.250")
        showtime_cancel(showtime=Showtime.objects.get(pk=showtime.pk))
    assert [call.params["amount"] for call in fake_stripe.calls("/v1/refunds")] == ["3250", "3260"]
    assert Refund.objects.get(kind="full").amount == Decimal("3.260")
    assert Booking.objects.get(pk=booking.pk).status == "refunded"
    assert reconcile() == []
