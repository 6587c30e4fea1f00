"""New theaters' surcharges default to percentages (valid in any currency); the database
refuses an amount without its currency, a currency without an amount and negative surcharges."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0004_theater_surcharge_currency_backfill"),
    ]

    operations = [
        migrations.AlterField(
            model_name='theater',
            name='surcharge_kind',
            field=models.CharField(choices=[('percent', 'Percent of the base price'), ('amount', 'Amount in the surcharge currency')], default='percent', max_length=8),
        ),
        migrations.AddConstraint(
            model_name='theater',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('surcharge_currency', ''), ('surcharge_kind', 'percent')), models.Q(('surcharge_kind', 'amount'), models.Q(('surcharge_currency', ''), _negated=True)), _connector='OR'), name='theater_surcharge_currency_for_amounts'),
        ),
        migrations.AddConstraint(
            model_name='theater',
            constraint=models.CheckConstraint(condition=models.Q(('premium_surcharge__gte', 0), ('vip_surcharge__gte', 0)), name='theater_surcharges_not_negative'),
        ),
    ]
