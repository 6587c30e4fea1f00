from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marquee.tickets.services import door_scans_prune


class Command(BaseCommand):
    help = (
        "Delete the door scans of showtimes that ended more than DOOR_SCAN_RETENTION_DAYS ago: "
        "what beat does daily, for a deployment without beat. Safe to run any time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            metavar="DAYS",
            help="keep the scans of shows over for at most DAYS days (default: the setting)",
        )

    def handle(self, *args, days=None, **options):
        retention = settings.DOOR_SCAN_RETENTION_DAYS if days is None else days
        if retention < 1:
            raise CommandError("--days must be at least 1")
        deleted = door_scans_prune(retention_days=retention)
        self.stdout.write(f"deleted {deleted} door scans of shows over for {retention}+ days")
