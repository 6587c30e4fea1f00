"""`manage.py initialize`: what a new deployment needs before its web processes start, and safe
to run on every start (compose.yaml's `init` service runs it each time).

1. `migrate`;
2. the first admin from Django's own variables, DJANGO_SUPERUSER_USERNAME,
   DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD, unless that account exists already
   (then it is left as it is: a password changed since is never reset);
3. the demo data (`seed_demo`) when SEED_DEMO is true: for a try-out only, its two accounts
   have published passwords.
"""

from __future__ import annotations

import os

import environ
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Migrate, create the first admin from DJANGO_SUPERUSER_* if it does not exist, and "
        "load the demo data if SEED_DEMO is true. Safe to run on every start."
    )

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        self.first_admin()
        if environ.Env().bool("SEED_DEMO", default=False):
            call_command("seed_demo", stdout=self.stdout)

    def first_admin(self) -> None:
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "")
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        if not username:
            self.stdout.write(
                "No DJANGO_SUPERUSER_USERNAME: no admin created "
                "(`python manage.py createsuperuser` makes one)."
            )
            return
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            self.stdout.write(f"Account {username!r} exists; left unchanged.")
            return
        if not (email and password):
            raise CommandError(
                "DJANGO_SUPERUSER_USERNAME needs DJANGO_SUPERUSER_EMAIL and "
                "DJANGO_SUPERUSER_PASSWORD."
            )
        try:
            validate_password(password, user=user_model(username=username, email=email))
        except ValidationError as error:
            raise CommandError(f"DJANGO_SUPERUSER_PASSWORD: {' '.join(error.messages)}") from None
        # Django's own command, which reads DJANGO_SUPERUSER_PASSWORD from the environment.
        call_command(
            "createsuperuser", interactive=False, username=username, email=email, verbosity=0
        )
        self.stdout.write(self.style.SUCCESS(f"Admin {username!r} created."))
