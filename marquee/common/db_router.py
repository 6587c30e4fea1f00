"""Primary/replica routing: catalog reads may go to a read replica; everything else, and
every query of a request that writes, goes to the primary. Seats are never read from a
replica: bookings, tickets, payments and their checks always see the primary."""

from django.conf import settings

from marquee.common import request_context

REPLICA = "replica"
REPLICA_APPS = {"catalog"}


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            REPLICA in settings.DATABASES
            and model._meta.app_label in REPLICA_APPS
            and not request_context.use_primary.get()
        ):
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: same objects

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
