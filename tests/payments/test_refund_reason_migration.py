"""Upgrading a database whose refunds carry only a free-text reason: the migration gives each
the code the services give it today, and `other` where nothing says why."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from marquee.booking.services import booking_cancel, booking_cancel_tickets
from marquee.catalog.services import showtime_cancel
from marquee.payments.models import Payment, PaymentStatus, Refund
from marquee.payments.services import _settle_capture, payment_start, refund_request

BEFORE = ("payments", "0006_refund_many_per_payment")
CARD = "4242424242424242"


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    executor.loader.build_graph()
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_the_backfill_gives_old_refunds_the_codes_the_services_give(
    hold, customer, staff_user, showtime, django_capture_on_commit_callbacks
):
    def paid(labels):
        booking = hold(labels)
        payment_start(booking=booking, user=customer, card_number=CARD)
        return booking

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=paid(["A1"]), actor=customer, reason="ill")
        booking_cancel(booking=paid(["A2"]), actor=staff_user)
        partial = paid(["B1", "B2"])
        booking_cancel_tickets(
            booking=partial,
            ticket_ids=[partial.tickets.order_by("pk").first().pk],
            actor=staff_user,
            refund_percent=Decimal(50),
            reason="sound broke",
        )
        given_back = paid(["C1", "C2"])
        booking_cancel_tickets(
            booking=given_back,
            ticket_ids=[given_back.tickets.order_by("pk").first().pk],
            actor=customer,
        )
        duplicate = Payment.objects.create(
            booking=given_back,
            provider="simulated",
            provider_reference="sim_dup",
            amount=given_back.total,
            currency=given_back.currency,
            status=PaymentStatus.CAPTURED,
        )
        _settle_capture(payment_id=duplicate.pk)
        showtime_cancel(showtime=showtime)
        loose = Payment.objects.create(
            booking=partial,
            provider="simulated",
            provider_reference="sim_loose",
            amount=Decimal("1.00"),
            currency="EUR",
            status=PaymentStatus.DUPLICATE,
        )
        refund_request(payment=loose, reason="found in an old ledger")
    expected = dict(Refund.objects.values_list("pk", "reason_code"))
    assert sorted(expected.values()) == sorted(
        [
            "customer_cancelled",
            "other",
            "payment_problem",
            "showtime_cancelled",
            "showtime_cancelled",
            "staff_cancelled",
            "staff_override",
            "tickets_returned",
        ]
    )
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("payments")
    try:
        migrate([BEFORE])
        new = migrate(latest)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    Refund_ = new.get_model("payments", "Refund")
    assert dict(Refund_.objects.values_list("pk", "reason_code")) == expected
