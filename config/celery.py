"""The Celery app. Without a broker configured, tasks run in-process (eager) so `make run`
needs no broker; production points CELERY_BROKER_URL at Redis (see docs/operations.md)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("marquee")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
