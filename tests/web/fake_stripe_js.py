"""A stand-in for Stripe.js and Stripe's side of a payment, for the browser test of the Stripe
checkout: an HTTP server on a free loopback port serving a fake `Stripe()` (STRIPE_JS_URL
points at it) and a `/confirm` endpoint. Confirming "charges" the Payment Intent Marquee created
through the fake Stripe API (tests/payments/stripe_fake.py) by posting the signed
`payment_intent.succeeded` webhook to Marquee, as Stripe does, then the page is sent to its
`return_url`. A declining test card answers an error and sends nothing."""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.payments.stripe_fake import FakeStripe, intent_event, sign

STRIPE_JS = """
(function () {
  "use strict";
  var ORIGIN = %(origin)s;
  window.Stripe = function (publishableKey) {
    if (!publishableKey) { throw new Error("Stripe(): no publishable key"); }
    var card = null;
    return {
      elements: function (options) {
        return {
          create: function () {
            return {
              mount: function (selector) {
                var label = document.createElement("label");
                label.textContent = "Card number";
                label.setAttribute("for", "fake-stripe-card");
                card = document.createElement("input");
                card.id = "fake-stripe-card";
                card.setAttribute("autocomplete", "cc-number");
                document.querySelector(selector).append(label, card);
                card.dataset.clientSecret = options.clientSecret;
              },
            };
          },
        };
      },
      confirmPayment: function (params) {
        return fetch(ORIGIN + "/confirm", {
          method: "POST",
          headers: { "Content-Type": "text/plain" },
          body: JSON.stringify({ client_secret: card.dataset.clientSecret, card: card.value }),
        }).then(function (response) { return response.json(); }).then(function (result) {
          if (result.error) { return { error: result.error }; }
          window.location.assign(params.confirmParams.return_url);
          return {};
        });
      },
    };
  };
})();
"""


class FakeStripeJs:
    def __init__(self, *, api: FakeStripe, webhook_url: str, webhook_secret: str) -> None:
        self.api, self.webhook_url, self.webhook_secret = api, webhook_url, webhook_secret
        self.webhooks: list[int] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def js_url(self) -> str:
        return f"{self.origin}/v3/"

    def start(self) -> FakeStripeJs:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _intent(self, intent_id: str) -> dict:
        if intent_id in self.api.intents:  # as the fake API keeps it: amount, status
            return self.api.intents[intent_id]
        for body, status, _ in self.api._idempotent.values():
            answer = json.loads(body)
            if status == 200 and answer.get("id") == intent_id:
                return answer
        raise LookupError(intent_id)

    def confirm(self, client_secret: str, card: str) -> dict:
        if card.replace(" ", "") == "4000000000000002":
            return {"error": {"type": "card_error", "message": "Your card was declined."}}
        intent = self._intent(client_secret.split("_secret_")[0])
        if intent.get("status") == "canceled":
            message = "This PaymentIntent's status is canceled; it cannot be confirmed."
            return {"error": {"type": "invalid_request_error", "message": message}}
        intent["status"] = "succeeded"
        payload = json.dumps(
            intent_event(intent["id"], amount=intent["amount"], currency=intent["currency"])
        )
        request = urllib.request.Request(
            self.webhook_url,
            data=payload.encode(),
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": sign(payload, self.webhook_secret),
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            self.webhooks.append(response.status)
        return {"paymentIntent": {"id": intent["id"], "status": "succeeded"}}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                script = STRIPE_JS % {"origin": json.dumps(fake.origin)}
                self._send(200, script.encode(), "application/javascript")

            def do_POST(self):
                data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                result = fake.confirm(data["client_secret"], data["card"])
                self._send(200, json.dumps(result).encode(), "application/json")

        return Handler
