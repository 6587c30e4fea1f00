import logging

from marquee.common import request_context


class RequestContextFilter(logging.Filter):
    """Stamp every log record with the request id and the authenticated user's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_context.request_id.get()
        record.user_id = request_context.user_id.get()
        return True
