"""Account mapping at scale: normalization, exact and fuzzy matching, quality, memory.

The figures do not touch the database, so they do not depend on the backend: `measure`
runs them once, in the SQLite pass (or in the only pass when BENCH_BACKENDS leaves SQLite
out), and names the entries `mapping_*` without a backend suffix. The work runs in a fresh
Python process (`python -m bench.mapping --json`), so the peak memory figure is the
matching's own and not the bench worker's.

- **normalize**: a generated 1,000,000-row CRM export (company name, website in all the
  messy forms — bare, `https://www.`, subdomains, paths, e-mail addresses, free mail, empty —
  country, status) is read with the `csv` module and every row normalized (registrable
  domain, folded name, country code), as the import does, minus the database. Figure:
  microseconds per row (target ≤ 10, i.e. ≥ 100,000 rows/s) and rows/s.
- **exact**: `match_accounts` without the fuzzy rule on 1,000,000 × 1,000,000 normalized
  accounts (40 % share a domain, 10 % more only a name and a compatible country) — target
  ≤ 10 s. The baseline in the same run: the same joins as pandas merges on the same
  keys (domain, then name with the country rule on what is left).
- **fuzzy**: the close-name rule on 50,000 × 50,000 names left unmatched, a fifth of them
  with a one-character typo of the other side — seconds, no target.
- **quality**: precision and recall on the labelled set of
  `partnerloop/mapping/tests/labelled.py` (3,000 companies); targets 99 % and 95 %, entered
  as their complements (false matches ≤ 1 %, missed matches ≤ 5 %) because bench targets
  are upper bounds.
- **memory**: peak resident set size of that process (`resource.getrusage`), target ≤ 2 GB.
- **import** (`measure_import`, the exception: it writes, so it runs in every backend's
  pass, in the bench worker): a generated 300,000-row export through `upload_create` and
  `upload_run`, the whole upload path with the database. Figure: microseconds per row
  (target ≤ 10, i.e. ≥ 100,000 rows/s) and rows/s, per backend.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = 6_006
ROWS = 1_000_000
FUZZY_NAMES = 50_000
LABELLED_COMPANIES = 3_000
TARGET_US_PER_ROW = 10.0  # 100,000 rows/s
# The whole upload path with the database: rows of the file imported per backend pass.
IMPORT_ROWS = 300_000
TARGET_EXACT_S = 10.0
TARGET_RSS_MB = 2048.0
TARGET_FALSE_PCT = 1.0  # precision >= 99 %
TARGET_MISSED_PCT = 5.0  # recall >= 95 %

_WORDS = (
    "acme globex initech umbrella hooli stark wayne wonka tyrell cyberdyne soylent vandelay "
    "pied piper massive dynamic oscorp nakatomi gringotts monarch aperture black mesa zorg "
    "north wind contoso fabrikam tailspin litware adventure works blue sky red rock silver "
    "lake iron peak cedar river"
)
WORDS = _WORDS.split()
INDUSTRIES = (
    "Analytics",
    "Logistics",
    "Media",
    "Software",
    "Energy",
    "Health",
    "Capital",
    "Foods",
    "Labs",
    "Systems",
)
FORMS = ("Inc.", "LLC", "Ltd", "GmbH", "S.A.", "AG", "B.V.", "plc", "Corp.", "")
TLDS = ("com", "com", "com", "io", "co.uk", "de", "fr", "com.au", "nl")
COUNTRIES = ("United States", "USA", "US", "Germany", "DE", "France", "UK", "Netherlands", "")
FREE = ("gmail.com", "outlook.com", "yahoo.co.uk", "hotmail.fr")


def _stem(n: int) -> str:
    """A distinct company stem per number (`n` in base len(WORDS), spelt with words)."""
    parts = []
    while True:
        n, digit = divmod(n, len(WORDS))
        parts.append(WORDS[digit])
        if not n:
            break
    return " ".join(parts)


def _website(rng: random.Random, host: str) -> str:
    roll = rng.random()
    if roll < 0.30:
        return host
    if roll < 0.55:
        return f"https://www.{host}"
    if roll < 0.65:
        return f"http://{rng.choice(('shop', 'eu', 'app'))}.{host}/about"
    if roll < 0.75:
        return f"www.{host}/en/contact?ref=crm"
    if roll < 0.85:
        return f"jane.doe@{host}"
    if roll < 0.90:
        return f"sales{rng.randint(1, 999)}@{rng.choice(FREE)}"
    return ""


def write_export(path: Path, rows: int, seed: int = SEED) -> None:
    """A CRM export of `rows` accounts (HubSpot-like header), UTF-8."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["Company name", "Company Domain Name", "Country/Region", "Lifecycle Stage"])
        for n in range(rows):
            stem = _stem(n)
            industry = rng.choice(INDUSTRIES)
            name = f"{stem.title()} {industry} {rng.choice(FORMS)}".strip()
            if rng.random() < 0.05:
                name = name.replace("e", "é", 1)
            host = f"{stem.replace(' ', '')}{industry.lower()}.{rng.choice(TLDS)}"
            out.writerow(
                [
                    name,
                    _website(rng, host),
                    rng.choice(COUNTRIES),
                    rng.choice(("customer", "opportunity", "lead")),
                ]
            )


def normalize_file(path: Path) -> tuple[int, float, list[tuple[str, str, str]]]:
    """Read and normalize every row as the import does; (rows, seconds, keys)."""
    from partnerloop.mapping.normalize import (
        normalize_company_name,
        normalize_country,
        normalize_domain,
    )

    keys: list[tuple[str, str, str]] = []
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        countries: dict[str, str] = {}
        for name, website, country, _status in reader:
            code = countries.get(country)
            if code is None:
                code = countries[country] = normalize_country(country)
            keys.append(
                (
                    normalize_domain(website) if website else "",
                    normalize_company_name(name),
                    code,
                )
            )
    return len(keys), time.perf_counter() - started, keys


def exact_lists(rows: int, seed: int = SEED) -> tuple[list[Any], list[Any]]:
    """Two normalized lists: 40 % share a domain, 10 % more only a name (and country)."""
    from partnerloop.mapping.matching import AccountKeys

    rng = random.Random(seed)
    countries = ("US", "DE", "FR", "GB", "NL", "")
    ours = []
    theirs = []
    for n in range(rows):
        key = f"{n:x}"
        ours.append(AccountKeys(n, f"ours{key}.com", f"ours company {key}", rng.choice(countries)))
        roll = rng.random()
        if roll < 0.40:
            theirs.append(AccountKeys(n, f"ours{key}.com", f"their name {key}", ""))
        elif roll < 0.50:
            theirs.append(AccountKeys(n, "", f"ours company {key}", ours[-1].country))
        else:
            theirs.append(AccountKeys(n, f"theirs{key}.io", f"their company {key}", "US"))
    rng.shuffle(theirs)
    return ours, theirs


def pandas_baseline(ours: list[Any], theirs: list[Any]) -> tuple[int, float]:
    """The same two exact joins with pandas merges; (matches, seconds, frames included)."""
    import pandas as pd

    started = time.perf_counter()
    left = pd.DataFrame(ours, columns=["id", "domain", "name_key", "country"])
    right = pd.DataFrame(theirs, columns=["id", "domain", "name_key", "country"])
    by_domain = left[left.domain != ""].merge(
        right[right.domain != ""], on="domain", suffixes=("", "_t")
    )[["id", "id_t"]]
    left = left[~left.id.isin(by_domain.id)]
    right = right[~right.id.isin(by_domain.id_t)]
    by_name = left[left.name_key != ""].merge(
        right[right.name_key != ""], on="name_key", suffixes=("", "_t")
    )
    by_name = by_name[
        (by_name.country == "") | (by_name.country_t == "") | (by_name.country == by_name.country_t)
    ][["id", "id_t"]]
    found = len(by_domain) + len(by_name)
    return found, time.perf_counter() - started


def fuzzy_lists(count: int, seed: int = SEED) -> tuple[list[Any], list[Any]]:
    """`count` leftover names a side; a fifth of theirs are one typo from one of ours."""
    from partnerloop.mapping.matching import AccountKeys
    from partnerloop.mapping.normalize import normalize_company_name

    rng = random.Random(seed)
    ours = []
    theirs = []
    for n in range(count):
        name = normalize_company_name(f"{_stem(n * 7 + 3).title()} {rng.choice(INDUSTRIES)}")
        ours.append(AccountKeys(n, "", name, ""))
        if rng.random() < 0.2:
            i = rng.randrange(1, len(name) - 1)
            other = name[:i] + rng.choice("aeiou") + name[i + 1 :]
        else:
            other = normalize_company_name(f"{_stem(n * 7 + 5).title()} {rng.choice(INDUSTRIES)}")
        theirs.append(AccountKeys(f"t{n}", "", other, ""))
    return ours, theirs


def run(
    rows: int = ROWS, fuzzy_names: int = FUZZY_NAMES, companies: int = LABELLED_COMPANIES
) -> dict[str, Any]:
    """Every figure, in this process."""
    from partnerloop.mapping.matching import fuzzy_match, match_accounts
    from partnerloop.mapping.tests.labelled import accounts, generate, score

    figures: dict[str, Any] = {"rows": rows, "fuzzy_names": fuzzy_names}
    with tempfile.TemporaryDirectory(prefix="partnerloop-mapping-bench-") as tmp:
        path = Path(tmp) / "accounts.csv"
        write_export(path, rows)
        figures["csv_mb"] = round(path.stat().st_size / 1e6, 1)
        count, seconds, keys = normalize_file(path)
    figures["normalize_s"] = seconds
    figures["normalize_rows_per_s"] = round(count / seconds)
    figures["normalize_us_per_row"] = seconds / count * 1e6
    figures["normalize_with_domain"] = sum(1 for k in keys if k[0])
    del keys
    gc.collect()

    ours, theirs = exact_lists(rows)
    started = time.perf_counter()
    matches = match_accounts(ours, theirs, fuzzy=False)
    figures["exact_s"] = time.perf_counter() - started
    figures["exact_matches"] = len(matches)
    del matches
    gc.collect()
    figures["pandas_matches"], figures["pandas_s"] = pandas_baseline(ours, theirs)
    del ours, theirs
    gc.collect()

    ours, theirs = fuzzy_lists(fuzzy_names)
    started = time.perf_counter()
    found = fuzzy_match(ours, theirs)
    figures["fuzzy_s"] = time.perf_counter() - started
    figures["fuzzy_matches"] = len(found)
    del ours, theirs, found

    labelled = generate(companies)
    result = score(
        match_accounts(accounts(labelled.ours), accounts(labelled.theirs)), labelled.truth
    )
    figures["precision_pct"] = result.precision * 100
    figures["recall_pct"] = result.recall * 100
    figures["false_positives"] = result.false_positives
    figures["false_negatives"] = result.false_negatives
    figures["truth_pairs"] = len(labelled.truth)
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
    return figures


def import_upload(rows: int = IMPORT_ROWS) -> dict[str, Any]:
    """The whole upload path with the database, in this process (Django set up, migrated):
    a generated export goes through `services.upload_create` (checks and stores the file)
    and `services.upload_run` (the worker's part: count, read, normalize, write, switch
    current). The file is written before the clock starts."""
    from django.contrib.auth import get_user_model

    from partnerloop.accounts.models import Membership, Organization, Role
    from partnerloop.core.tenancy import Actor
    from partnerloop.mapping import services
    from partnerloop.mapping.models import Account, AccountUpload, UploadStatus

    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    user = get_user_model().objects.create_user(
        username=f"mapping-import-{tag}", email=f"import-{tag}@mappingbench.test"
    )
    organization = Organization.objects.create(
        name=f"Mapping Import Bench {tag}", domain="mappingbench.test"
    )
    Membership.objects.create(user=user, organization=organization, role=Role.OWNER)
    actor = Actor(user=user, organization=organization, role=Role.OWNER)
    figures: dict[str, Any] = {"import_rows": rows}
    with tempfile.TemporaryDirectory(prefix="partnerloop-import-bench-") as tmp:
        path = Path(tmp) / "accounts.csv"
        write_export(path, rows)
        size = path.stat().st_size
        figures["import_csv_mb"] = round(size / 1e6, 1)
        started, cpu_started = time.perf_counter(), time.process_time()
        with path.open("rb") as stream:
            upload = services.upload_create(
                actor=actor, stream=stream, size=size, filename="accounts.csv"
            )
        status = services.upload_run(upload_id=upload.pk)
        seconds = time.perf_counter() - started
        # This process's share (the database server's is not in it on PostgreSQL): far
        # below the wall time when other work shares the machine.
        figures["import_cpu_s"] = time.process_time() - cpu_started
    upload = AccountUpload.objects.get(pk=upload.pk)
    assert status == UploadStatus.DONE and upload.is_current, (status, upload.errors)
    assert upload.rows_processed == rows, upload.rows_processed
    assert Account.objects.filter(upload=upload).count() == upload.rows_imported
    figures["import_s"] = seconds
    figures["import_imported"] = upload.rows_imported
    figures["import_duplicates"] = upload.duplicates
    figures["import_rows_per_s"] = round(rows / seconds)
    figures["import_us_per_row"] = seconds / rows * 1e6
    return figures


def measure_import(
    backend: str, add: Callable[[str, float, str, float | None], None], rows: int = IMPORT_ROWS
) -> None:
    """The upload path writes to the database, so unlike the figures above it runs in every
    backend's pass, in the bench worker itself."""
    f = import_upload(rows)
    print(
        f"   {backend} mapping import: {rows:,} rows ({f['import_csv_mb']} MB) uploaded and "
        f"imported in {f['import_s']:.2f} s = {f['import_rows_per_s']:,} rows/s "
        f"({f['import_imported']:,} rows written, {f['import_duplicates']:,} duplicates)",
        flush=True,
    )
    add(
        f"mapping_import_us_per_row_{backend}",
        round(f["import_us_per_row"], 2),
        "µs",
        TARGET_US_PER_ROW,
    )
    add(f"mapping_import_rows_per_s_{backend}", f["import_rows_per_s"], "rows/s", None)


def _should_run(backend: str) -> bool:
    if backend == "sqlite":
        return True
    chosen = os.environ.get("BENCH_BACKENDS", "")
    return bool(chosen) and "sqlite" not in chosen


def measure(backend: str, add: Callable[[str, float, str, float | None], None]) -> None:
    if not _should_run(backend):
        return
    done = subprocess.run(
        [sys.executable, "-m", "bench.mapping", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    f = json.loads(done.stdout.strip().splitlines()[-1])
    report(f, add)


def report(f: dict[str, Any], add: Callable[[str, float, str, float | None], None]) -> None:
    rows = f["rows"]
    print(
        f"   mapping normalize: {rows:,} rows ({f['csv_mb']} MB) in {f['normalize_s']:.2f} s = "
        f"{f['normalize_rows_per_s']:,} rows/s; exact {rows:,} x {rows:,}: "
        f"{f['exact_s']:.2f} s ({f['exact_matches']:,} matches), pandas merge "
        f"{f['pandas_s']:.2f} s ({f['pandas_matches']:,}); fuzzy {f['fuzzy_names']:,} x "
        f"{f['fuzzy_names']:,}: {f['fuzzy_s']:.2f} s ({f['fuzzy_matches']:,} matches); "
        f"labelled precision {f['precision_pct']:.2f} % recall {f['recall_pct']:.2f} %; "
        f"peak RSS {f['peak_rss_mb']:.0f} MB",
        flush=True,
    )
    add(
        "mapping_normalize_us_per_row", round(f["normalize_us_per_row"], 2), "µs", TARGET_US_PER_ROW
    )
    add("mapping_normalize_rows_per_s", f["normalize_rows_per_s"], "rows/s", None)
    add("mapping_exact_1m_s", round(f["exact_s"], 2), "s", TARGET_EXACT_S)
    add("mapping_exact_1m_pandas_s", round(f["pandas_s"], 2), "s", None)
    add("mapping_fuzzy_50k_s", round(f["fuzzy_s"], 2), "s", None)
    add("mapping_precision", round(f["precision_pct"], 2), "%", None)
    add("mapping_recall", round(f["recall_pct"], 2), "%", None)
    add("mapping_false_matches", round(100 - f["precision_pct"], 2), "%", TARGET_FALSE_PCT)
    add("mapping_missed_matches", round(100 - f["recall_pct"], 2), "%", TARGET_MISSED_PCT)
    add("mapping_peak_rss", round(f["peak_rss_mb"]), "MB", TARGET_RSS_MB)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--fuzzy", type=int, default=FUZZY_NAMES)
    parser.add_argument("--companies", type=int, default=LABELLED_COMPANIES)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    figures = run(args.rows, args.fuzzy, args.companies)
    if args.json:
        print(json.dumps(figures))
    else:
        report(figures, lambda name, value, unit, target: print(f"{name}: {value} {unit}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
