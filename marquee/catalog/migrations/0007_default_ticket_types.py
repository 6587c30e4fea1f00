"""The ticket types every theater sells: adult (the default a plain seat id means), child,
senior and student."""

from django.db import migrations

DEFAULTS = [
    ("adult", "Adult", 0),
    ("child", "Child", 1),
    ("senior", "Senior", 2),
    ("student", "Student", 3),
]


def create(apps, schema_editor):
    TicketType = apps.get_model("catalog", "TicketType")
    for code, name, position in DEFAULTS:
        if not TicketType.objects.filter(theater=None, code=code).exists():
            TicketType.objects.create(theater=None, code=code, name=name, position=position)


def remove(apps, schema_editor):
    TicketType = apps.get_model("catalog", "TicketType")
    TicketType.objects.filter(theater=None, code__in=[c for c, _, _ in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_ticket_types_and_price_cards")]
    operations = [migrations.RunPython(create, remove)]
