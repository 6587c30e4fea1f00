"""The viewers of `make bench`'s live scenario: many Server-Sent Events streams of one showtime.

`python bench/live.py SPEC.json` opens `viewers` streams to the live server (in batches, as
pages open), prints `ready <open streams>` once every stream has its first bytes, records the
arrival time (wall clock, `time.time()`) of every `seats` event on every stream, and on a line
`stop` on its standard input closes them and prints one JSON object: per version the arrival
times on each stream, the seats of each version (from one stream), the streams refused by
status, and the CPU this process used.

Each stream is read with a plain asyncio stream and only its `id:` lines are parsed, so that
2,000 streams cost the client as little CPU as they can: this process shares the cores with the
server it measures.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections import Counter, defaultdict

try:
    import uvloop
except ImportError:  # pragma: no cover - the bench extra installs it
    uvloop = None


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Viewer:
    def __init__(self, index: int, keep_data: bool) -> None:
        self.index, self.keep_data = index, keep_data
        self.arrivals: list[tuple[int, float]] = []
        self.seats: dict[int, list[int]] = {}
        self.status: int | None = None
        self.ready = asyncio.Event()
        self.writer: asyncio.StreamWriter | None = None

    async def run(self, host: str, port: int, path: str) -> None:
        try:
            reader, self.writer = await asyncio.open_connection(host, port)
            self.writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Accept: text/event-stream\r\nX-Forwarded-For: 10.9.{self.index // 250}."
                f"{self.index % 250}\r\n\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            self.status = int(head.split(b" ", 2)[1])
            if self.status != 200:
                return
            buffer = b""
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                now = time.time()
                self.ready.set()
                buffer += chunk
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    self._event(block, now)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            if self.status is None:
                self.status = 0
        finally:
            self.ready.set()

    def _event(self, block: bytes, now: float) -> None:
        # Chunked transfer framing lines (sizes) may sit between events: find the id line.
        start = block.find(b"id: ")
        if start < 0:
            return
        end = block.find(b"\n", start)
        version = int(block[start + 4 : end])
        self.arrivals.append((version, now))
        if self.keep_data:
            data = block[block.find(b"data: ") + 6 :].split(b"\r\n", 1)[0]
            seats = json.loads(data)["seats"]
            self.seats[version] = [seat["id"] for seat in seats]

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def main(spec: dict) -> dict:
    path = f"/live/showtimes/{spec['showtime']}/seats/"
    viewers = [Viewer(i, keep_data=i == 0) for i in range(spec["viewers"])]
    tasks = []
    batch = spec.get("batch", 200)
    for start in range(0, len(viewers), batch):
        for viewer in viewers[start : start + batch]:
            tasks.append(asyncio.create_task(viewer.run(spec["host"], spec["port"], path)))
        await asyncio.gather(*(v.ready.wait() for v in viewers[start : start + batch]))
    open_streams = sum(1 for v in viewers if v.status == 200)
    print(f"ready {open_streams}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for viewer in viewers:
        viewer.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    deliveries: dict[int, list[float]] = defaultdict(list)
    for viewer in viewers:
        for version, arrived in viewer.arrivals:
            deliveries[version].append(arrived)
    return {
        "viewers": len(viewers),
        "open": open_streams,
        "statuses": dict(Counter(str(v.status) for v in viewers)),
        "deliveries": {str(version): times for version, times in sorted(deliveries.items())},
        "seats": {str(version): seats for version, seats in viewers[0].seats.items()},
        "client": {"cpu_seconds": cpu_seconds()},
    }


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with open(sys.argv[1]) as spec_file:
        spec = json.load(spec_file)
    if uvloop is not None:
        uvloop.install()
    result = asyncio.run(main(spec))
    sys.stdout.write(json.dumps(result))
