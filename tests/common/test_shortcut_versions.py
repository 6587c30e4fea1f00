"""The shortcuts past the ORM's public API were verified on certain Django releases only: this
fails as soon as the installed Django leaves that range, so someone checks them again."""

import django
import pytest

from marquee.common import fast_insert, fast_select


@pytest.mark.parametrize("shortcut", [fast_insert, fast_select], ids=lambda m: m.__name__)
def test_the_installed_django_is_one_the_shortcut_was_verified_on(shortcut):
    first, last = shortcut.VERIFIED_DJANGO
    installed = django.VERSION[:2]
    assert first <= installed <= last, (
        f"{shortcut.__name__} was verified on Django {first} to {last}, not {installed}: "
        "check it against this release (its tests prove it equal to the ORM) and widen "
        "VERIFIED_DJANGO."
    )
