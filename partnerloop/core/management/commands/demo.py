from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from partnerloop.accounts.models import Organization
from partnerloop.core.demo import DEMO_PASSWORD, HOST_EMAIL, PARTNER_EMAIL, demo_exists, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo ecosystem (development only) and print the demo logins. "
        "With --scale large: a large ecosystem (5,000 partnerships, 2,000,000 accounts…)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Only when the database has no organization."
        )
        parser.add_argument(
            "--scale",
            choices=["small", "medium", "large"],
            help="Build a generated ecosystem of this size instead of the hand-made demo.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="With --scale: build even though the database already has data.",
        )
        parser.add_argument("--seed", type=int, default=None, help="With --scale: the seed.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "Demo data has well-known passwords and is never loaded into a production "
                "database. Run it with DEBUG=1 on a development database."
            )
        if options["scale"]:
            self._scale(options)
            return
        if demo_exists():
            self.stdout.write("The demo ecosystem is already loaded.")
        elif options["if_empty"] and Organization.objects.exists():
            self.stdout.write("The database has data already; no demo loaded.")
            return
        else:
            load_demo()
            self.stdout.write(self.style.SUCCESS("Demo ecosystem loaded."))
        self.stdout.write(
            f"\nDemo logins (password for both: {DEMO_PASSWORD})\n"
            f"  host user:    {HOST_EMAIL}\n  partner user: {PARTNER_EMAIL}\n"
        )

    def _scale(self, options: dict[str, Any]) -> None:
        from django.contrib.auth import get_user_model
        from tqdm import tqdm

        from partnerloop.core import scale

        if get_user_model().objects.filter(email=scale.HOST_EMAIL).exists():
            raise CommandError(
                "A scale ecosystem is already loaded here (its host login exists). "
                "Start from an empty database to build another."
            )
        if Organization.objects.exists() and not options["force"]:
            if options["if_empty"]:
                self.stdout.write("The database has data already; no demo loaded.")
                return
            raise CommandError(
                "The database has data already. A scale ecosystem is meant for an empty "
                "database: point DATA_DIR (or DATABASE_URL) at a new one, or add --force to "
                "build it beside what is there."
            )
        size = scale.SIZES[options["scale"]]
        self.stdout.write(
            f"Building the {options['scale']} ecosystem: {size.partnerships:,} partnerships, "
            f"{size.activities:,} activities, {size.plan_steps:,} plan steps, "
            f"{size.referrals:,} referrals, {size.accounts:,} accounts."
        )
        started = time.perf_counter()
        with tqdm(
            total=size.units, unit=" rows", unit_scale=True, file=self.stderr._out, leave=True
        ) as bar:
            world = scale.build_ecosystem(
                size,
                seed=options["seed"] if options["seed"] is not None else scale.SEED,
                progress=bar,
            )
        elapsed = time.perf_counter() - started
        counts = ", ".join(f"{name.replace('_', ' ')} {n:,}" for name, n in world.counts.items())
        phases = ", ".join(f"{name} {s:.1f} s" for name, s in world.seconds.items())
        self.stdout.write(self.style.SUCCESS(f"Built in {elapsed:.1f} s ({phases})."))
        self.stdout.write(counts)
        self.stdout.write(
            f"\nLogins (password for both: {scale.SCALE_PASSWORD})\n"
            f"  host user:    {scale.HOST_EMAIL}\n  partner user: {scale.PARTNER_EMAIL}\n"
        )
