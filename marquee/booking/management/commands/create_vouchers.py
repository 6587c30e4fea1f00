from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from marquee.booking.vouchers import vouchers_create_bulk, vouchers_csv
from marquee.common.errors import DomainError


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = parse_datetime(text)
    if moment is None or moment.tzinfo is None:
        raise CommandError(f"{text!r}: give an ISO 8601 time with its offset.")
    return moment


class Command(BaseCommand):
    help = (
        "Create a batch of vouchers with random codes and the same terms; prints them as CSV "
        "(or writes --output)."
    )

    def add_arguments(self, parser):
        parser.add_argument("count", type=int)
        parser.add_argument("--percent", help="Percent off, e.g. 15")
        parser.add_argument("--amount", help="Amount off, e.g. 5.00 (with --currency)")
        parser.add_argument("--currency", default="")
        parser.add_argument("--prefix", default="")
        parser.add_argument("--batch", default="")
        parser.add_argument("--valid-from")
        parser.add_argument("--valid-until")
        parser.add_argument("--movie", type=int)
        parser.add_argument("--theater", type=int)
        parser.add_argument("--ticket-type", default="")
        parser.add_argument("--max-redemptions", type=int)
        parser.add_argument("--max-per-user", type=int)
        parser.add_argument("--min-seats", type=int, default=1)
        parser.add_argument("--output", help="Write the CSV to this file.")

    def handle(self, *args, **options):
        if (options["percent"] is None) == (options["amount"] is None):
            raise CommandError("Give either --percent or --amount.")
        try:
            value = Decimal(options["percent"] or options["amount"])
        except InvalidOperation:
            raise CommandError("The discount is not a number.") from None
        try:
            vouchers = vouchers_create_bulk(
                count=options["count"],
                prefix=options["prefix"],
                batch=options["batch"],
                kind="percent" if options["percent"] is not None else "amount",
                value=value,
                currency=options["currency"],
                valid_from=_moment(options["valid_from"]),
                valid_until=_moment(options["valid_until"]),
                movie_id=options["movie"],
                theater_id=options["theater"],
                ticket_type=options["ticket_type"],
                max_redemptions=options["max_redemptions"],
                max_per_user=options["max_per_user"],
                min_seats=options["min_seats"],
            )
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        text = vouchers_csv(vouchers)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                out.write(text)
            self.stdout.write(f"created {len(vouchers)} vouchers in {options['output']}")
        else:
            self.stdout.write(text, ending="")
