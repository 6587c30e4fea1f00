"""The API's rate limits, applied to the site's forms that do the same things (log in, sign
up, reset a password, hold seats), so the site is no way around them."""

from __future__ import annotations

import math

from django.http import HttpRequest


def throttle_wait(request: HttpRequest, *throttle_classes) -> int | None:
    """Seconds to wait if any of the throttles refuses this request; None when all admit it.
    The API's throttles (marquee.common.throttling) read only the user and the address."""
    for throttle_class in throttle_classes:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            return max(1, math.ceil(throttle.wait() or 1))
    return None
