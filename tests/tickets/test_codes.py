import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from django.core import signing
from django.core.exceptions import ImproperlyConfigured

from marquee.booking.models import Ticket
from marquee.common.errors import http_status
from marquee.tickets.checks import ticket_keys_check
from marquee.tickets.codes import (
    SALT,
    SEPARATOR,
    TicketCode,
    b64url,
    b64url_decode,
    code_digest,
    hmac_ticket_code,
    key_ring,
    new_signing_key_entry,
    parse_ticket_code,
    ticket_code,
)
from marquee.tickets.errors import TicketError

pytestmark = pytest.mark.django_db

SECRET = "q3Jx-9_kLmN0pQrS"


def genuine(ticket_id, secret, **signer_options) -> str:
    """An HMAC code (the kind sold before the Ed25519 codes), signed by hand."""
    options = {"salt": SALT, "sep": SEPARATOR} | signer_options
    return signing.Signer(**options).sign(f"{ticket_id}{SEPARATOR}{secret}")


def ed25519_code(ticket_id, showtime_id, secret, *, key: Ed25519PrivateKey, key_id: str) -> str:
    """An Ed25519 code signed by hand, as a door device verifies it."""
    body = f"T1.{key_id}.{ticket_id}.{showtime_id}.{secret}"
    return f"{body}.{b64url(key.sign(body.encode()))}"


def refused(code) -> tuple[int, str]:
    with pytest.raises(TicketError) as error:
        parse_ticket_code(code)
    return http_status(error.value), error.value.code


@pytest.fixture
def ticket():
    return Ticket(pk=4711, showtime_id=815, secret=SECRET)


@pytest.fixture
def keys(settings):
    """Two configured keys: k1 signs, k0 (older) only verifies."""
    new, old = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    settings.TICKET_SIGNING_ED25519_KEYS = [f"k1:{seed(new)}", f"k0:{seed(old)}"]
    return {"k1": new, "k0": old}


def seed(key: Ed25519PrivateKey) -> str:
    return b64url(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))


# --- Ed25519 codes ---------------------------------------------------------------------------


def test_code_round_trips_to_ticket_showtime_and_secret(ticket, django_assert_num_queries):
    code = ticket_code(ticket)
    with django_assert_num_queries(0):
        parsed = parse_ticket_code(code)
    assert parsed == TicketCode(4711, SECRET, 815, key_ring().signing_key_id)


def test_code_is_url_safe_and_fits_a_small_qr_code(ticket):
    code = ticket_code(ticket)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", code)
    assert code.startswith("T1.")
    assert len(code) <= 160
    assert SECRET in code  # the secret is signed, not encrypted


def test_code_verifies_with_the_published_public_key_alone(keys, ticket):
    """What a door device does offline: the Ed25519 signature over the part before the last dot."""
    code = ticket_code(ticket)
    body, _, signature = code.rpartition(".")
    assert body.split(".")[:2] == ["T1", "k1"]
    keys["k1"].public_key().verify(b64url_decode(signature), body.encode())


def test_scanner_whitespace_around_a_code_is_ignored(ticket):
    assert parse_ticket_code(f"  {ticket_code(ticket)}\n").ticket_id == 4711


def test_codes_of_different_tickets_differ():
    one = ticket_code(Ticket(pk=1, showtime_id=1, secret="a" * 16))
    assert one != ticket_code(Ticket(pk=2, showtime_id=1, secret="a" * 16))


def forged_ed25519_codes(keys) -> dict[str, str]:
    good = ed25519_code(4711, 815, SECRET, key=keys["k1"], key_id="k1")
    body, _, signature = good.rpartition(".")
    stranger = Ed25519PrivateKey.generate()
    return {
        "other ticket": good.replace(".4711.", ".4712."),
        "other showtime": good.replace(".815.", ".816."),
        "other secret": good.replace(SECRET, SECRET[:-1] + "T"),
        "flipped signature": body + "." + ("A" if signature[0] != "A" else "B") + signature[1:],
        "truncated signature": good[:-1],
        "no signature": body,
        "unknown key id": good.replace("T1.k1.", "T1.k9.", 1),
        "key id of another key": good.replace("T1.k1.", "T1.k0.", 1),
        "signed by a stranger under our key id": ed25519_code(
            4711, 815, SECRET, key=stranger, key_id="k1"
        ),
        "signed but id zero": ed25519_code(0, 815, SECRET, key=keys["k1"], key_id="k1"),
        "signed but id too big": ed25519_code(2**63, 815, SECRET, key=keys["k1"], key_id="k1"),
        "signed but showtime not a number": ed25519_code(
            4711, "x", SECRET, key=keys["k1"], key_id="k1"
        ),
        "signed but a dot too many": ed25519_code(
            4711, 815, SECRET + ".x", key=keys["k1"], key_id="k1"
        ),
        "signed but no secret": ed25519_code(4711, 815, "", key=keys["k1"], key_id="k1"),
        "non-ascii": good.replace(SECRET, "q3Jx-9_kLmN0pQr\u00e9"),
    }


@pytest.mark.parametrize(
    "name",
    list(
        forged_ed25519_codes(
            {"k1": Ed25519PrivateKey.generate(), "k0": Ed25519PrivateKey.generate()}
        )
    ),
)
def test_forged_ed25519_code_is_rejected_without_queries(keys, name, django_assert_num_queries):
    code = forged_ed25519_codes(keys)[name]
    with django_assert_num_queries(0):
        assert refused(code) == (400, "invalid_ticket_code")


def test_a_code_signed_by_hand_with_the_signing_key_is_genuine(keys):
    code = ed25519_code(4711, 815, SECRET, key=keys["k1"], key_id="k1")
    assert parse_ticket_code(code) == TicketCode(4711, SECRET, 815, "k1")


def test_codes_of_an_older_key_still_verify_after_a_rotation(settings, ticket):
    old = Ed25519PrivateKey.generate()
    settings.TICKET_SIGNING_ED25519_KEYS = [f"k0:{seed(old)}"]
    old_code = ticket_code(ticket)

    new = Ed25519PrivateKey.generate()
    settings.TICKET_SIGNING_ED25519_KEYS = [f"k1:{seed(new)}", f"k0:{seed(old)}"]

    assert parse_ticket_code(old_code).key_id == "k0"
    assert ticket_code(ticket).startswith("T1.k1.")


def test_a_retired_key_verifies_from_its_public_half_alone(settings, ticket):
    old = Ed25519PrivateKey.generate()
    settings.TICKET_SIGNING_ED25519_KEYS = [f"k0:{seed(old)}"]
    old_code = ticket_code(ticket)

    new = Ed25519PrivateKey.generate()
    public = b64url(old.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    settings.TICKET_SIGNING_ED25519_KEYS = [f"k1:{seed(new)}"]
    settings.TICKET_VERIFY_ED25519_PUBLIC_KEYS = [f"k0:{public}"]

    assert parse_ticket_code(old_code).key_id == "k0"
    assert {key: k.signs for key, k in key_ring().public_keys.items()} == {"k1": True, "k0": False}


def test_codes_of_a_key_dropped_from_the_settings_are_refused(settings, ticket):
    old = Ed25519PrivateKey.generate()
    settings.TICKET_SIGNING_ED25519_KEYS = [f"k0:{seed(old)}"]
    old_code = ticket_code(ticket)

    settings.TICKET_SIGNING_ED25519_KEYS = [f"k1:{seed(Ed25519PrivateKey.generate())}"]

    assert refused(old_code) == (400, "invalid_ticket_code")


def test_the_default_key_is_derived_from_the_ticket_key_and_rotates_with_it(settings, ticket):
    settings.TICKET_SIGNING_ED25519_KEYS = []
    settings.TICKET_SIGNING_KEY, settings.TICKET_SIGNING_KEY_FALLBACKS = OLD_KEY, []
    old_code = ticket_code(ticket)
    assert ticket_code(ticket) == old_code  # derived, the same in every process

    settings.TICKET_SIGNING_KEY, settings.TICKET_SIGNING_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    assert ticket_code(ticket) != old_code
    assert parse_ticket_code(old_code).ticket_id == 4711

    settings.TICKET_SIGNING_KEY_FALLBACKS = []
    assert refused(old_code) == (400, "invalid_ticket_code")


@pytest.mark.parametrize(
    "entry",
    [
        "k1",
        "k1:",
        "k1:not-base64!",
        "k1:" + b64url(b"short"),
        "bad id!:" + b64url(b"x" * 32),
        ":" + b64url(b"x" * 32),
    ],
)
def test_a_malformed_key_setting_is_a_configuration_error(settings, ticket, entry):
    settings.TICKET_SIGNING_ED25519_KEYS = [entry]
    with pytest.raises(ImproperlyConfigured):
        ticket_code(ticket)


def test_the_system_check_names_a_malformed_key_setting(settings):
    assert ticket_keys_check(None) == []
    settings.TICKET_SIGNING_ED25519_KEYS = ["k1:short"]
    (error,) = ticket_keys_check(None)
    assert error.id == "tickets.E001" and "TICKET_SIGNING_ED25519_KEYS" in error.msg


def test_a_new_key_entry_is_usable_as_is(settings, ticket):
    private, public = new_signing_key_entry()
    settings.TICKET_SIGNING_ED25519_KEYS = [private]
    key_id = private.split(":")[0]
    assert public.split(":")[0] == key_id
    assert parse_ticket_code(ticket_code(ticket)).key_id == key_id


def test_the_digest_is_sha256_of_id_and_secret():
    expected = b64url(hashlib.sha256(f"4711.{SECRET}".encode()).digest())[:22]
    assert code_digest(4711, SECRET) == expected


# --- HMAC codes (sold before the Ed25519 codes; accepted during the transition) --------------


def test_hmac_code_round_trips_to_ticket_id_and_secret(ticket, django_assert_num_queries):
    code = hmac_ticket_code(ticket)
    with django_assert_num_queries(0):
        assert parse_ticket_code(code) == TicketCode(4711, SECRET)


def test_hmac_code_is_compact_and_url_safe(ticket):
    code = hmac_ticket_code(ticket)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", code)
    assert len(code) <= 80


def test_hmac_codes_are_refused_once_the_transition_is_over(settings, ticket):
    settings.TICKET_CODES_ACCEPT_HMAC = False
    assert refused(hmac_ticket_code(ticket)) == (400, "invalid_ticket_code")
    assert parse_ticket_code(ticket_code(ticket)).ticket_id == 4711


def tampered_codes() -> dict[str, object]:
    code = genuine(4711, SECRET)
    ticket_id, secret, signature = code.split(SEPARATOR)
    return {
        "other id": SEPARATOR.join(["4712", secret, signature]),
        "other secret": SEPARATOR.join([ticket_id, "q3Jx-9_kLmN0pQrT", signature]),
        "truncated signature": code[:-1],
        "no signature": f"{ticket_id}{SEPARATOR}{secret}",
        "other key": genuine(4711, SECRET, key="not-the-site-key"),
        "other salt": genuine(4711, SECRET, salt="marquee.password-reset"),
        "signed but no secret": genuine(4711, ""),
        "signed but id zero": genuine(0, "abc"),
        "signed but id too big": genuine(2**63, "abc"),
        "signed but id not a number": genuine("abc", "def"),
        "signed but unicode digits": genuine("\u0664\u0667", "abc"),
        "empty": "",
        "blank": "   ",
        "garbage": "hello world",
        "oversized": "1." + "a" * 10_000,
        "non-ascii": "4711.\u00e9\u00e9.\u2603",
        "nul": "4711.\x00.x",
        "none": None,
        "number": 4711,
        "bytes": code.encode(),
        "list": [code],
    }


@pytest.mark.parametrize("name", list(tampered_codes()))
def test_forged_or_garbled_code_is_rejected_without_queries(name, django_assert_num_queries):
    code = tampered_codes()[name]
    with django_assert_num_queries(0):
        assert refused(code) == (400, "invalid_ticket_code")


OLD_KEY = "the-ticket-key-before-the-rotation-" + "a" * 30
NEW_KEY = "the-ticket-key-after-the-rotation-" + "b" * 30


def test_hmac_codes_are_signed_with_the_ticket_key(settings, ticket):
    settings.TICKET_SIGNING_KEY = OLD_KEY
    code = hmac_ticket_code(ticket)

    assert code == genuine(4711, SECRET, key=OLD_KEY)
    settings.SECRET_KEY = "another-site-secret-key-" + "c" * 40  # the site key is not used
    assert parse_ticket_code(code).ticket_id == 4711


def test_hmac_codes_issued_before_a_key_rotation_still_verify_after_it(settings, ticket):
    settings.TICKET_SIGNING_KEY = OLD_KEY
    old_code = hmac_ticket_code(ticket)

    settings.TICKET_SIGNING_KEY, settings.TICKET_SIGNING_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]

    assert parse_ticket_code(old_code) == TicketCode(4711, SECRET)
    assert hmac_ticket_code(ticket) == genuine(4711, SECRET, key=NEW_KEY)


def test_hmac_codes_of_a_key_no_longer_listed_as_fallback_are_refused(settings, ticket):
    settings.TICKET_SIGNING_KEY = OLD_KEY
    old_code = hmac_ticket_code(ticket)

    settings.TICKET_SIGNING_KEY, settings.TICKET_SIGNING_KEY_FALLBACKS = NEW_KEY, []

    assert refused(old_code) == (400, "invalid_ticket_code")
