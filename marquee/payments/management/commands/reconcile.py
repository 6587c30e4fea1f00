import json

from django.core.management.base import BaseCommand, CommandError

from marquee.payments.reconciliation import CHECK_NAMES, CHECKS, DEFAULT_LIMIT, reconcile


class Command(BaseCommand):
    help = (
        "Check the invariants of seats and money in the database and report every breach; "
        "exits 1 if any is breached."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--skip",
            action="append",
            default=[],
            choices=CHECK_NAMES,
            metavar="CHECK",
            help="leave this check out (repeatable)",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=DEFAULT_LIMIT,
            help=f"name at most this many rows per check (default {DEFAULT_LIMIT})",
        )

    def handle(self, *args, **options):
        breaches = reconcile(without=options["skip"], limit=options["limit"])
        breached = {breach.check.name: breach for breach in breaches}
        checked = [check for check in CHECKS if check.name not in options["skip"]]
        if options["json"]:
            report = {
                "ok": not breaches,
                "checked": [check.name for check in checked],
                "breaches": [breach.as_dict() for breach in breaches],
            }
            self.stdout.write(json.dumps(report, indent=2))
        else:
            for check in checked:
                breach = breached.get(check.name)
                if breach is None:
                    self.stdout.write(f"ok      {check.name}: {check.promise}")
                else:
                    ids = ", ".join(str(i) for i in breach.ids)
                    self.stdout.write(
                        self.style.ERROR(f"BREACH  {check.name}: {check.promise}")
                        + f"\n        {check.rows} ids: {ids}"
                    )
        if breaches:
            raise CommandError(
                f"{len(breaches)} of {len(checked)} invariants breached: " + ", ".join(breached),
                returncode=1,
            )
        if not options["json"]:
            self.stdout.write(self.style.SUCCESS(f"all {len(checked)} invariants hold"))
