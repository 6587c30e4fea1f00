from django.core.management.base import BaseCommand

from marquee.booking.idempotency import idempotency_keys_purge
from marquee.booking.services import bookings_expire


class Command(BaseCommand):
    help = "Mark lapsed holds expired and forget old idempotency keys (safe to run any time)."

    def handle(self, *args, **options):
        expired = bookings_expire()
        purged = idempotency_keys_purge()
        self.stdout.write(f"expired {expired} bookings, purged {purged} idempotency keys")
