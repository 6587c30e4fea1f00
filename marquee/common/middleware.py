import re
import uuid

from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from marquee.common import request_context, shared_reads
from marquee.common.client_address import client_ip

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Accept a caller's id only if it is short and plain: it ends up in every log line.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    """Give every request an id (the caller's X-Request-ID, or a new one) for logs and the
    response, work out the client's address once (`request.client_ip`, for the throttles,
    the login lockout and the logs), pin writing requests to the primary database, and give
    the request its own record of what it read from the shared cache (`shared_reads`)."""

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
        request.client_ip = client_ip(request)
        tokens.append(request_context.client_ip.set(request.client_ip))
        reads = shared_reads.begin()
        try:
            response = self.get_response(request)
        finally:
            shared_reads.end(reads)
            for var, token in zip(
                (
                    request_context.request_id,
                    request_context.user_id,
                    request_context.use_primary,
                    request_context.client_ip,
                ),
                tokens,
                strict=True,
            ):
                var.reset(token)
        response["X-Request-ID"] = rid
        return response


class HealthProbeMiddleware:
    """Answer /healthz and /readyz before anything validates the Host header.

    Probes (Docker's HEALTHCHECK, Kubernetes, a load balancer) address a process by its IP or
    127.0.0.1, a host that production's ALLOWED_HOSTS rightly leaves out: through the rest of
    the stack they would get 400 and mark a healthy process unhealthy. Only these two paths
    skip host validation; every other URL is checked as before."""

    def __init__(self, get_response):
        self.get_response = get_response
        from marquee.common import health

        self.probes = {"/healthz": health.healthz, "/readyz": health.readyz}

    def __call__(self, request):
        probe = self.probes.get(request.path_info)
        if probe is not None and request.method in {"GET", "HEAD"}:
            return probe(request)
        return self.get_response(request)


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
