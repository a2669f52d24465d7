"""A small HTTP/1.1 load generator: N keep-alive connections, each sending GET after GET.

Plain asyncio streams, no third-party client: per request it writes one prepared request
and parses only the status line, `Content-Length` and `Connection`, so the client spends
as little of the machine's CPU as it can (it shares the cores with the server it drives).
A connection the server closes (a worker without keep-alive, a restart) is reopened and
the request retried on the new one.

    python bench/loadgen.py URL [--header 'Name: value'] [--connections 32] [--seconds 15]

prints one JSON object: requests (2xx answers), errors (other answers and failures),
seconds, rps (2xx per second), p50_ms / p95_ms / p99_ms (latency of the 2xx answers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    reconnects: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, server keeps the connection open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    keep = not lines[0].startswith(b"HTTP/1.0")
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            keep = value.strip().lower() != b"close"
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, keep


async def _connection(
    host: str, port: int, request: bytes, deadline: float, tally: Tally, warmup_until: float
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            started = time.perf_counter()
            writer.write(request)
            status, keep = await _read_response(reader)
            finished = time.perf_counter()
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            if writer is not None:
                writer.close()
            reader = writer = None
            tally.reconnects += 1
            continue
        if started >= warmup_until:
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                tally.ok += 1
                tally.latencies.append((finished - started) * 1000)
            else:
                tally.errors += 1
        if not keep:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def run(
    url: str, headers: list[str], connections: int, seconds: float, warmup: float
) -> dict[str, object]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: keep-alive"]
    request = ("\r\n".join([*lines, *headers]) + "\r\n\r\n").encode()
    tally = Tally()
    start = time.perf_counter()
    warmup_until = start + warmup
    deadline = warmup_until + seconds
    await asyncio.gather(
        *(
            _connection(host, port, request, deadline, tally, warmup_until)
            for _ in range(connections)
        )
    )
    elapsed = time.perf_counter() - warmup_until
    cuts = (
        statistics.quantiles(tally.latencies, n=100, method="inclusive")
        if len(tally.latencies) > 1
        else [0.0] * 99
    )
    return {
        "url": url,
        "connections": connections,
        "seconds": round(elapsed, 2),
        "requests": tally.ok,
        "errors": tally.errors,
        "reconnects": tally.reconnects,
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "rps": round(tally.ok / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=2.0, help="Seconds not counted first.")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.url, args.header, args.connections, args.seconds, args.warmup))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
