"""The German catalog is complete, its placeholders match, and the committed .mo is current."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command

PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sd]|\{\w+\}")


def _catalog():
    path = Path(settings.LOCALE_PATHS[0]) / "de" / "LC_MESSAGES" / "django.po"
    with path.open("rb") as source:
        return read_po(source)


def test_every_german_message_is_translated_and_none_is_fuzzy():
    catalog = _catalog()
    assert not catalog.fuzzy
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    untranslated = [m for m in untranslated if not (isinstance(m, tuple) and False)]
    assert not untranslated, untranslated
    assert len(catalog) > 200


def test_german_messages_keep_the_placeholders_of_the_english_ones():
    for message in _catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(set(PLACEHOLDER.findall(ids[-1])))
        for string in strings:
            found = sorted(set(PLACEHOLDER.findall(string)))
            # A singular may spell out "1" instead of its count.
            assert set(found) <= set(wanted) and (found == wanted or len(strings) > 1), (
                message.id,
                string,
            )


def test_the_committed_mo_files_match_the_po_files():
    call_command("compile_translations", check=True)
