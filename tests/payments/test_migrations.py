"""Upgrading a database where concurrent pays already charged a booking twice."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from marquee.booking.services import booking_confirm
from marquee.payments.reconciliation import reconcile

BEFORE = ("payments", "0002_money_three_decimal_places")


def migrate(target: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    executor.loader.build_graph()
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_upgrading_keeps_the_first_capture_and_refunds_the_later_ones(hold, customer):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("payments")
    twice, once = hold(["A1", "A2"]), hold(["B1"])
    for booking in (twice, once):
        booking_confirm(booking_id=booking.pk)
    try:
        old = migrate([BEFORE])
        Payment = old.get_model("payments", "Payment")

        def captured(booking, reference):
            return Payment.objects.create(
                booking_id=booking.pk,
                provider="simulated",
                provider_reference=reference,
                amount=booking.total,
                currency=booking.currency,
                status="succeeded",
            ).pk

        first, second, third = (captured(twice, f"sim_{n}") for n in range(3))
        alone = captured(once, "sim_alone")
        new = migrate(latest)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    Payment = new.get_model("payments", "Payment")
    statuses = dict(Payment.objects.values_list("pk", "status"))
    assert statuses == {
        first: "succeeded",
        second: "duplicate",
        third: "duplicate",
        alone: "succeeded",
    }
    Refund = new.get_model("payments", "Refund")
    refunds = Refund.objects.order_by("payment_id")
    assert [(r.payment_id, r.status, r.amount) for r in refunds] == [
        (second, "pending", twice.total),
        (third, "pending", twice.total),
    ]
    # The periodic retry sends the pending refunds; every booking stands on one payment.
    assert reconcile() == []
