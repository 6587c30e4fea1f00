"""E-ticket codes, and the signed links of the read-only booking page the emails point at.

A ticket code is `T1.<key id>.<ticket id>.<showtime id>.<secret>.<signature>`: an Ed25519
signature (base64url) over everything before the last dot. A door device holding the public
keys verifies it without the server; the per-ticket secret (compared again at check-in, and
by its digest in the door's check-in list) lets a ticket be invalidated by changing it. Every
character is URL-safe: `[A-Za-z0-9_.-]`.

Keys rotate: `TICKET_SIGNING_ED25519_KEYS` lists `<key id>:<private key>` entries, the first
signs and the others still verify; `TICKET_VERIFY_ED25519_PUBLIC_KEYS` keeps the public half of
retired keys. Unset, the key is derived from `TICKET_SIGNING_KEY` (and one more from each of
its fallbacks), so it rotates with it.

The codes sold before, `<ticket id>.<secret>.<signature>` signed with HMAC under
`TICKET_SIGNING_KEY` (or a fallback), are still admitted while `TICKET_CODES_ACCEPT_HMAC` is on.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured

from marquee.tickets import errors

SALT = "marquee.ticket"
BOOKING_PAGE_SALT = "marquee.booking-page"
SEPARATOR = "."
ED25519_PREFIX = "T1"
# An Ed25519 code is about 135 characters; anything much longer is garbage, not a ticket.
MAX_CODE_LENGTH = 200
MAX_TICKET_ID = 2**63 - 1  # a BigAutoField; larger numbers cannot be ticket ids
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")
SECRET = re.compile(r"[A-Za-z0-9_-]{1,64}")
SIGNATURE_LENGTH = 86  # 64 bytes in unpadded base64url
DERIVED_KEY_INFO = b"marquee.ticket.ed25519"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TicketCode:
    """What a genuine code says. `key_id` is None for an HMAC code, which has no showtime."""

    ticket_id: int
    secret: str
    showtime_id: int | None = None
    key_id: str | None = None


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    public_key: Ed25519PublicKey
    signs: bool  # the key new codes are signed with

    @property
    def raw(self) -> bytes:
        return self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class KeyRing:
    signing_key_id: str
    signing_key: Ed25519PrivateKey
    public_keys: dict[str, PublicKey]


def _derived_key(secret: str) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVED_KEY_INFO).derive(
        secret.encode()
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def _derived_key_id(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "d" + b64url(hashlib.sha256(raw).digest())[:7]


def _entry(entry: str, setting: str) -> tuple[str, bytes]:
    key_id, _, key = entry.partition(":")
    try:
        raw = b64url_decode(key.strip())
    except (binascii.Error, ValueError):
        raw = b""
    if not KEY_ID.fullmatch(key_id.strip()) or len(raw) != 32:
        raise ImproperlyConfigured(
            f"{setting}: each entry is `<key id>:<32-byte key in base64url>`, the key id "
            "1-16 of A-Z a-z 0-9 _ -."
        )
    return key_id.strip(), raw


@functools.lru_cache(maxsize=8)
def _key_ring(
    ed25519_keys: tuple[str, ...],
    public_keys: tuple[str, ...],
    hmac_key: str,
    hmac_fallbacks: tuple[str, ...],
) -> KeyRing:
    private: list[tuple[str, Ed25519PrivateKey]] = []
    if ed25519_keys:
        for entry in ed25519_keys:
            key_id, seed = _entry(entry, "TICKET_SIGNING_ED25519_KEYS")
            private.append((key_id, Ed25519PrivateKey.from_private_bytes(seed)))
    else:
        for secret in (hmac_key, *hmac_fallbacks):
            key = _derived_key(secret)
            private.append((_derived_key_id(key), key))
    ring: dict[str, PublicKey] = {}
    for index, (key_id, key) in enumerate(private):
        if key_id in ring:
            raise ImproperlyConfigured(f"TICKET_SIGNING_ED25519_KEYS: key id {key_id} twice.")
        ring[key_id] = PublicKey(key_id, key.public_key(), signs=index == 0)
    for entry in public_keys:
        key_id, raw = _entry(entry, "TICKET_VERIFY_ED25519_PUBLIC_KEYS")
        if key_id in ring:
            raise ImproperlyConfigured(f"TICKET_VERIFY_ED25519_PUBLIC_KEYS: key id {key_id} twice.")
        ring[key_id] = PublicKey(key_id, Ed25519PublicKey.from_public_bytes(raw), signs=False)
    signing_key_id, signing_key = private[0]
    return KeyRing(signing_key_id, signing_key, ring)


def key_ring() -> KeyRing:
    """The ticket-signing keys the settings name (parsed once per distinct settings)."""
    return _key_ring(
        tuple(settings.TICKET_SIGNING_ED25519_KEYS),
        tuple(settings.TICKET_VERIFY_ED25519_PUBLIC_KEYS),
        settings.TICKET_SIGNING_KEY,
        tuple(settings.TICKET_SIGNING_KEY_FALLBACKS),
    )


def new_signing_key_entry() -> tuple[str, str]:
    """A fresh `<key id>:<private key>` entry and its public key (base64url)."""
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    key_id = _derived_key_id(key)[1:]  # the same fingerprint, without the "derived" mark
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return f"k{key_id}:{b64url(seed)}", f"k{key_id}:{b64url(public)}"


def tickets_signer(salt: str) -> signing.Signer:
    """A signer with the tickets' HMAC key and its fallbacks (booking-page links, old codes)."""
    return signing.Signer(
        key=settings.TICKET_SIGNING_KEY,
        fallback_keys=settings.TICKET_SIGNING_KEY_FALLBACKS,
        salt=salt,
        sep=SEPARATOR,
    )


def ticket_code(ticket) -> str:
    """The Ed25519-signed code printed in a ticket's QR image."""
    ring = key_ring()
    body = SEPARATOR.join(
        [
            ED25519_PREFIX,
            ring.signing_key_id,
            str(ticket.pk),
            str(ticket.showtime_id),
            ticket.secret,
        ]
    )
    return f"{body}{SEPARATOR}{b64url(ring.signing_key.sign(body.encode('ascii')))}"


def hmac_ticket_code(ticket) -> str:
    """The code of the HMAC kind sold before the Ed25519 codes (kept for the transition)."""
    return tickets_signer(SALT).sign(f"{ticket.pk}{SEPARATOR}{ticket.secret}")


def code_digest(ticket_id: int, secret: str) -> str:
    """What the door's check-in list holds instead of a ticket's secret: SHA-256 of
    `<ticket id>.<secret>`, base64url, 22 characters. A device matches a scanned code to it."""
    return b64url(hashlib.sha256(f"{ticket_id}{SEPARATOR}{secret}".encode()).digest())[:22]


def _ticket_number(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        raise errors.invalid_ticket_code()
    number = int(text)
    if not 1 <= number <= MAX_TICKET_ID:
        raise errors.invalid_ticket_code()
    return number


def _parse_ed25519(code: str) -> TicketCode:
    body, _, signature = code.rpartition(SEPARATOR)
    parts = body.split(SEPARATOR)
    if len(parts) != 5 or len(signature) != SIGNATURE_LENGTH:
        raise errors.invalid_ticket_code()
    _, key_id, ticket_id, showtime_id, secret = parts
    public = key_ring().public_keys.get(key_id)
    if public is None or not SECRET.fullmatch(secret):
        raise errors.invalid_ticket_code()
    try:
        public.public_key.verify(b64url_decode(signature), body.encode("ascii"))
    except (InvalidSignature, binascii.Error, ValueError):
        raise errors.invalid_ticket_code() from None
    return TicketCode(_ticket_number(ticket_id), secret, _ticket_number(showtime_id), key_id)


def _parse_hmac(code: str) -> TicketCode:
    if not settings.TICKET_CODES_ACCEPT_HMAC:
        raise errors.invalid_ticket_code()
    try:
        value = tickets_signer(SALT).unsign(code)
    except signing.BadSignature:
        raise errors.invalid_ticket_code() from None
    ticket_id, separator, secret = value.partition(SEPARATOR)
    if not (separator and secret):
        raise errors.invalid_ticket_code()
    return TicketCode(_ticket_number(ticket_id), secret)


def parse_ticket_code(code: object) -> TicketCode:
    """What a genuine code (Ed25519, or HMAC during the transition) carries; no database."""
    if not isinstance(code, str):
        raise errors.invalid_ticket_code()
    code = code.strip()
    if not code or len(code) > MAX_CODE_LENGTH or not code.isascii():
        raise errors.invalid_ticket_code()
    if code.startswith(ED25519_PREFIX + SEPARATOR):
        return _parse_ed25519(code)
    return _parse_hmac(code)


def booking_page_token(booking) -> str:
    """The signed part of a booking page's address: `<booking uuid>.<signature>`."""
    return tickets_signer(BOOKING_PAGE_SALT).sign(str(booking.public_id))


def parse_booking_page_token(token: str) -> uuid.UUID | None:
    """The booking's public id a genuine token carries, or None; no database access."""
    if not token or len(token) > MAX_CODE_LENGTH:
        return None
    try:
        return uuid.UUID(tickets_signer(BOOKING_PAGE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
