"""`manage.py generate_seats "Marquee Downtown/Screen 1" --rows 10 --per-row 14 ...`"""

from django.core.management.base import BaseCommand, CommandError

from marquee.catalog.api import SeatGenerationSerializer
from marquee.catalog.models import Screen
from marquee.catalog.services import seats_generate
from marquee.common.errors import DomainError


def find_screen(reference: str) -> Screen:
    """A screen by id, by "<theater name>/<screen name>", or by a screen name that is unique."""
    reference = reference.strip()
    screens = Screen.objects.select_related("theater")
    if reference.isdigit():
        found = screens.filter(pk=int(reference))
    elif "/" in reference:
        theater_name, _, screen_name = reference.partition("/")
        found = screens.filter(theater__name=theater_name.strip(), name=screen_name.strip())
    else:
        found = screens.filter(name=reference)
    matches = list(found[:2])
    if not matches:
        raise CommandError(f"No screen matches '{reference}'.")
    if len(matches) > 1:
        raise CommandError(
            f"Several screens are named '{reference}'; use '<theater name>/<screen name>' or an id."
        )
    return matches[0]


def _comma_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


class Command(BaseCommand):
    help = "Regenerate a screen's seats (refused when any seat of the screen has tickets)."

    def add_arguments(self, parser):
        parser.add_argument("screen", help='"<theater name>/<screen name>", a screen name or id')
        parser.add_argument("--rows", type=int, required=True)
        parser.add_argument("--per-row", type=int, required=True)
        parser.add_argument("--aisles-after", default="", help="Seat numbers, e.g. 4,12")
        parser.add_argument("--premium-rows", default="", help='Rows, e.g. "E-G" or "E,F"')
        parser.add_argument("--vip-rows", default="", help='Rows, e.g. "H"')
        parser.add_argument("--wheelchair", default="", help="Seats, e.g. A1,A2")
        parser.add_argument("--companion", default="", help="Seats, e.g. A3")

    def handle(self, *args, **options):
        screen = find_screen(options["screen"])
        serializer = SeatGenerationSerializer(
            data={
                "rows": options["rows"],
                "per_row": options["per_row"],
                "aisles_after": _comma_list(options["aisles_after"]),
                "premium_rows": options["premium_rows"],
                "vip_rows": options["vip_rows"],
                "wheelchair": options["wheelchair"],
                "companion": options["companion"],
            }
        )
        if not serializer.is_valid():
            raise CommandError(f"Invalid layout: {dict(serializer.errors)}")
        try:
            seats = seats_generate(screen=screen, **serializer.validated_data)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message} {error.details or ''}") from None
        self.stdout.write(self.style.SUCCESS(f"{screen}: {len(seats)} seats generated."))
