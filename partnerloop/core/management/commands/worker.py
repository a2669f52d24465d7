from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

logger = logging.getLogger("partnerloop.worker")


def scheduler_loop(stop: threading.Event, interval: float) -> None:
    """Run a tick (scheduler pass and deliveries) every `interval` seconds until stopped.

    Ticks are idempotent, so a restart, a second worker, or a tick that died half-way
    costs nothing but the work left for the next one.
    """
    from partnerloop.prompts.services import tick

    while not stop.is_set():
        close_old_connections()
        try:
            report = tick()
            logger.info("tick: %s", report.summary())
        except Exception:  # a broken tick must not stop the jobs queue
            logger.exception("tick failed")
        finally:
            close_old_connections()
        stop.wait(interval)


class Command(BaseCommand):
    help = (
        "Run background jobs (the database queue) and the prompt scheduler until stopped. "
        "Safe to run several at once: prompts are deduplicated and deliveries claimed."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.SCHEDULER_INTERVAL,
            help="Seconds between scheduler ticks (SCHEDULER_INTERVAL, default 60).",
        )
        parser.add_argument("--no-scheduler", action="store_true", help="Jobs only.")
        parser.add_argument("--no-jobs", action="store_true", help="Scheduler only.")
        parser.add_argument(
            "--once", action="store_true", help="Run one scheduler tick and exit (for cron)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            from partnerloop.prompts.services import tick

            report = tick()
            self.stdout.write(report.summary())
            for error in report.errors:
                self.stderr.write(error)
            return
        stop = threading.Event()
        thread = None
        if not options["no_scheduler"]:
            thread = threading.Thread(
                target=scheduler_loop, args=(stop, options["interval"]), daemon=True
            )
            thread.start()
        try:
            if options["no_jobs"]:
                signal.signal(signal.SIGTERM, lambda *_: stop.set())
                while not stop.wait(1):
                    pass
            else:
                call_command("db_worker", "--queue-name", "*")
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=30)
