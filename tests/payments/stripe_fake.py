"""A fake HTTP client under the real `stripe` library: Stripe's own code builds every request
and parses every response; only the network is replaced. It records what was sent and answers
with Stripe-shaped JSON, honouring Idempotency-Key the way Stripe does. Response header names
are lower-case, as the real clients' case-insensitive mappings present them to the library."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

from stripe._http_client import HTTPClient

THREE_DECIMAL_CURRENCIES = {"bhd", "jod", "kwd", "omr", "tnd"}


@dataclass
class SentRequest:
    method: str
    path: str
    params: dict
    headers: dict


@dataclass
class FakeStripe(HTTPClient):
    requests: list[SentRequest] = field(default_factory=list)
    refund_failures: int = 0  # answer this many refund calls with a 503 first
    intents: dict = field(default_factory=dict)  # id -> the Payment Intent as Stripe keeps it
    _idempotent: dict = field(default_factory=dict)

    name = "fake"

    def __post_init__(self):
        super().__init__()

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlparse(url).path
        params = dict(parse_qsl(post_data or "", keep_blank_values=True))
        headers = dict(headers or {})
        self.requests.append(SentRequest(method.upper(), path, params, headers))
        key = headers.get("Idempotency-Key")
        if key and (method, path, key) in self._idempotent:
            return self._idempotent[(method, path, key)]
        answer = self._answer(method.upper(), path, params)
        if key and answer[1] < 500:
            self._idempotent[(method, path, key)] = answer
        return answer

    def request_stream(self, *args, **kwargs):  # pragma: no cover - not used
        raise NotImplementedError

    def close(self):
        pass

    def calls(self, path: str) -> list[SentRequest]:
        return [r for r in self.requests if r.path == path]

    def forget_idempotency_keys(self) -> None:
        """What Stripe does after 24 hours: the same key now makes a new object."""
        self._idempotent.clear()

    @contextmanager
    def serving(self) -> Iterator[str]:
        """Serve this fake over real HTTP on a free local port; yields its base URL (what
        STRIPE_API_BASE points at), so the library's own HTTP client does the talking."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else None
                content, status, headers = fake.request(
                    self.command, f"http://{self.headers['Host']}{self.path}", self.headers, body
                )
                payload = content.encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()

    def _answer(self, method, path, params):
        if method == "POST" and path == "/v1/payment_intents":
            refused = self._refuse_amount(int(params["amount"]), params["currency"])
            if refused:
                return refused
            intent_id = f"pi_{uuid.uuid4().hex[:24]}"
            intent = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": int(params["amount"]),
                "currency": params["currency"],
                "client_secret": f"{intent_id}_secret_{uuid.uuid4().hex[:16]}",
                "status": "requires_payment_method",
                "metadata": {
                    k[len("metadata[") : -1]: v
                    for k, v in params.items()
                    if k.startswith("metadata[")
                },
            }
            self.intents[intent_id] = intent
            return self._json(intent)
        if method == "POST" and path.startswith("/v1/payment_intents/") and path.endswith(
            "/cancel"
        ):
            intent = self.intents.get(path.split("/")[3])
            if intent is None:
                return self._error(404, "resource_missing", "No such payment_intent.")
            if intent["status"] in ("succeeded", "processing", "canceled"):
                # Stripe's answer, with the intent as it is.
                message = (
                    "You cannot cancel this PaymentIntent because it has a status of "
                    f"{intent['status']}."
                )
                return self._error(
                    400, "payment_intent_unexpected_state", message, payment_intent=intent
                )
            intent["status"] = "canceled"
            return self._json(intent)
        if method == "POST" and path == "/v1/refunds":
            intent = self.intents.get(params.get("payment_intent"))
            if intent is not None and "amount" in params:
                refused = self._refuse_amount(int(params["amount"]), intent["currency"])
                if refused:
                    return refused
            if self.refund_failures > 0:
                self.refund_failures -= 1
                return (
                    json.dumps({"error": {"type": "api_error", "message": "Try again later."}}),
                    503,
                    {"stripe-should-retry": "false"},
                )
            return self._json(
                {
                    "id": f"re_{uuid.uuid4().hex[:24]}",
                    "object": "refund",
                    "amount": int(params.get("amount", 0)),
                    "payment_intent": params["payment_intent"],
                    "status": "succeeded",
                }
            )
        return (
            json.dumps({"error": {"type": "invalid_request_error", "message": "Unknown path"}}),
            404,
            {},
        )

    @staticmethod
    def _refuse_amount(amount: int, currency: str):
        """Stripe's rule for three-decimal currencies: charges and refunds end in 0."""
        if currency.lower() in THREE_DECIMAL_CURRENCIES and amount % 10:
            message = (
                f"Invalid amount: {currency.upper()} amounts must be a multiple of 10 "
                "in the smallest currency unit."
            )
            error = {"type": "invalid_request_error", "code": "amount_invalid", "param": "amount"}
            return json.dumps({"error": error | {"message": message}}), 400, {}
        return None

    @staticmethod
    def _error(status: int, code: str, message: str, **extra):
        error = {"type": "invalid_request_error", "code": code, "message": message, **extra}
        return json.dumps({"error": error}), status, {}

    @staticmethod
    def _json(body):
        return json.dumps(body), 200, {"request-id": f"req_{uuid.uuid4().hex[:12]}"}


def intent_event(
    intent_id: str,
    *,
    amount: int,
    currency: str = "eur",
    event_type: str = "payment_intent.succeeded",
    event_id: str | None = None,
    last_payment_error: dict | None = None,
) -> dict:
    intent = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if event_type == "payment_intent.succeeded" else 0,
        "currency": currency,
        "status": "succeeded"
        if event_type == "payment_intent.succeeded"
        else "requires_payment_method",
    }
    if last_payment_error:
        intent["last_payment_error"] = last_payment_error
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": event_type,
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "data": {"object": intent},
    }


def sign(payload: str, secret: str, *, timestamp: int | None = None) -> str:
    """The Stripe-Signature header exactly as Stripe computes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
