"""Payment providers behind one interface, chosen by settings.PAYMENT_PROVIDER.

`simulated` needs no network and behaves like Stripe's documented test cards; `stripe` uses
Payment Intents through the official library. Tests install a fake HTTP client under the real
`stripe` library (`set_stripe_http_client`), so every request is built by Stripe's own code.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

from marquee.common import money
from marquee.common.parsers import strict_json_loads
from marquee.payments.models import Provider

# Where Stripe's API counts a currency differently from its ISO 4217 minor unit (Stripe's
# "Supported currencies" page): ISK stays two-decimal in the API for backwards compatibility
# (amounts in multiples of 100), and Stripe counts MGA in whole ariary. Everywhere else the
# ISO exponent is Stripe's (JPY 1531 -> 1531, EUR 12.50 -> 1250, KWD 3.250 -> 3250), and
# amounts in a three-decimal currency must end in 0 there.
STRIPE_EXPONENTS = {"ISK": 2, "MGA": 0}


STRIPE_THREE_DECIMAL_UNIT = Decimal("0.010")  # amounts in whole hundredths: 3.250, never 3.255


def amount_unit(provider: str, currency: str) -> Decimal | None:
    """The unit every amount this provider charges or refunds in `currency` is a multiple of,
    where that is coarser than the currency's minor unit (None otherwise)."""
    if provider == Provider.STRIPE and money.currency_exponent(currency.upper()) == 3:
        return STRIPE_THREE_DECIMAL_UNIT
    return None


class ProviderError(Exception):
    """The provider could not be reached or refused the call; the caller may retry."""


class AmountNotChargeable(ProviderError):
    """The provider cannot take this amount in this currency (no call was made)."""


class IntentNotCancellable(ProviderError):
    """The Payment Intent is being paid or was paid: it can no longer be cancelled."""


def to_minor_units(amount: Decimal, currency: str) -> int:
    """The integer amount Stripe expects: the ISO 4217 minor units, but for Stripe's own
    exceptions. An amount with more decimals than that cannot be charged exactly: ValueError."""
    code = currency.upper()
    minor = money.to_minor_units(amount, code, exponent=STRIPE_EXPONENTS.get(code))
    if money.currency_exponent(code) == 3 and minor % 10:
        raise ValueError(f"Stripe takes {code} amounts in whole hundredths, not {amount}")
    return minor


def _stripe_amount(amount: Decimal, currency: str) -> int:
    try:
        return to_minor_units(amount, currency)
    except ValueError as error:  # an amount Stripe cannot take: no call is made
        raise AmountNotChargeable(str(error)) from error


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    reference: str
    decline_code: str = ""
    message: str = ""


@dataclass(frozen=True)
class IntentResult:
    reference: str
    client_secret: str


# Stripe's documented test cards that decline, and why.
DECLINING_TEST_CARDS = {
    "4000000000000002": ("generic_decline", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000009987": ("lost_card", "Your card was declined."),
    "4000000000009979": ("stolen_card", "Your card was declined."),
    "4000000000000069": ("expired_card", "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", "Your card's security code is incorrect."),
    "4000000000000119": ("processing_error", "An error occurred while processing your card."),
    "4100000000000019": ("fraudulent", "Your card was declined."),
}


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, digit in enumerate(int(d) for d in reversed(number)):
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


class SimulatedProvider:
    """Charges at once: Stripe's declining test cards decline, any other valid number pays."""

    name = Provider.SIMULATED
    confirms_synchronously = True

    def charge(self, *, amount: Decimal, currency: str, card_number: str) -> ChargeResult:
        reference = f"sim_{uuid.uuid4().hex}"
        if card_number in DECLINING_TEST_CARDS:
            code, message = DECLINING_TEST_CARDS[card_number]
            return ChargeResult(False, reference, code, message)
        return ChargeResult(True, reference)

    def refund(self, *, payment_reference: str, amount: Decimal, currency: str, key: str) -> str:
        return f"simre_{uuid.uuid4().hex}"


class InPersonProvider:
    """Money taken at a box-office till: notes in the drawer, or the card terminal's approval.

    Nothing to call: the cashier has the money when the sale is recorded, so a charge always
    succeeds, and a refund is money handed back over the counter (its reference is ours)."""

    confirms_synchronously = True

    def __init__(self, name: str) -> None:
        self.name = name

    def charge(self, *, amount: Decimal, currency: str, card_number: str = "") -> ChargeResult:
        return ChargeResult(True, f"{self.name}_{uuid.uuid4().hex}")

    def refund(self, *, payment_reference: str, amount: Decimal, currency: str, key: str) -> str:
        return f"{self.name}_refund_{uuid.uuid4().hex}"


_stripe_http_client = None  # a stripe HTTPClient subclass, or None for the default


def set_stripe_http_client(client) -> None:
    """Install the HTTP client the Stripe library sends through (tests install a fake)."""
    global _stripe_http_client
    _stripe_http_client = client


class StripeProvider:
    """Payment Intents: `pay` hands the client a secret, the webhook confirms the booking."""

    name = Provider.STRIPE
    confirms_synchronously = False

    def __init__(self) -> None:
        options = {}
        if _stripe_http_client is not None:
            options["http_client"] = _stripe_http_client
        if settings.STRIPE_API_BASE:
            # Another server speaking Stripe's API (a local stripe-mock, a test double).
            options["base_addresses"] = {"api": settings.STRIPE_API_BASE.rstrip("/")}
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY or "sk_test_unset", max_network_retries=2, **options
        )

    def create_intent(
        self, *, amount: Decimal, currency: str, booking_public_id: str, key: str
    ) -> IntentResult:
        minor = _stripe_amount(amount, currency)
        try:
            intent = self.client.v1.payment_intents.create(
                params={
                    "amount": minor,
                    "currency": currency.lower(),
                    "metadata": {"booking_id": booking_public_id},
                    "automatic_payment_methods": {"enabled": True},
                },
                options={"idempotency_key": key},
            )
        except stripe.StripeError as error:
            raise ProviderError(str(error.user_message or error)) from error
        return IntentResult(reference=intent.id, client_secret=intent.client_secret or "")

    def cancel_intent(self, *, payment_reference: str) -> None:
        """Cancel an intent nobody has paid yet, so that it can never be charged (already
        cancelled is fine). IntentNotCancellable when it is processing or paid."""
        try:
            self.client.v1.payment_intents.cancel(payment_reference)
        except stripe.InvalidRequestError as error:
            if error.code == "payment_intent_unexpected_state":
                intent = (error.json_body or {}).get("error", {}).get("payment_intent") or {}
                if intent.get("status") == "canceled":
                    return
                raise IntentNotCancellable(str(error.user_message or error)) from error
            raise ProviderError(str(error.user_message or error)) from error
        except stripe.StripeError as error:
            raise ProviderError(str(error.user_message or error)) from error

    def refund(self, *, payment_reference: str, amount: Decimal, currency: str, key: str) -> str:
        minor = _stripe_amount(amount, currency)
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": payment_reference,
                    "amount": minor,
                },
                options={"idempotency_key": key},
            )
        except stripe.StripeError as error:
            raise ProviderError(str(error.user_message or error)) from error
        return refund.id

    @staticmethod
    def verify_webhook(*, payload: bytes, signature: str) -> Any:
        """The signed body's JSON, read by the API's own strict rules (no NUL, no lone
        surrogate, bounded depth: it is stored as jsonb). Raises
        stripe.SignatureVerificationError for a bad signature, ValueError for a bad body.

        The timestamp must be within the tolerance on either side of our clock: the library
        refuses old ones only, and a signature dated ahead would stay replayable for as long.
        """
        if not signature.isascii():
            # The library would compare it with hmac.compare_digest, which raises TypeError.
            raise stripe.SignatureVerificationError("Not a Stripe signature.", signature, payload)
        tolerance = settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
        stripe.WebhookSignature.verify_header(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=tolerance
        )
        timestamp = _signature_timestamp(signature)
        if tolerance and timestamp > time.time() + tolerance:
            raise stripe.SignatureVerificationError(
                f"Timestamp in the future, outside the tolerance zone ({timestamp})",
                signature,
                payload,
            )
        return strict_json_loads(payload)


def _signature_timestamp(header: str) -> int:
    """The `t=` of a Stripe-Signature header the library has already parsed and verified."""
    for item in header.split(","):
        parts = item.split("=", 2)  # as the library splits it
        if parts[0] == "t" and len(parts) > 1:
            return int(parts[1])
    raise stripe.SignatureVerificationError("No timestamp in the header", header)


def get_provider(name: str | None = None):
    name = name or settings.PAYMENT_PROVIDER
    if name == Provider.STRIPE:
        return StripeProvider()
    if name == Provider.SIMULATED:
        return SimulatedProvider()
    if name in (Provider.CASH, Provider.CARD_PRESENT):
        return InPersonProvider(name)
    raise ValueError(f"Unknown payment provider {name!r}")
