"""Payment providers behind one interface, chosen by settings.PAYMENT_PROVIDER.

`simulated` needs no network and behaves like Stripe's documented test cards; `stripe` uses
Payment Intents through the official library. Tests install a fake HTTP client under the real
`stripe` library (`set_stripe_http_client`), so every request is built by Stripe's own code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

from marquee.common.parsers import strict_json_loads
from marquee.payments.models import Provider

# Currencies Stripe counts in whole units (no cents).
ZERO_DECIMAL_CURRENCIES = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "JPY",
    "KMF",
    "KRW",
    "MGA",
    "PYG",
    "RWF",
    "UGX",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}


class ProviderError(Exception):
    """The provider could not be reached or refused the call; the caller may retry."""


def to_minor_units(amount: Decimal, currency: str) -> int:
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return int(amount)
    return int((amount * 100).to_integral_value())


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
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY or "sk_test_unset", max_network_retries=2, **options
        )

    def create_intent(
        self, *, amount: Decimal, currency: str, booking_public_id: str, key: str
    ) -> IntentResult:
        try:
            intent = self.client.v1.payment_intents.create(
                params={
                    "amount": to_minor_units(amount, currency),
                    "currency": currency.lower(),
                    "metadata": {"booking_id": booking_public_id},
                    "automatic_payment_methods": {"enabled": True},
                },
                options={"idempotency_key": key},
            )
        except stripe.StripeError as error:
            raise ProviderError(str(error.user_message or error)) from error
        return IntentResult(reference=intent.id, client_secret=intent.client_secret or "")

    def refund(self, *, payment_reference: str, amount: Decimal, currency: str, key: str) -> str:
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": payment_reference,
                    "amount": to_minor_units(amount, currency),
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
        stripe.SignatureVerificationError for a bad signature, ValueError for a bad body."""
        if not signature.isascii():
            # The library would compare it with hmac.compare_digest, which raises TypeError.
            raise stripe.SignatureVerificationError("Not a Stripe signature.", signature, payload)
        stripe.WebhookSignature.verify_header(
            payload,
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        )
        return strict_json_loads(payload)


def get_provider(name: str | None = None):
    name = name or settings.PAYMENT_PROVIDER
    if name == Provider.STRIPE:
        return StripeProvider()
    if name == Provider.SIMULATED:
        return SimulatedProvider()
    raise ValueError(f"Unknown payment provider {name!r}")
