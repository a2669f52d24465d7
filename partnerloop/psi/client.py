"""The client role of private mode, run on the requesting side's own machine.

`partnerloop psi --server URL --token TOKEN --partnership CODE --population KEY
[--mode count|reveal] [--output FILE] [--report] FILE.csv`

1. Reads the CSV locally (a `domain` or `website` column, or `email`; comma, semicolon or
   tab; UTF-8, UTF-8 with BOM, UTF-16 or Latin-1), normalizes each value to its
   registrable domain and drops free-mail domains, blanks and duplicates.
2. Starts a run on the server (`POST /api/v1/psi/partnerships/{code}/runs`) with the number
   of domains only, and receives the setup message built from the other side's population.
3. Encrypts the domains with a key that never leaves this process and sends them
   (`POST /api/v1/psi/runs/{run}/request`); receives the server's response.
4. Computes the count (or, in reveal mode, which of its domains are in common) locally.
   With `--report`, shares the count back for both sides' audit log.

Nothing here needs a database or Django settings: only the API and the token.
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from partnerloop.psi import engine

COLUMNS = ("domain", "website", "company domain name", "email")
TIMEOUT_S = 600


class ClientError(Exception):
    """Something the person running the command must fix; the message says what."""


@dataclass
class Result:
    run: str
    mode: str
    client_set_size: int
    server_set_size: int
    count: int
    intersection: list[str] = field(default_factory=list)


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ClientError("The file could not be decoded.")  # pragma: no cover: latin-1 never fails


def read_domains(path: Path | str) -> list[str]:
    """The distinct registrable domains of a CSV file, sorted."""
    from partnerloop.mapping.normalize import normalize_domain

    try:
        text = _decode(Path(path).read_bytes())
    except OSError as exc:
        raise ClientError(f"Cannot read {path}: {exc.strerror}.") from exc
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip().lower() for h in next(reader, [])]
    column = next((header.index(c) for c in COLUMNS if c in header), None)
    if column is None:
        raise ClientError(
            f"{path} needs a column named domain, website or email; it has: "
            f"{', '.join(header) or 'no header'}."
        )
    domains = {normalize_domain(row[column]) for row in reader if len(row) > column}
    domains.discard("")
    return sorted(domains)


class Api:
    """The few API calls of a run, over `urllib.request` with a bearer token."""

    def __init__(self, server: str, token: str) -> None:
        self.base = server.rstrip("/") + "/api/v1/psi"
        self.token = token

    def call(self, path: str, body: bytes, content_type: str = "application/json") -> Any:
        request = urllib.request.Request(
            self.base + path,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": content_type,
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ClientError(f"The server answered {exc.code}: {_detail(exc)}") from exc
        except urllib.error.URLError as exc:
            raise ClientError(f"Cannot reach {self.base}: {exc.reason}.") from exc

    def post_json(self, path: str, payload: dict[str, Any]) -> Any:
        return self.call(path, json.dumps(payload).encode())


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        detail = json.loads(exc.read()).get("detail")
    except (ValueError, AttributeError):
        return exc.reason
    if isinstance(detail, list):
        return "; ".join(str(d.get("msg", d)) for d in detail)
    return str(detail)


def run(
    *,
    server: str,
    token: str,
    partnership: str,
    population: str,
    domains: Sequence[str],
    mode: str = "count",
    report: bool = False,
    workers: int = 1,
) -> Result:
    """One private mode run against the server; the domains stay on this machine.

    The request is encrypted while the server builds its setup (the run is started from a
    thread): the two slow steps overlap."""
    session = engine.ClientSession(engine.Mode(mode), domains, workers=workers)
    api = Api(server, token)
    with ThreadPoolExecutor(max_workers=1) as pool:
        starting = pool.submit(
            api.post_json,
            f"/partnerships/{partnership}/runs",
            {"population": population, "mode": mode, "client_set_size": len(session.items)},
        )
        request = session.request()
        started = starting.result()
    setup = base64.b64decode(started["setup"])
    answered = api.call(f"/runs/{started['code']}/request", request, "application/octet-stream")
    response = base64.b64decode(answered["response"])
    common = session.intersection(setup, response) if session.mode.reveal else []
    count = len(common) if session.mode.reveal else session.count(setup, response)
    result = Result(
        run=started["code"],
        mode=mode,
        client_set_size=len(session.items),
        server_set_size=started["server_set_size"],
        count=count,
        intersection=common,
    )
    if report:
        api.post_json(f"/runs/{result.run}/result", {"count": count})
    return result


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="partnerloop psi",
        description="Compare your account list with a partner's population in private mode.",
    )
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="Your CSV, with a domain, website or email column")
    p.add_argument("--server", required=True, help="The other side's PartnerLoop, https://…")
    p.add_argument("--token", required=True, help="Your API token there (pl_…)")
    p.add_argument("--partnership", required=True, help="The partnership code")
    p.add_argument("--population", required=True, help="Their population, such as customers")
    p.add_argument("--mode", choices=["count", "reveal"], default="count")
    p.add_argument("--output", help="Reveal mode: write the common domains here, not stdout")
    p.add_argument(
        "--report", action="store_true", help="Share the count with the other side's audit log"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="Processes for encrypting large lists (default: up to 4, one per core)",
    )


def execute(options: dict[str, Any], out: TextIO, err: TextIO) -> int:
    """Run with parsed options; 0 on success, 1 with a message on `err` otherwise."""
    try:
        domains = read_domains(options["file"])
        if not domains:
            raise ClientError(f"No usable domain in {options['file']}.")
        result = run(
            server=options["server"],
            token=options["token"],
            partnership=options["partnership"],
            population=options["population"],
            domains=domains,
            mode=options["mode"],
            report=options["report"],
            workers=options.get("workers") or 1,
        )
    except (ClientError, engine.PsiError) as exc:
        err.write(f"{exc}\n")
        return 1
    err.write(
        f"Run {result.run}: your {result.client_set_size:,} domains against their "
        f"{result.server_set_size:,}; {result.count:,} in common.\n"
    )
    if result.mode == "reveal":
        lines = "".join(f"{d}\n" for d in result.intersection)
        if options.get("output"):
            Path(options["output"]).write_text(lines, encoding="utf-8")
            err.write(f"Wrote {len(result.intersection)} domains to {options['output']}.\n")
        else:
            out.write(lines)
    else:
        out.write(f"{result.count}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return execute(vars(parser().parse_args(argv)), sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
