"""The worker: one tick does everything once; a worker killed mid-batch loses and
duplicates nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from partnerloop.conftest import World
from partnerloop.partnerships.models import Partnership, Side, Stage
from partnerloop.plans.models import Milestone
from partnerloop.prompts import email
from partnerloop.prompts.models import DeliveryStatus, Prompt, PromptKind
from partnerloop.prompts.services import ensure_default_rules, tick

LOG_BACKEND = "partnerloop.prompts.tests.mail_log_backend.MailLogBackend"


def _pending(world: World, count: int) -> list[Prompt]:
    return [
        Prompt.objects.create(
            dedupe_key=f"worker:{i}",
            kind=PromptKind.CADENCE,
            partnership=world.partnership,
            recipient=world.host_owner,
            organization=world.host,
            side=Side.HOST,
            title=f"Check-in {i}",
        )
        for i in range(count)
    ]


def test_one_tick_stores_sends_and_scores_once(world: World, tmp_path: Path, monkeypatch) -> None:
    Partnership.objects.filter(pk=world.partnership.pk).update(stage=Stage.ACTIVE)
    # Away from the first days of a month, when the monthly check-in would be due too.
    now = timezone.now()
    if now.day <= 4:
        now = now.replace(day=10)
    Milestone.objects.create(
        partnership=world.partnership,
        key="first_campaign",
        title="First campaign",
        reached_on=now.date(),
    )
    monkeypatch.setenv("PL_MAIL_LOG", str(tmp_path / "mail.log"))
    with override_settings(EMAIL_BACKEND=LOG_BACKEND), time_machine.travel(now, tick=False):
        first = tick()
        again = tick()
    assert not first.errors, first.errors
    assert first.pass_report.created == 2  # the celebration, to each side's owner
    assert first.emails == 2 and again.emails == 0 and again.pass_report.created == 0
    assert first.health >= 1 and again.health == 0  # health: once a day
    sent = (tmp_path / "mail.log").read_text().splitlines()
    assert len(sent) == len(set(sent)) == 2


def test_worker_once_command_prints_what_it_did(world: World, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PL_MAIL_LOG", str(tmp_path / "mail.log"))
    with override_settings(EMAIL_BACKEND=LOG_BACKEND):
        call_command("worker", "--once")
    assert "new prompts" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
    world: World, tmp_path: Path, monkeypatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs the test database: PostgreSQL runs this test")
    ensure_default_rules(world.host)
    prompts = _pending(world, 8)
    log = tmp_path / "mail.log"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DEBUG": "1",
        "EMAIL_BACKEND": LOG_BACKEND,
        "PL_MAIL_LOG": str(log),
        "PL_KILL_AFTER": "3",
    }
    # A real worker process, killed (SIGKILL: no clean-up) as it sends the 4th message.
    worker = subprocess.run(
        [sys.executable, "-m", "partnerloop.cli", "worker", "--once"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert worker.returncode == -9, worker.stderr.decode()[-2000:]
    assert len(log.read_text().splitlines()) == 3
    statuses = sorted(Prompt.objects.values_list("email_status", flat=True))
    assert statuses.count(DeliveryStatus.SENT) == 3
    assert statuses.count(DeliveryStatus.SENDING) == 1  # claimed by the dead worker

    # The next run, after the dead worker's claim went stale, sends the rest exactly once.
    monkeypatch.setenv("PL_MAIL_LOG", str(log))
    monkeypatch.delenv("PL_KILL_AFTER", raising=False)
    later = timezone.now() + email.STALE_CLAIM + timedelta(minutes=1)
    with override_settings(EMAIL_BACKEND=LOG_BACKEND), time_machine.travel(later, tick=False):
        email.send_prompt_emails(now=later)
        email.send_prompt_emails(now=later)
    sent = log.read_text().splitlines()
    assert len(sent) == len(set(sent)) == 8
    assert set(sent) == {email.message_id(p.dedupe_key) for p in prompts}
    assert set(Prompt.objects.values_list("email_status", flat=True)) == {DeliveryStatus.SENT}


def test_the_scheduler_loop_ticks_until_stopped(monkeypatch) -> None:
    """`partnerloop worker` runs this loop on a thread beside the jobs queue; a failing tick
    is logged and the loop goes on."""
    import threading

    from partnerloop.core.management.commands import worker

    stop = threading.Event()
    calls: list[int] = []

    def fake_tick() -> object:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        stop.set()

        class Report:
            def summary(self) -> str:
                return "ok"

        return Report()

    monkeypatch.setattr("partnerloop.prompts.services.tick", fake_tick)
    thread = threading.Thread(target=worker.scheduler_loop, args=(stop, 0.01))
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and len(calls) == 2
