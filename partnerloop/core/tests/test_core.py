from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client

from partnerloop.core.csvsafe import neutralize
from partnerloop.core.domains import InvalidWebsite, normalize_website, registrable_domain


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("example.com", "example.com"),
        ("https://www.Example.com/path?q=1", "example.com"),
        ("http://shop.example.co.uk", "example.co.uk"),
        ("jane@mail.example.de", "example.de"),
        ("  EXAMPLE.IO  ", "example.io"),
    ],
)
def test_registrable_domain(value: str, domain: str) -> None:
    assert registrable_domain(value) == domain


@pytest.mark.parametrize("value", ["", "localhost", "not a website", "http://"])
def test_invalid_websites_say_what_to_fix(value: str) -> None:
    with pytest.raises(InvalidWebsite, match=r"e\.g\. example\.com"):
        registrable_domain(value)


def test_normalize_website_keeps_the_host() -> None:
    assert normalize_website("www.example.com/about") == ("https://www.example.com", "example.com")


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("Acme", "Acme"),
        (None, ""),
    ],
)
def test_neutralize(cell: str | None, safe: str) -> None:
    assert neutralize(cell) == safe


@pytest.mark.django_db
def test_healthz_says_the_database_is_reachable(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def _run_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _run_check_command(["check", "--deploy", "--fail-level", "WARNING"], env)


def _run_check_command(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A production-like environment: nothing the test run itself set (the browser tests
    # set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which check --deploy rightly refuses).
    dropped = {
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "PARTNERLOOP_TESTING",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "-m", "partnerloop.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key_or_hosts() -> None:
    result = _run_check({})
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr
    result = _run_check({"SECRET_KEY": "x" * 60})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is required" in result.stderr


def test_production_settings_pass_check_deploy() -> None:
    result = _run_check(
        {"SECRET_KEY": "k" * 30 + "Q7#x" * 10, "ALLOWED_HOSTS": "partners.example.com"}
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlite_database_file_runs_in_wal_mode(tmp_path: object) -> None:
    code = (
        "import django; django.setup(); from django.db import connection; "
        "cursor = connection.cursor(); cursor.execute('PRAGMA journal_mode'); "
        "print(cursor.fetchone()[0])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        {"DEBUG": "1", "DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "partnerloop.settings"}
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "wal", result.stderr


def test_production_static_files_collect_with_the_manifest_storage(tmp_path: object) -> None:
    """Production serves hashed, compressed files; a broken reference fails here, not live."""
    result = _run_check_command(
        ["collectstatic", "--noinput"],
        {"SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "example.com", "STATIC_ROOT": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.glob("vendor/htmx.min.*.js"))  # type: ignore[attr-defined]
