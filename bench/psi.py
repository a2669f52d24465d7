"""Private mode: private set intersection of 100,000 × 100,000 domains, count mode.

The two roles run in two processes, as they do in reality (the host's PartnerLoop and the
partner's machine): the server builds its setup message while the client encrypts its
request, then the server answers the request and the client computes the count. The clock
starts once both processes hold their own set (reading a list is not the protocol) and
stops when the client has the count. Messages cross a pipe as bytes, the sizes they would
have on the network. Database-free; the same figure for every backend.

Each side uses `WORKERS` processes for its large steps (the client's encryption and count,
the server's answer; the setup is one process): the messages are the same as from one
process. The phases are timed inside each process too; their sum is roughly what one
process doing everything in turn takes (the baseline). Two parties sharing one machine
compete for its cores: the load average printed with the figure says how busy it was.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

SIZE = 100_000
OVERLAP = 0.5
TARGET_S = 30.0
# Processes each side may use for its large steps: a two-core machine on each side.
WORKERS = 2


def server_items(size: int = SIZE) -> list[str]:
    return [f"account{i:07d}.example.com" for i in range(size)]


def client_items(size: int = SIZE, overlap: float = OVERLAP) -> list[str]:
    start = int(size * (1 - overlap))
    return [f"account{i:07d}.example.com" for i in range(start, start + size)]


def _server_role(conn: Connection, size: int, workers: int) -> None:
    """The host's side: its own population, one setup, one answer."""
    from partnerloop.psi.engine import Mode, ServerSession

    items = server_items(size)
    conn.send_bytes(b"ready")
    client_set_size = int(conn.recv_bytes())
    started = time.perf_counter()
    session = ServerSession(Mode.COUNT, workers=workers)
    conn.send_bytes(session.setup(items, client_set_size=client_set_size))
    setup_s = time.perf_counter() - started
    request = conn.recv_bytes()
    started = time.perf_counter()
    conn.send_bytes(session.process(request, max_items=client_set_size))
    process_s = time.perf_counter() - started
    conn.send_bytes(f"{setup_s} {process_s}".encode())
    conn.close()


def _recv(conn: Connection, server: Any, timeout: float = 300) -> bytes:
    """The other process's next message; fails rather than wait for a process that died."""
    if not conn.poll(timeout):
        server.kill()
        raise RuntimeError(f"the server process sent nothing for {timeout:.0f} s")
    return conn.recv_bytes()


def run(size: int = SIZE, overlap: float = OVERLAP, workers: int = WORKERS) -> dict[str, Any]:
    """One timed run; the figures and message sizes."""
    from partnerloop.psi.engine import ClientSession, Mode

    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=_server_role, args=(theirs, size, workers))
    server.start()
    items = client_items(size, overlap)
    assert _recv(ours, server) == b"ready"

    started = time.perf_counter()
    ours.send_bytes(str(len(items)).encode())
    client = ClientSession(Mode.COUNT, items, workers=workers)
    request = client.request()
    request_s = time.perf_counter() - started
    setup = _recv(ours, server)
    ours.send_bytes(request)
    response = _recv(ours, server)
    counted = time.perf_counter()
    count = client.count(setup, response)
    count_s = time.perf_counter() - counted
    wall = time.perf_counter() - started

    setup_s, process_s = (float(v) for v in _recv(ours, server).split())
    server.join(timeout=60)
    expected = int(size * overlap)
    # fpr 1e-9: a false positive would be a bug, not bad luck.
    assert count == expected, f"count {count}, expected {expected}"
    return {
        "wall_s": wall,
        "count": count,
        "setup_s": setup_s,
        "request_s": request_s,
        "process_s": process_s,
        "count_s": count_s,
        "serial_s": setup_s + request_s + process_s + count_s,
        "setup_bytes": len(setup),
        "request_bytes": len(request),
        "response_bytes": len(response),
    }


def measure(backend: str, add: Callable[[str, float, str, float | None], None]) -> None:
    load = os.getloadavg()[0]
    r = run()
    print(
        f"   {backend} psi: {SIZE:,} × {SIZE:,} domains, {OVERLAP:.0%} overlap, count mode, "
        f"two processes: {r['wall_s']:.1f} s (setup {r['setup_s']:.1f} s ∥ request "
        f"{r['request_s']:.1f} s, answer {r['process_s']:.1f} s, count {r['count_s']:.1f} s; "
        f"{r['serial_s']:.1f} s one after the other); messages: setup "
        f"{r['setup_bytes'] / 1e6:.2f} MB, request {r['request_bytes'] / 1e6:.2f} MB, "
        f"response {r['response_bytes'] / 1e6:.2f} MB; load average before {load:.1f} on "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )
    add(f"psi_100k_count_{backend}", round(r["wall_s"], 2), "s", TARGET_S)
    add(f"psi_100k_serial_{backend}", round(r["serial_s"], 2), "s", None)
    for name in ("setup", "request", "response"):
        add(f"psi_100k_{name}_bytes_{backend}", r[f"{name}_bytes"], "bytes", None)


if __name__ == "__main__":
    figures = run()
    for key, value in figures.items():
        print(f"{key}: {value:.2f}" if isinstance(value, float) else f"{key}: {value:,}")
