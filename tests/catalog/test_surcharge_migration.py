"""Existing bare-number surcharges become amounts in the currency their theater sells in."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("catalog", "0002_showtime_no_overlap")]
AFTER = [("catalog", "0005_theater_surcharge_constraints")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_each_theaters_surcharges_become_amounts_in_its_showtimes_currency(settings):
    settings.DEFAULT_CURRENCY = "USD"
    old = migrate(BEFORE)
    try:
        theater = old.get_model("catalog", "Theater")
        movie = old.get_model("catalog", "Movie").objects.create(title="M", duration_minutes=90)
        tokyo = theater.objects.create(name="Tokyo", premium_surcharge=Decimal("300"))
        mixed = theater.objects.create(name="Mixed")
        empty = theater.objects.create(name="Empty")
        free = theater.objects.create(
            name="Free", premium_surcharge=Decimal("0"), vip_surcharge=Decimal("0")
        )
        start = timezone.now() + timedelta(days=1)
        for place, currencies in ((tokyo, ["JPY"]), (mixed, ["EUR", "GBP", "EUR"])):
            screen = old.get_model("catalog", "Screen").objects.create(theater=place, name="1")
            for day, currency in enumerate(currencies):
                old.get_model("catalog", "Showtime").objects.create(
                    movie=movie,
                    screen=screen,
                    starts_at=start + timedelta(days=day),
                    ends_at=start + timedelta(days=day, hours=2),
                    base_price=Decimal("10"),
                    currency=currency,
                )

        new = migrate(AFTER)

        rows = {
            row.name: (row.surcharge_kind, row.surcharge_currency)
            for row in new.get_model("catalog", "Theater").objects.all()
        }
        assert rows == {
            tokyo.name: ("amount", "JPY"),
            mixed.name: ("amount", "EUR"),  # most of its showtimes
            empty.name: ("amount", "USD"),  # none: the default currency
            free.name: ("percent", ""),
        }
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
