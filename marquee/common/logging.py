import logging

from marquee.common import request_context


class RequestContextFilter(logging.Filter):
    """Stamp every log record with the request id, the authenticated user's id and the
    client's address (behind TRUSTED_PROXY_COUNT proxies: the one they saw)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_context.request_id.get()
        record.user_id = request_context.user_id.get()
        record.client_ip = request_context.client_ip.get()
        return True
