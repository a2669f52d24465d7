"""One scheduler pass: the prompts every rule owes, stored once, then delivered.

A pass is safe to repeat and to run in two processes at once: each prompt has a unique
dedupe key and rows are inserted with "ignore conflicts", so the database lets exactly one
copy in; a review proposed by a cadence is unique per partnership, rule and occurrence.
Nothing is held in memory between passes, so a crash loses nothing: the next pass
computes the same keys and inserts what is missing. Delivery (e-mail, webhooks) works on
the stored rows, claimed one by one (see email.py and webhooks.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from partnerloop.accounts.models import short_code
from partnerloop.core.bulk import insert_rows
from partnerloop.partnerships.models import Side
from partnerloop.prompts import rules
from partnerloop.prompts.models import DeliveryStatus, Event, Prompt, Webhook

logger = logging.getLogger(__name__)
BATCH = 1000


@dataclass
class PassReport:
    started_at: datetime
    rules: int = 0
    partnerships: int = 0
    due: int = 0
    created: int = 0
    reviews_proposed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    # The new prompts of organizations with an active webhook, to announce there.
    created_prompts: list[Prompt] = field(default_factory=list)


def _review_codes(keys: set[tuple[int, int, object]]) -> dict[tuple[int, int, object], str]:
    codes: dict[tuple[int, int, object], str] = {}
    partnership_ids = sorted({k[0] for k in keys})
    for start in range(0, len(partnership_ids), BATCH):
        for pid, rule_id, occurrence, code in Event.objects.filter(
            partnership_id__in=partnership_ids[start : start + BATCH], rule__isnull=False
        ).values_list("partnership_id", "rule_id", "occurrence", "code"):
            if (pid, rule_id, occurrence) in keys:
                codes[(pid, rule_id, occurrence)] = code
    return codes


def _store_reviews(reviews: list[Event]) -> tuple[dict[tuple[int, int, object], str], int]:
    """Insert the proposed reviews that are not there yet: the codes of all, and how many
    were new."""
    if not reviews:
        return {}, 0
    keys = {(e.partnership_id, e.rule_id, e.occurrence) for e in reviews}
    existing = _review_codes(keys)
    missing = [e for e in reviews if (e.partnership_id, e.rule_id, e.occurrence) not in existing]
    if missing:
        with transaction.atomic():
            Event.objects.bulk_create(missing, ignore_conflicts=True, batch_size=BATCH)
        existing = _review_codes(keys)
    return existing, len(missing)


def _existing_keys(keys: list[str]) -> set[str]:
    """Which of these keys are stored already: index lookups in large batches, in plain
    SQL (building an ORM lookup over thousands of values costs more than the query)."""
    found: set[str] = set()
    table = connection.ops.quote_name(Prompt._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array parameter instead of thousands of placeholders.
            for start in range(0, len(keys), 20_000):
                cursor.execute(
                    f"SELECT dedupe_key FROM {table} WHERE dedupe_key = ANY(%s)",
                    [keys[start : start + 20_000]],
                )
                found.update(row[0] for row in cursor.fetchall())
            return found
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            cursor.execute(
                f"SELECT dedupe_key FROM {table} WHERE dedupe_key IN "
                f"({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            found.update(row[0] for row in cursor.fetchall())
    return found


def run_pass(*, now: datetime | None = None, host_ids: list[int] | None = None) -> PassReport:
    """Store every prompt due at `now` that is not stored yet. Returns what it did."""
    now = now or timezone.now()
    report = PassReport(started_at=now)
    context = rules.build_context(now=now, host_ids=host_ids)
    report.rules = len(context.rules)
    report.partnerships = len(context.partnerships)
    dues: list[rules.Due] = []
    reviews: list[Event] = []
    for item in rules.due_prompts(context):
        if isinstance(item, Event):
            reviews.append(item)
        else:
            dues.append(item)
    review_codes, report.reviews_proposed = _store_reviews(reviews)

    # Keys first, plain strings: on a repeat pass almost all exist already, and no
    # model instance is built for them.
    # The write time of the rows (the clock, not `now`: a pass may be asked about another
    # moment, but its rows are created when they are written).
    now_written = timezone.now()
    keyed: dict[str, tuple[rules.Due, int]] = {}
    for due in dues:
        recipients = (
            [due.only_user]
            if due.only_user is not None
            else context.recipients(due.partnership, due.side)
        )
        for user_id in recipients:
            if due.kind in context.muted.get(user_id, ()):
                continue
            keyed.setdefault(rules.dedupe_key(due, user_id), (due, user_id))
    report.due = len(keyed)
    existing = _existing_keys(list(keyed))
    new: list[dict[str, object]] = []
    for key, (due, user_id) in keyed.items():
        if key in existing:
            continue
        if due.review is not None:
            due.subject_code = review_codes.get(due.review, "")
        p = due.partnership
        new.append(
            {
                "code": short_code(),
                "dedupe_key": key,
                "kind": due.kind,
                "rule_id": due.rule.pk,
                "partnership_id": p.id,
                "recipient_id": user_id,
                "organization_id": p.host_id if due.side == Side.HOST else p.partner_id,
                "side": due.side,
                "title": due.title[:300],
                "body": due.body,
                "action": due.action,
                "subject_code": due.subject_code,
                "celebration": due.celebration,
                "created_at": now_written,
                "email_status": DeliveryStatus.PENDING,
            }
        )
    if new:
        with transaction.atomic():
            # Another pass may insert the same keys between our read and this write: the
            # unique key keeps one copy (ON CONFLICT DO NOTHING), never two.
            insert_rows(Prompt, new, batch=BATCH, ignore_conflicts=True)
        report.created = len(new)
        # Only organizations with a webhook need the rows back (to announce them).
        hooked = set(
            Webhook.objects.filter(
                active=True, organization_id__in={row["organization_id"] for row in new}
            ).values_list("organization_id", flat=True)
        )
        announce = [row["dedupe_key"] for row in new if row["organization_id"] in hooked]
        report.created_prompts = [
            prompt
            for start in range(0, len(announce), BATCH)
            for prompt in Prompt.objects.filter(dedupe_key__in=announce[start : start + BATCH])
        ]
    for row in new:
        report.by_kind[str(row["kind"])] = report.by_kind.get(str(row["kind"]), 0) + 1
    logger.info(
        "scheduler pass: %s rules, %s partnerships, %s due, %s new prompts",
        report.rules,
        report.partnerships,
        report.due,
        report.created,
    )
    return report
