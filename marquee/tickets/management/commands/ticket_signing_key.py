from django.core.management.base import BaseCommand

from marquee.tickets.codes import key_ring, new_signing_key_entry
from marquee.tickets.selectors import door_public_keys


class Command(BaseCommand):
    help = (
        "Print a new Ed25519 ticket-signing key (a TICKET_SIGNING_ED25519_KEYS entry and its "
        "public half), or with --show the keys in use now (public halves only). "
        "docs/operations.md says how to rotate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--show", action="store_true", help="list the keys in use")

    def handle(self, *args, show=False, **options):
        if show:
            signing = key_ring().signing_key_id
            for key in door_public_keys():
                role = "signs" if key["key_id"] == signing else "verifies"
                self.stdout.write(f"{key['key_id']}:{key['public_key']}  ({role})")
            return
        private, public = new_signing_key_entry()
        self.stdout.write(f"private (TICKET_SIGNING_ED25519_KEYS entry): {private}")
        self.stdout.write(f"public (TICKET_VERIFY_ED25519_PUBLIC_KEYS once retired): {public}")
