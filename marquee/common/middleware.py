import re
import uuid

from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from marquee.common import request_context

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Accept a caller's id only if it is short and plain: it ends up in every log line.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    """Give every request an id (the caller's X-Request-ID, or a new one) for logs and the
    response, and pin writing requests to the primary database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        tokens = [
            request_context.request_id.set(rid),
            request_context.user_id.set(None),
            request_context.use_primary.set(request.method not in SAFE_METHODS),
        ]
        request.request_id = rid
        try:
            response = self.get_response(request)
        finally:
            for var, token in zip(
                (request_context.request_id, request_context.user_id, request_context.use_primary),
                tokens,
                strict=True,
            ):
                var.reset(token)
        response["X-Request-ID"] = rid
        return response


class PageLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware for the site's pages only.

    The API answers in English whoever asks (its error codes are the contract) and the probes
    need no language: they skip the language negotiation and the `Vary: Accept-Language`
    it adds, which would also split any HTTP cache of the public catalog by language."""

    SKIPPED_PREFIXES = ("/api/", "/healthz", "/readyz", "/bench/")

    def process_request(self, request):
        if request.path_info.startswith(self.SKIPPED_PREFIXES):
            request.skip_locale = True
            # The thread may have served a German page last: back to the default language.
            translation.deactivate()
            return None
        return super().process_request(request)

    def process_response(self, request, response):
        if getattr(request, "skip_locale", False):
            return response
        return super().process_response(request, response)
