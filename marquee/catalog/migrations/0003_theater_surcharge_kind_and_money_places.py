"""Money in the currency's own units: three decimal places for every amount (KWD has three),
a showtime's default currency read from settings when it is created, and a theater's surcharges
either percentages or amounts in a stated currency (0004 fills that currency, 0005 adds the
checks). Widening a numeric column rewrites the table on PostgreSQL and MySQL."""

import django.core.validators
import marquee.catalog.models
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0002_showtime_no_overlap'),
    ]

    operations = [
        migrations.AddField(
            model_name='theater',
            name='surcharge_currency',
            field=models.CharField(blank=True, help_text='ISO 4217 code the surcharges are stated in; only for amount surcharges.', max_length=3),
        ),
        migrations.AddField(
            model_name='theater',
            name='surcharge_kind',
            # Existing theaters' surcharges were amounts: they stay amounts (0004 names the currency).
            field=models.CharField(choices=[('percent', 'Percent of the base price'), ('amount', 'Amount in the surcharge currency')], default='amount', max_length=8),
        ),
        migrations.AlterField(
            model_name='showtime',
            name='base_price',
            field=models.DecimalField(decimal_places=3, max_digits=9, validators=[django.core.validators.MinValueValidator(Decimal('0'))]),
        ),
        migrations.AlterField(
            model_name='showtime',
            name='currency',
            field=models.CharField(default=marquee.catalog.models.default_currency, max_length=3),
        ),
        migrations.AlterField(
            model_name='theater',
            name='premium_surcharge',
            field=models.DecimalField(decimal_places=3, default=Decimal('20'), max_digits=9, validators=[django.core.validators.MinValueValidator(Decimal('0'))]),
        ),
        migrations.AlterField(
            model_name='theater',
            name='vip_surcharge',
            field=models.DecimalField(decimal_places=3, default=Decimal('50'), max_digits=9, validators=[django.core.validators.MinValueValidator(Decimal('0'))]),
        ),
    ]
