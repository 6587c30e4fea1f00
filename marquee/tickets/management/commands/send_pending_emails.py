import time

from django.core.management.base import BaseCommand

from marquee.tickets.outbox import email_deliveries_prune, email_deliveries_send_due


class Command(BaseCommand):
    help = (
        "Send the outbox's due emails (retries, and emails whose task never ran) and prune old "
        "rows: what beat does every minute, for a deployment without beat (`make run`). Safe "
        "to run any time, and concurrently."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            help="keep running, one pass every SECONDS (e.g. 60), until interrupted",
        )

    def handle(self, *args, every=None, **options):
        while True:
            summary = email_deliveries_send_due()
            pruned = email_deliveries_prune()
            line = (
                f"sent {summary.sent}, skipped {summary.skipped}, retrying {summary.retrying}, "
                f"failed {summary.failed}, pruned {pruned}"
            )
            if summary.server_down:
                line += " (the mail server cannot be reached; will retry)"
            self.stdout.write(line)
            if not every:
                return
            time.sleep(every)
