"""The load client of `make bench`: asyncio, HTTP/1.1 keep-alive, one process per scenario.

`python bench/load.py SPEC.json` runs the scenario described in SPEC.json (written by
bench/run.py) against 127.0.0.1 only and prints one JSON object: per request kind the count,
throughput, latency percentiles and statuses, plus the CPU this process used, so the report can
show that the client was not the bottleneck.

The HTTP client is a small asyncio.Protocol (no third-party HTTP stack) so that it costs as
little CPU per request as Python allows; uvloop and orjson are used when installed (the
`bench` extra).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import resource
import sys
import time
from array import array
from collections import Counter

try:
    import orjson

    loads, dumps = orjson.loads, orjson.dumps
except ImportError:  # pragma: no cover - the bench extra installs orjson
    loads = json.loads

    def dumps(value) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode()


try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

REQUEST_TIMEOUT = 30.0  # seconds; a request slower than this counts as an error, not a hang
CONNECTION_ERROR = 0  # the "status" recorded when a connection fails or times out


# --- A minimal HTTP/1.1 client -------------------------------------------------------------


class _Protocol(asyncio.Protocol):
    """One keep-alive connection; parses Content-Length and chunked responses.

    A caller that does not need the body (`keep_body` False) gets b"": a Content-Length body
    is then counted off as it arrives instead of copied, so a 55 KB seat map costs the client
    no more than it must, and the client's CPU does not eat into the server's share of the
    cores more for big answers than for small ones."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.closed = False
        self.server_closes = False
        self.keep_body = True
        self._head: tuple[int, int | None, bool, bool, int] | None = None
        self._discarding = 0  # body bytes still to come and to be dropped

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            if len(data) < self._discarding:
                self._discarding -= len(data)
                return
            data, self._discarding = data[self._discarding :], 0
            self._finish(self._head[0], b"", self._head[3])
            if not data:
                return
        self.buffer += data
        if self.waiter is not None and not self.waiter.done():
            self._complete(eof=False)

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self._complete(eof=True)
            if not self.waiter.done():
                self.waiter.set_exception(ConnectionError("connection closed mid-response"))

    def _parse_head(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, chunked, close = None, False, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif name == "connection":
                close = value.strip().lower() == "close"
        self._head = (status, length, chunked, close, end + 4)
        return True

    def _complete(self, *, eof: bool) -> None:
        if self._head is None and not self._parse_head():
            return
        status, length, chunked, close, start = self._head
        buffer = self.buffer
        if chunked:
            body, position = bytearray(), start
            while True:
                line_end = buffer.find(b"\r\n", position)
                if line_end < 0:
                    return
                size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
                chunk_start = line_end + 2
                if len(buffer) < chunk_start + size + 2:
                    return
                if size == 0:
                    trailer_end = buffer.find(b"\r\n", chunk_start)
                    if trailer_end < 0:
                        return
                    consumed = trailer_end + 2
                    break
                body += buffer[chunk_start : chunk_start + size]
                position = chunk_start + size + 2
            body = bytes(body)
        elif length is not None:
            if not self.keep_body and len(buffer) - start < length:
                self._discarding = length - (len(buffer) - start)
                del buffer[:]
                return
            if len(buffer) - start < length:
                return
            consumed = start + length
            body = bytes(buffer[start:consumed])
        else:  # delimited by the end of the connection
            if not eof:
                return
            consumed, body, close = len(buffer), bytes(buffer[start:]), True
        del buffer[:consumed]
        self._finish(status, body if self.keep_body else b"", close)

    def _finish(self, status: int, body: bytes, close: bool) -> None:
        self._head = None
        self.server_closes = close
        self.waiter.set_result((status, body))


class Connection:
    """A client connection that reconnects when the server closes it (sync workers do)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.protocol: _Protocol | None = None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        _, self.protocol = await loop.create_connection(_Protocol, self.host, self.port)

    def close(self) -> None:
        if self.protocol is not None and self.protocol.transport is not None:
            self.protocol.transport.close()
        self.protocol = None

    async def request(self, raw: bytes, *, keep_body: bool = True) -> tuple[int, bytes, float]:
        """Send one request; (status, body, seconds). Connect time counts in the latency."""
        started = time.perf_counter()
        try:
            if self.protocol is None or self.protocol.closed or self.protocol.server_closes:
                self.close()
                await self.open()
            protocol = self.protocol
            protocol.waiter = asyncio.get_running_loop().create_future()
            protocol.keep_body = keep_body
            protocol.transport.write(raw)
            status, body = await protocol.waiter
        except (OSError, ConnectionError):
            self.close()
            return CONNECTION_ERROR, b"", time.perf_counter() - started
        return status, body, time.perf_counter() - started


def build_request(
    method: str, path: str, host: str, headers: list[str] = (), body: bytes | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept: application/json", *headers]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


# --- Measurements --------------------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.latencies = array("d")
        self.statuses: Counter[int] = Counter()

    def add(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] += 1

    def merge(self, other: Stats) -> None:
        self.latencies.extend(other.latencies)
        self.statuses.update(other.statuses)

    def summary(self, wall: float) -> dict:
        ordered = sorted(self.latencies)

        def percentile(p: float) -> float | None:
            if not ordered:
                return None
            rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
            return round(ordered[rank] * 1000, 2)

        return {
            "count": len(ordered),
            "per_second": round(len(ordered) / wall, 1) if wall > 0 else 0.0,
            "p50_ms": percentile(50),
            "p95_ms": percentile(95),
            "p99_ms": percentile(99),
            "max_ms": round(ordered[-1] * 1000, 2) if ordered else None,
            "statuses": {str(code): n for code, n in sorted(self.statuses.items())},
        }


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- Scenarios -----------------------------------------------------------------------------


async def _connect_all(spec: dict, count: int) -> list[Connection]:
    connections = [Connection(spec["host"], spec["port"]) for _ in range(count)]
    # Open in batches: a burst of hundreds of SYNs at once only measures the accept queue.
    for start in range(0, count, 50):
        await asyncio.gather(*(c.open() for c in connections[start : start + 50]))
    return connections


async def fixed(spec: dict) -> dict:
    """`connections` clients each GET `paths` in turn for `duration` seconds."""
    host = f"{spec['host']}:{spec['port']}"
    connections = await _connect_all(spec, spec["connections"])
    stats = Stats()
    deadline = time.perf_counter() + spec["duration"]

    async def client(index: int, connection: Connection) -> None:
        headers = list(spec.get("headers", []))
        if spec.get("distinct_clients"):
            # Each connection plays a different viewer (own throttle key), as on the internet.
            headers.append(f"X-Forwarded-For: 127.1.{index // 250}.{index % 250 + 1}")
        requests = [build_request("GET", path, host, headers) for path in spec["paths"]]
        turn = index
        while time.perf_counter() < deadline:
            status, _, seconds = await connection.request(
                requests[turn % len(requests)], keep_body=False
            )
            stats.add(status, seconds)
            turn += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i, c) for i, c in enumerate(connections)))
    wall = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return {"requests": stats.summary(wall), "wall_seconds": round(wall, 3)}


async def _rush_once(spec: dict, showtime_id: int, seed: int) -> dict:
    """Every buyer is released at once; each reads the seat map, picks 1-4 free seats at
    random and holds them, re-reading the map after each 409 until it has seats or the hall
    is sold out (at most `max_attempts` holds each)."""
    host = f"{spec['host']}:{spec['port']}"
    tokens = spec["tokens"]
    connections = await _connect_all(spec, len(tokens))
    seat_map = Stats()
    holds = Stats()
    outcomes: Counter[str] = Counter()
    seats_won = 0
    release = asyncio.Event()
    seat_map_path = spec["seat_map_path"].format(showtime_id)

    async def buyer(index: int, connection: Connection, token: str) -> None:
        nonlocal seats_won
        rng = random.Random(seed * 100_003 + index)
        auth = f"Authorization: Bearer {token}"
        read = build_request("GET", seat_map_path, host, [auth])
        await release.wait()
        for _ in range(spec["max_attempts"]):
            status, body, seconds = await connection.request(read)
            seat_map.add(status, seconds)
            if status != 200:
                outcomes["seat_map_failed"] += 1
                return
            free = [seat["id"] for seat in loads(body)["seats"] if seat["status"] == "available"]
            if not free:
                outcomes["sold_out"] += 1
                return
            wanted = rng.sample(free, min(rng.randint(1, 4), len(free)))
            payload = dumps({"showtime": showtime_id, "seats": wanted})
            status, _, seconds = await connection.request(
                build_request("POST", "/api/bookings/", host, [auth], payload)
            )
            holds.add(status, seconds)
            if status == 201:
                outcomes["held"] += 1
                seats_won += len(wanted)
                return
            if status != 409:
                outcomes["failed"] += 1
                return
        outcomes["gave_up"] += 1

    tasks = [
        asyncio.create_task(buyer(i, c, t))
        for i, (c, t) in enumerate(zip(connections, tokens, strict=True))
    ]
    await asyncio.sleep(0.05)  # every buyer is parked on the release
    started = time.perf_counter()
    release.set()
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return {
        "showtime": showtime_id,
        "wall_seconds": wall,
        "seat_map": seat_map,
        "holds": holds,
        "outcomes": outcomes,
        "seats_won": seats_won,
    }


async def rush(spec: dict) -> dict:
    """One rush per showtime in `showtimes`; with `for_seconds`, start no new rush after that."""
    seat_map, holds, outcomes = Stats(), Stats(), Counter()
    rushes, wall = [], 0.0
    started = time.perf_counter()
    for number, showtime_id in enumerate(spec["showtimes"]):
        if spec.get("for_seconds") and time.perf_counter() - started >= spec["for_seconds"]:
            break
        result = await _rush_once(spec, showtime_id, seed=spec.get("seed", 1) + number)
        wall += result["wall_seconds"]
        seat_map.merge(result["seat_map"])
        holds.merge(result["holds"])
        outcomes.update(result["outcomes"])
        rushes.append(
            {
                "showtime": showtime_id,
                "wall_seconds": round(result["wall_seconds"], 3),
                "held": result["outcomes"]["held"],
                "seats_won": result["seats_won"],
            }
        )
    return {
        "rushes": rushes,
        "wall_seconds": round(wall, 3),
        "holds_created": outcomes["held"],
        "holds_per_second": round(outcomes["held"] / wall, 1) if wall else 0.0,
        "seat_map": seat_map.summary(wall),
        "holds": holds.summary(wall),
        "outcomes": dict(outcomes),
    }


async def storm(spec: dict) -> dict:
    """`len(tokens)` buyers ask for the same seat at the same instant."""
    host = f"{spec['host']}:{spec['port']}"
    connections = await _connect_all(spec, len(spec["tokens"]))
    stats = Stats()
    release = asyncio.Event()
    payload = dumps({"showtime": spec["showtime"], "seats": [spec["seat"]]})

    async def buyer(connection: Connection, token: str) -> None:
        request = build_request(
            "POST", "/api/bookings/", host, [f"Authorization: Bearer {token}"], payload
        )
        await release.wait()
        status, _, seconds = await connection.request(request)
        stats.add(status, seconds)

    tasks = [
        asyncio.create_task(buyer(c, t)) for c, t in zip(connections, spec["tokens"], strict=True)
    ]
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    release.set()
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return {
        "holds": stats.summary(wall),
        "wall_seconds": round(wall, 3),
        "showtime": spec["showtime"],
    }


async def holds(spec: dict) -> dict:
    """Sustained holds of fresh seats (no contention): what one hold costs the server."""
    host = f"{spec['host']}:{spec['port']}"
    connections = await _connect_all(spec, spec["connections"])
    size = spec["seats_per_hold"]
    seat_ids = spec["seat_ids"]
    slots = iter(
        (showtime_id, seat_ids[start : start + size])
        for showtime_id in spec["showtimes"]
        for start in range(0, len(seat_ids) - size + 1, size)
    )
    stats = Stats()
    deadline = time.perf_counter() + spec["duration"]
    # Each hold by the next buyer in turn: a buyer holds a few seats at a time, as under the
    # hold limits in real life, so counting a buyer's held seats stays as cheap as it is there.
    buyers = itertools.cycle(spec["tokens"])

    async def client(connection: Connection) -> None:
        while time.perf_counter() < deadline:
            slot = next(slots, None)
            if slot is None:
                return
            auth = f"Authorization: Bearer {next(buyers)}"
            payload = dumps({"showtime": slot[0], "seats": slot[1]})
            status, _, seconds = await connection.request(
                build_request("POST", "/api/bookings/", host, [auth], payload)
            )
            stats.add(status, seconds)

    started = time.perf_counter()
    await asyncio.gather(*(client(connection) for connection in connections))
    wall = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return {"holds": stats.summary(wall), "wall_seconds": round(wall, 3)}


SCENARIOS = {"fixed": fixed, "rush": rush, "storm": storm, "holds": holds}


async def _run(spec: dict) -> dict:
    # Every scenario is bounded in time; this is the backstop should the server hang.
    return await asyncio.wait_for(SCENARIOS[spec["kind"]](spec), spec.get("timeout", 300))


def main() -> None:
    with open(sys.argv[1]) as spec_file:
        spec = json.load(spec_file)
    if spec["host"] not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("bench/load.py only ever targets this machine (127.0.0.1)")
    cpu_before, wall_before = cpu_seconds(), time.perf_counter()
    result = (uvloop.run if uvloop is not None else asyncio.run)(_run(spec))
    cpu, wall = cpu_seconds() - cpu_before, time.perf_counter() - wall_before
    result["client"] = {
        "cpu_seconds": round(cpu, 3),
        "process_wall_seconds": round(wall, 3),
        "uvloop": uvloop is not None,
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
