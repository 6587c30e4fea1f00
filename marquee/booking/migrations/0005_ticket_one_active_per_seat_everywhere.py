from django.db import migrations
from django.db.models import Q

import marquee.common.constraints
from marquee.common.migration_ops import OnVendor

OLD = migrations.RemoveConstraint(model_name="ticket", name="ticket_one_active_per_seat")
NEW = migrations.AddConstraint(
    model_name="ticket",
    constraint=marquee.common.constraints.ConditionalUniqueConstraint(
        condition=Q(("status__in", ["held", "sold"])),
        fields=("showtime", "seat"),
        name="ticket_one_active_per_seat",
    ),
)


class Migration(migrations.Migration):
    """One active ticket per seat on MySQL and MariaDB too (PostgreSQL and SQLite keep their
    partial unique index: only the model's constraint class changes there)."""

    dependencies = [("booking", "0004_money_three_decimal_places")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[OLD, NEW],
            database_operations=[OnVendor("mysql", NEW)],
        )
    ]
