"""`partnerloop psi` against a live server with a real token: the list is read and
normalized locally, only encrypted messages travel."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from partnerloop.api.tests.matrix import make_token
from partnerloop.psi import client, services
from partnerloop.psi.models import PsiRun

# 25 partner domains after normalization; company20 … company29 are among the host's 30.
ROWS = [f"https://www.company{i}.com/about" for i in range(20, 40)] + [
    "sales@company40.com",
    "company41.com",
    "WWW.COMPANY42.COM",
    "http://shop.company43.com",
    "company44.com",
    "jane@gmail.com",  # free mail: never a company key
    "",
    "https://www.company20.com",  # duplicate
]


def _csv(tmp_path: Path, delimiter: str = ";", encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / "accounts.csv"
    lines = [f"Name{delimiter}Website"] + [f"Row {i}{delimiter}{v}" for i, v in enumerate(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


@pytest.mark.parametrize(("delimiter", "encoding"), [(";", "utf-8-sig"), ("\t", "utf-16")])
def test_read_domains_normalizes_locally(tmp_path, delimiter, encoding) -> None:
    domains = client.read_domains(_csv(tmp_path, delimiter, encoding))
    assert domains == sorted(f"company{i}.com" for i in range(20, 45))


def test_read_domains_needs_a_domain_column(tmp_path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,city\nAcme,Paris\n")
    with pytest.raises(client.ClientError, match="domain, website or email"):
        client.read_domains(path)


def _options(live_server: Any, token: str, world: Any, path: Path, **extra: Any) -> list[str]:
    args = [
        "--server",
        live_server.url,
        "--token",
        token,
        "--partnership",
        world.partnership.code,
        "--population",
        "customers",
        str(path),
    ]
    for key, value in extra.items():
        args[:0] = [f"--{key}"] if value is True else [f"--{key}", str(value)]
    return args


@pytest.fixture
def live_world(transactional_db, world, populations, live_server) -> Any:
    populations[(world.host.pk, "customers")] = [f"company{i}.com" for i in range(30)]
    services.consent_set(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        side="host",
        population="customers",
        allow_reveal=True,
    )
    return world


def test_cli_count_against_a_live_server(live_world, live_server, tmp_path) -> None:
    world = live_world
    token = make_token(world.partner_user, world.partner)
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "psi",
        *_options(live_server, token, world, _csv(tmp_path), report=True),
        stdout=out,
        stderr=err,
    )
    assert out.getvalue().strip() == "10"
    assert "your 25 domains against their 30; 10 in common" in err.getvalue()
    run = PsiRun.objects.get()
    assert (run.status, run.client_set_size, run.server_set_size) == ("finished", 25, 30)
    assert run.result_count == 10  # --report shared it
    assert run.requested_by == world.partner_user


def test_cli_reveal_writes_the_common_domains(live_world, live_server, tmp_path) -> None:
    world = live_world
    token = make_token(world.partner_user, world.partner)
    target = tmp_path / "common.txt"
    call_command(
        "psi",
        *_options(live_server, token, world, _csv(tmp_path), mode="reveal", output=target),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert target.read_text().split() == [f"company{i}.com" for i in range(20, 30)]
    assert PsiRun.objects.get().result_count is None  # not reported without --report


def test_cli_says_what_the_server_refused(live_world, live_server, tmp_path) -> None:
    world = live_world
    path = tmp_path / "few.csv"
    path.write_text("domain\n" + "\n".join(f"c{i}.com" for i in range(5)) + "\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "psi",
            *_options(live_server, make_token(world.partner_user, world.partner), world, path),
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "422" in err.getvalue() and "at least 20" in err.getvalue()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "psi",
            *_options(live_server, "pl_bad_token", world, _csv(tmp_path)),
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "401" in err.getvalue()
    assert not PsiRun.objects.exists()


def test_the_console_script_runs_the_client_without_server_settings(tmp_path) -> None:
    """`partnerloop psi` on a partner's laptop: no secret key, no database, no DEBUG."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env["DJANGO_SETTINGS_MODULE"] = "partnerloop.settings"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from partnerloop.cli import main; main()",
            "psi",
            "--help",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--population" in done.stdout
