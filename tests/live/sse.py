"""An ASGI client for event streams: one request to the application, read as it streams, and
a disconnect when done (as a browser closing the page)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit


def parse_block(block: bytes) -> dict:
    """One server-sent event block as {field: value}; comment lines under ":"."""
    event: dict = {}
    for line in block.decode().split("\n"):
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "":
            event.setdefault(":", []).append(value)
        else:
            event[field] = value
    if "data" in event:
        event["json"] = json.loads(event["data"])
    return event


class Stream:
    def __init__(
        self,
        app,
        url: str,
        headers: dict[str, str] | None = None,
        *,
        method: str = "GET",
        scheme: str = "http",
        raw_query: bytes | None = None,
    ) -> None:
        self.app, self.url, self.extra = app, url, headers or {}
        self.method, self.scheme, self.raw_query = method, scheme, raw_query
        self.buffer = b""
        self.chunks: list[bytes] = []  # the body as the application sent it, message by message
        self.ended = False

    async def __aenter__(self) -> Stream:
        parts = urlsplit(self.url)
        extra = {name.lower(): value for name, value in self.extra.items()}
        headers = [(b"host", extra.pop("host", "testserver").encode())] + [
            (name.encode(), value.encode()) for name, value in extra.items()
        ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": self.method,
            "scheme": self.scheme,
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode() if self.raw_query is None else self.raw_query,
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        self.incoming: asyncio.Queue = asyncio.Queue()
        self.incoming.put_nowait({"type": "http.request", "body": b"", "more_body": False})
        self.outgoing: asyncio.Queue = asyncio.Queue()
        self.task = asyncio.create_task(self.app(scope, self.incoming.get, self.outgoing.put))
        start = await asyncio.wait_for(self.outgoing.get(), 10)
        assert start["type"] == "http.response.start", start
        self.status = start["status"]
        self.headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
        return self

    async def _more(self, timeout: float) -> None:
        message = await asyncio.wait_for(self.outgoing.get(), timeout)
        self.chunks.append(message.get("body", b""))
        self.buffer += message.get("body", b"")
        if not message.get("more_body", False):
            self.ended = True

    async def blocks(self, count: int, *, timeout: float = 5.0) -> list[dict]:
        """The next `count` blocks (events or comments); fewer if the stream ends or the
        time runs out first."""
        found: list[dict] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(found) < count:
            while b"\n\n" in self.buffer and len(found) < count:
                block, self.buffer = self.buffer.split(b"\n\n", 1)
                found.append(parse_block(block))
            if len(found) >= count or self.ended or loop.time() >= deadline:
                break
            try:
                await self._more(max(0.01, deadline - loop.time()))
            except TimeoutError:
                break
        return found

    async def events(self, count: int, *, timeout: float = 5.0) -> list[dict]:
        """The next `count` events, comments skipped."""
        found: list[dict] = []
        while len(found) < count:
            block = await self.blocks(1, timeout=timeout)
            if not block:
                break
            if "event" in block[0]:
                found.append(block[0])
        return found

    async def body(self) -> bytes:
        while not self.ended:
            await self._more(10)
        return self.buffer

    async def __aexit__(self, *exc) -> None:
        self.incoming.put_nowait({"type": "http.disconnect"})
        await asyncio.wait_for(self.task, 10)
