"""`manage.py compile_translations`: every locale/*/LC_MESSAGES/*.po compiled to its .mo with
Babel, in pure Python (Django's `compilemessages` needs GNU gettext's msgfmt, which a
newcomer's machine may lack). `--check` compiles in memory and fails if a committed .mo differs
from its .po (tests/web/test_translations.py runs it)."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def compiled(po_path: Path) -> bytes:
    with po_path.open("rb") as source:
        catalog = read_po(source)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def po_files() -> list[Path]:
    return sorted(
        path for folder in settings.LOCALE_PATHS for path in Path(folder).glob("*/LC_MESSAGES/*.po")
    )


class Command(BaseCommand):
    help = "Compile the translation catalogs (.po -> .mo) with Babel; --check only compares."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="fail if a .mo is out of date")

    def handle(self, *args, check: bool = False, **options):
        stale = []
        for po_path in po_files():
            mo_path = po_path.with_suffix(".mo")
            data = compiled(po_path)
            if check:
                if not mo_path.exists() or mo_path.read_bytes() != data:
                    stale.append(str(mo_path))
                continue
            mo_path.write_bytes(data)
            self.stdout.write(f"compiled {po_path}")
        if stale:
            raise CommandError(f"out of date (run `make compilemessages`): {stale}")
