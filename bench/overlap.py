"""Account overlap: refreshing a partnership's matches and reading its matrix at scale.

Two organizations of their own (so the other data sets are untouched), each with one
current list: `ACCOUNTS` rows on each side, a third of the partner's rows with a host
domain, a twentieth more only with a host company name, the rest their own, spread over
the three built-in populations. Every population is shared at "accounts" on both sides.

- **refresh**: `services.matches_refresh` from the database to the database: read both
  current lists, match (domain, name, fuzzy), replace the stored matches in one
  transaction. Seconds, no target (it runs in the worker after an upload).
- **matrix**: `selectors.overlap_matrix` for the host, the best of `RUNS` reads (ms) and its
  queries, which must not grow with the data: the figure at `SMALL` accounts per side is
  the target of the one at `ACCOUNTS`. Target 150 ms, the page budget.
- **cell**: the first 200 accounts of the largest cell (`selectors.cell_for`), ms.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

ACCOUNTS = 250_000
SMALL = 1_000
SEED = 7_007
RUNS = 20
TARGET_MATRIX_MS = 150.0
POPULATIONS = ("customers", "opportunities", "prospects")


def _org(name: str) -> Any:
    from partnerloop.accounts.models import Organization
    from partnerloop.mapping.services import populations_ensure

    org = Organization.objects.create(name=name, website=f"https://{name.lower()}.example")
    populations_ensure(organization=org)
    return org


def _current_list(org: Any, rows: list[tuple[str, str, str]]) -> None:
    """One current upload holding `rows` of (name, domain, population)."""
    from partnerloop.core.bulk import insert_rows
    from partnerloop.mapping.models import Account, AccountList, AccountUpload, UploadStatus
    from partnerloop.mapping.normalize import normalize_company_name

    account_list = AccountList.objects.create(organization=org, name="CRM accounts")
    upload = AccountUpload.objects.create(
        account_list=account_list,
        filename="bench.csv",
        status=UploadStatus.DONE,
        is_current=True,
        rows_total=len(rows),
        rows_imported=len(rows),
    )
    insert_rows(
        Account,
        [
            {
                "upload_id": upload.pk,
                "row": index + 2,
                "name": name,
                "name_key": normalize_company_name(name),
                "domain": domain,
                "country": "US",
                "status": population,
                "population_key": population,
                "external_id": "",
                "owner": "",
                "extra": "{}",
            }
            for index, (name, domain, population) in enumerate(rows)
        ],
        batch=5000,
    )


def build(size: int, tag: str) -> Any:
    """A partnership between two new organizations with `size` accounts on each side."""
    from partnerloop.overlap.models import Level, OverlapSharing
    from partnerloop.partnerships.models import Partnership

    rng = random.Random(SEED + size)
    host, partner = _org(f"OverlapHost{tag}"), _org(f"OverlapPartner{tag}")
    host_rows = [
        (f"Company {i} Holdings", f"company{i}.example", rng.choice(POPULATIONS))
        for i in range(size)
    ]
    partner_rows = []
    for i in range(size):
        draw = rng.random()
        if draw < 1 / 3:
            j = rng.randrange(size)
            partner_rows.append((f"Company {j} Holdings", f"company{j}.example", ""))
        elif draw < 1 / 3 + 1 / 20:
            j = rng.randrange(size)
            partner_rows.append((f"Company {j} Holdings Inc", "", ""))
        else:
            partner_rows.append((f"Partner Only {i} Ltd", f"partneronly{i}.example", ""))
    _current_list(host, host_rows)
    _current_list(
        partner, [(name, domain, rng.choice(POPULATIONS)) for name, domain, _ in partner_rows]
    )
    partnership = Partnership.objects.create(host=host, partner=partner)
    OverlapSharing.objects.bulk_create(
        OverlapSharing(
            partnership=partnership,
            side=side,
            population_key=key,
            level=Level.ACCOUNTS,
            fields=["name", "domain"],
        )
        for side in ("host", "partner")
        for key in POPULATIONS
    )
    return partnership


def _queries(run: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured.captured_queries)


def _best_ms(run: Callable[[], Any]) -> float:
    run()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return round(min(samples), 2)


def measure(backend: str, add: Callable[[str, float, str, float | None], None]) -> None:
    from django.db import connection

    from partnerloop.overlap import selectors, services

    def matrix_of(partnership: Any) -> Callable[[], Any]:
        return lambda: selectors.overlap_matrix(partnership=partnership, side="host")

    small = build(SMALL, "Small")
    services.matches_refresh(partnership_id=small.pk)
    small_queries = _queries(matrix_of(small))

    built = time.perf_counter()
    large = build(ACCOUNTS, "Large")
    build_s = time.perf_counter() - built
    started = time.perf_counter()
    stored = services.matches_refresh(partnership_id=large.pk) or 0
    refresh_s = round(time.perf_counter() - started, 2)
    if connection.vendor == "postgresql":
        # Planner statistics for the new rows, as autovacuum would gather soon after.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE mapping_account, overlap_accountmatch")
    matrix = matrix_of(large)()
    assert matrix.total == stored > ACCOUNTS // 4, "the data set must overlap"
    matrix_ms = _best_ms(matrix_of(large))
    queries = _queries(matrix_of(large))
    biggest = max(matrix.cells.values(), key=lambda cell: cell.count)

    def cell() -> Any:
        return selectors.cell_for(
            partnership=large, side="host", ours=biggest.ours, theirs=biggest.theirs
        )

    cell_ms = _best_ms(cell)
    print(
        f"   {backend} overlap: {ACCOUNTS:,} x {ACCOUNTS:,} accounts (built in {build_s:.1f} s), "
        f"refresh {refresh_s:.2f} s for {stored:,} matches; matrix {matrix_ms} ms "
        f"({queries} queries, {small_queries} at {SMALL:,}); cell of {biggest.count:,} "
        f"first 200 {cell_ms} ms",
        flush=True,
    )
    add(f"overlap_refresh_{ACCOUNTS // 1000}k_{backend}", refresh_s, "s", None)
    add(f"overlap_matrix_{ACCOUNTS // 1000}k_{backend}", matrix_ms, "ms", TARGET_MATRIX_MS)
    add(f"overlap_matrix_queries_{SMALL}_{backend}", small_queries, "queries", None)
    add(f"overlap_matrix_queries_{ACCOUNTS // 1000}k_{backend}", queries, "queries", small_queries)
    add(f"overlap_cell_{ACCOUNTS // 1000}k_{backend}", cell_ms, "ms", TARGET_MATRIX_MS)
