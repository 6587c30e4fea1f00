"""The Celery app. Without a broker configured, tasks run in-process (eager) so `make run`
needs no broker; production points CELERY_BROKER_URL at Redis (see docs/operations.md)."""

import os
from pathlib import Path

from celery import Celery, signals
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("marquee")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class Scheduler(PersistentScheduler):
    """Celery's file-backed schedule, its folder (STATE_DIR) created first."""

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()


@signals.celeryd_init.connect
@signals.beat_init.connect
def refuse_an_in_process_broker(**kwargs):
    """A worker or beat without CELERY_BROKER_URL would wait on a queue nobody else sees."""
    if app.conf.broker_url.startswith("memory://"):
        # SystemExit, because Celery logs and ignores any Exception a signal handler raises.
        raise SystemExit(
            "CELERY_BROKER_URL is not set: the worker and beat need the broker the web "
            "processes send tasks to (docs/operations.md)."
        )
