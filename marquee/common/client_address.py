"""The client's address, worked out in one place for the throttles, django-axes and the logs.

`X-Forwarded-For` is whatever the client wrote, followed by one address per proxy that passed
the request on: each proxy appends the address it received the connection from. Only the
entries written by our own proxies can be believed, so `TRUSTED_PROXY_COUNT` (from the
environment) says how many there are in front of the app:

- 0 (the default): no proxy; the header is ignored and the client is `REMOTE_ADDR`.
- N: the client is the Nth entry from the right, the one our outermost proxy wrote; entries
  to its left are the client's own and are never read. A header with fewer entries than N
  (a request that did not pass every proxy) gives its leftmost entry, which a proxy of ours
  wrote, and no header (a probe talking to the app directly) gives `REMOTE_ADDR`.

An entry that is not an IP address falls back to `REMOTE_ADDR`: garbage never becomes a fresh
throttle key per request.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

# IPv6 hands every subscriber a /64 at least: rate limits count the network, or anyone with
# one could take a new address per request.
IPV6_RATE_LIMIT_PREFIX = 64


def client_ip(request) -> str | None:
    """The client's address (a Django or DRF request), normalised; None only without any."""
    request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    known = getattr(request, "client_ip", None)
    if known is not None:
        return known
    meta = request.META
    remote = meta.get("REMOTE_ADDR") or None
    if remote is not None and ":" in remote:
        remote = _normalised(remote) or remote  # an IPv4 client of a dual-stack socket
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "") if count > 0 else ""
    if not forwarded:
        return remote
    entries = forwarded.split(",")
    entry = entries[-count] if len(entries) >= count else entries[0]
    return _normalised(entry.strip()) or remote


def rate_limit_ident(request) -> str:
    """What per-address rate limits count: the client's address, or its /64 for IPv6."""
    address = client_ip(request) or ""
    if ":" not in address:
        return address
    network = ipaddress.IPv6Network(f"{address}/{IPV6_RATE_LIMIT_PREFIX}", strict=False)
    return f"{network.network_address}/{IPV6_RATE_LIMIT_PREFIX}"


def _normalised(entry: str) -> str | None:
    """One spelling per address (IPv6 compressed, IPv4-mapped IPv6 as IPv4); None for text
    that is no address. A port some proxies append (`1.2.3.4:5678`, `[::1]:5678`) is dropped."""
    if entry.startswith("[") and "]" in entry:
        entry = entry[1 : entry.index("]")]
    elif entry.count(":") == 1:
        entry = entry.partition(":")[0]
    try:
        address = ipaddress.ip_address(entry)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)
