"""`manage.py initialize` (compose's init service): migrations, the first admin, demo data on
request; run again on every start without harm."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from marquee.accounts.models import Role, User
from marquee.catalog.models import Theater

pytestmark = pytest.mark.django_db

ADMIN = {
    "DJANGO_SUPERUSER_USERNAME": "boxoffice",
    "DJANGO_SUPERUSER_EMAIL": "boxoffice@cinema.example",
    "DJANGO_SUPERUSER_PASSWORD": "a-long-admin-passphrase",
}


@pytest.fixture
def environment(monkeypatch):
    for name in [*ADMIN, "SEED_DEMO"]:
        monkeypatch.delenv(name, raising=False)

    def apply(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return apply


def initialize() -> str:
    out = StringIO()
    call_command("initialize", stdout=out, verbosity=0)
    return out.getvalue()


def test_without_admin_variables_no_account_is_made_and_it_says_how(environment):
    output = initialize()
    assert User.objects.count() == 0
    assert "createsuperuser" in output
    assert not Theater.objects.exists()


def test_the_first_admin_comes_from_djangos_variables_once(environment):
    environment(**ADMIN)
    assert "created" in initialize()
    admin = User.objects.get()
    assert (admin.username, admin.email, admin.role) == (
        "boxoffice",
        "boxoffice@cinema.example",
        Role.ADMIN,
    )
    assert admin.is_superuser and admin.check_password("a-long-admin-passphrase")

    admin.set_password("changed-in-the-admin-since")
    admin.save()
    environment(DJANGO_SUPERUSER_EMAIL="other@cinema.example")
    assert "left unchanged" in initialize()  # every later start: no error, nothing reset
    admin.refresh_from_db()
    assert admin.check_password("changed-in-the-admin-since")
    assert User.objects.count() == 1


def test_an_admin_without_a_password_or_with_a_weak_one_is_refused(environment):
    environment(DJANGO_SUPERUSER_USERNAME="boxoffice", DJANGO_SUPERUSER_EMAIL="b@cinema.example")
    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD"):
        initialize()
    environment(DJANGO_SUPERUSER_PASSWORD="12345678")
    with pytest.raises(CommandError, match="too common"):
        initialize()
    assert not User.objects.exists()


def test_demo_data_only_when_asked(environment):
    environment(SEED_DEMO="false")
    initialize()
    assert not Theater.objects.exists()
    environment(SEED_DEMO="true")
    initialize()
    assert Theater.objects.filter(name="Marquee Downtown").exists()
