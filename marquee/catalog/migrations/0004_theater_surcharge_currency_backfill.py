"""Existing surcharges were bare numbers added in whatever currency a showtime had. Each theater's
now become amounts in the currency most of its showtimes are in (the setting's default when it
has none); a theater with no surcharges gets 0 percent instead. Prices of a showtime in another
currency no longer get the amount added (marquee/booking/pricing.py)."""

from django.conf import settings
from django.db import migrations
from django.db.models import Count

from marquee.common.money import is_currency


def name_surcharge_currencies(apps, schema_editor):
    Theater = apps.get_model("catalog", "Theater")
    Showtime = apps.get_model("catalog", "Showtime")
    for theater in Theater.objects.order_by("pk"):
        if not theater.premium_surcharge and not theater.vip_surcharge:
            Theater.objects.filter(pk=theater.pk).update(
                surcharge_kind="percent", surcharge_currency=""
            )
            continue
        in_use = (
            Showtime.objects.filter(screen__theater_id=theater.pk)
            .values("currency")
            .annotate(showtimes=Count("id"))
            .order_by("-showtimes", "currency")
        )
        currency = next(
            (row["currency"] for row in in_use if is_currency(row["currency"])),
            settings.DEFAULT_CURRENCY,
        )
        Theater.objects.filter(pk=theater.pk).update(
            surcharge_kind="amount", surcharge_currency=currency
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_theater_surcharge_kind_and_money_places")]

    operations = [migrations.RunPython(name_surcharge_currencies, migrations.RunPython.noop)]
