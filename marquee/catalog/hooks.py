"""Rules other apps add to catalog changes, registered explicitly at start-up.

The catalog never imports the apps above it (booking, payments); an app that must be able to
refuse a catalog change registers a typed check here from its `AppConfig.ready`, and the
catalog's services call every registered check at the one point the change is decided.
Notifications that refuse nothing stay signals (`marquee.catalog.signals`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from marquee.catalog.models import Showtime


class ShowtimeChangeCheck(Protocol):
    def __call__(self, *, showtime: Showtime, fields: Sequence[str]) -> None:
        """Raise a DomainError to refuse changing these fields of the (locked) showtime."""


_showtime_change_checks: list[ShowtimeChangeCheck] = []


def register_showtime_change_check(check: ShowtimeChangeCheck) -> None:
    """Have `check` asked before a showtime's movie, screen, start or currency changes."""
    if check not in _showtime_change_checks:
        _showtime_change_checks.append(check)


def showtime_change_check(*, showtime: Showtime, fields: Sequence[str]) -> None:
    """Ask every registered check; the first refusal (a DomainError) propagates."""
    for check in _showtime_change_checks:
        check(showtime=showtime, fields=list(fields))
