"""A system check of the ticket-signing keys: a malformed entry stops the start, not a scan."""

from __future__ import annotations

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from marquee.tickets.codes import key_ring


@register("marquee")
def ticket_keys_check(app_configs, **kwargs) -> list[Error]:
    try:
        key_ring()
    except ImproperlyConfigured as error:
        return [Error(str(error), hint="docs/operations.md, Rotating keys.", id="tickets.E001")]
    return []
