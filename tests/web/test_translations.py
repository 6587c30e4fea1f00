"""The German catalog is complete, holds every string the code marks (the staff pages' too),
its placeholders match, and the committed .mo is current."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.utils.translation.template import templatize

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


# Babel's keywords plus Django's lazy ones; templates go through Django's own `templatize`,
# which `makemessages` uses too, so this needs no GNU gettext.
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "gettext_lazy": None,
    "ngettext_lazy": (1, 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


def _marked_in(path: Path) -> list[tuple[str | None, str]]:
    source = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        source = templatize(source, origin=str(path))
    found = []
    for _line, message, _comments, context in extract(
        "python", io.BytesIO(source.encode()), keywords=KEYWORDS
    ):
        found.append((context, message[0] if isinstance(message, tuple) else message))
    return found


def _marked_messages(folder: Path) -> set[tuple[str | None, str]]:
    return {
        marked
        for path in folder.rglob("*")
        if path.suffix in {".py", ".html", ".txt"} and "migrations" not in path.parts
        for marked in _marked_in(path)
    }


def test_every_message_the_code_marks_is_in_the_german_catalog_translated():
    """A string marked after the last `make messages` is not in the catalog: English on a
    German page. The staff pages (door, box office, dashboard) are checked by name too."""
    catalog = _catalog()
    root = Path(settings.BASE_DIR) / "marquee"
    marked = _marked_messages(root)
    staff = _marked_messages(root / "staff")
    assert len(staff) > 150
    missing = []
    for context, message_id in sorted(marked, key=str):
        entry = catalog.get(message_id, context=context)
        if (
            entry is None
            or entry.fuzzy
            or not all(entry.string if isinstance(entry.string, tuple) else (entry.string,))
        ):
            missing.append((context, message_id))
    assert not missing, missing


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
