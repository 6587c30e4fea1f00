"""At most one succeeded payment per booking.

Before this, concurrent pays could leave a booking with several succeeded payments. The first
captured one stays the booking's payment; each later one becomes a `duplicate` with a pending
refund, which the periodic refund retry (beat, every 5 minutes) then sends to the provider.
Only then is the unique index created: partial on PostgreSQL and SQLite, a generated column
with a unique index on MySQL/MariaDB (marquee/common/constraints.py).
"""

from django.db import migrations, models

import marquee.common.constraints
from django.db.models import Count


def mark_later_captures_duplicate(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    Refund = apps.get_model("payments", "Refund")
    booking_ids = (
        Payment.objects.filter(status="succeeded")
        .values("booking_id")
        .annotate(succeeded=Count("id"))
        .filter(succeeded__gt=1)
        .values_list("booking_id", flat=True)
    )
    for booking_id in list(booking_ids):
        later = Payment.objects.filter(booking_id=booking_id, status="succeeded").order_by(
            "created_at", "id"
        )[1:]
        for payment in later:
            payment.status = "duplicate"
            payment.save(update_fields=["status"])
            Refund.objects.get_or_create(
                payment=payment,
                defaults={
                    "amount": payment.amount,
                    "currency": payment.currency,
                    "reason": "second capture for one booking (found when upgrading)",
                },
            )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_money_three_decimal_places"),
    ]

    operations = [
        migrations.AlterField(
            model_name="payment",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending (awaiting the customer)"),
                    ("succeeded", "Succeeded"),
                    ("failed", "Failed"),
                    ("refunded", "Refunded"),
                    ("duplicate", "Duplicate capture (refunded)"),
                ],
                default="pending",
                max_length=16,
            ),
        ),
        migrations.RunPython(mark_later_captures_duplicate, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="payment",
            constraint=marquee.common.constraints.ConditionalUniqueConstraint(
                condition=models.Q(("status", "succeeded")),
                fields=("booking",),
                name="payment_one_succeeded_per_booking",
            ),
        ),
    ]
