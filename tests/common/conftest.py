"""The fuzzers' world, built once per module (tests/common/fuzzing.py)."""

import pytest
from django.db import transaction
from django.test import override_settings

from tests.common.fuzzing import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Real rows for a whole module of fuzz tests, rolled back when it ends. Each test (and
    each request, see `isolated`) runs in a savepoint inside it, so none sees another's writes.
    """
    fast_hashing = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=fast_hashing),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)
