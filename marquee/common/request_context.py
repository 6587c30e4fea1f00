"""What the current request is, for logs and the database router (per thread or task)."""

from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="-")
user_id: ContextVar[int | None] = ContextVar("user_id", default=None)
# The client's address as the throttles see it (marquee.common.client_address).
client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)
# Set for requests that write: every query of such a request goes to the primary database.
use_primary: ContextVar[bool] = ContextVar("use_primary", default=False)
