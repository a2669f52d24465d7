"""Writes of referrals: the partner registers and edits, the host decides and moves the
stage; the host keeps a list of the accounts it already knows.

Every decision that affects the partner (accepted, declined, each stage) carries a reason,
is kept in the referral's history (`ReferralChange`) and in the shared timeline.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from partnerloop.accountability.responsiveness import request_answered, request_opened
from partnerloop.core.domains import InvalidWebsite, normalize_website
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.imports import sniff_delimiter
from partnerloop.partnerships.models import Partnership, Side, Stage
from partnerloop.partnerships.services import ConcurrentEdit, timeline_record
from partnerloop.plans.services import milestone_record, step_complete_by_key
from partnerloop.referrals.matching import find_conflicts, normalize_company_name
from partnerloop.referrals.models import (
    AccountStatus,
    Attribution,
    KnownAccount,
    Referral,
    ReferralChange,
    ReferralStage,
    ReferralStatus,
)

REQUEST_KIND = "referral"
FIRST_REVENUE_KEY = "first_revenue"
FIRST_REFERRAL_KEY = "first_referral"
CLOSED_STAGES = (ReferralStage.WON, ReferralStage.LOST)
IMPORT_MAX_ROWS = 5000


def _side(actor: Actor, partnership: Partnership) -> str:
    return partnership.side_of(actor.organization.pk)


def _require_partner(actor: Actor, partnership: Partnership, what: str) -> None:
    actor.require_write()
    if _side(actor, partnership) != Side.PARTNER:
        raise PermissionDenied(f"Only {partnership.partner.name} {what}.")


def _require_host(actor: Actor, partnership: Partnership) -> None:
    actor.require_write()
    if _side(actor, partnership) != Side.HOST:
        raise PermissionDenied(f"Only {partnership.host.name} decides on its referrals.")


def _website(value: str) -> tuple[str, str]:
    """The website to store and its registrable domain; both blank when none was given."""
    if not (value or "").strip():
        return "", ""
    try:
        return normalize_website(value)
    except InvalidWebsite as exc:
        raise ValidationError({"website": str(exc)}) from exc


def _clean_details(
    *, company: str, website: str, contact_name: str, contact_email: str, notes: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    company = (company or "").strip()
    if not company:
        errors["company"] = "Give the name of the company you refer."
    contact_email = (contact_email or "").strip()
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            errors["contact_email"] = "Give the contact's e-mail address, e.g. dana@example.com."
    try:
        stored, domain = _website(website)
    except ValidationError as exc:
        errors["website"] = exc.message_dict["website"][0]
        stored, domain = "", ""
    if errors:
        raise ValidationError(errors)
    return {
        "company": company[:200],
        "website": stored[:300],
        "domain": domain,
        "name_key": normalize_company_name(company),
        "contact_name": (contact_name or "").strip()[:200],
        "contact_email": contact_email,
        "notes": (notes or "").strip(),
    }


def _change(
    referral: Referral, *, actor: Actor, side: str, from_state: str, to_state: str, reason: str
) -> ReferralChange:
    return ReferralChange.objects.create(
        referral=referral,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        side=side,
        changed_by=actor.user,
    )


def _lock(referral: Referral, version: int | None) -> Referral:
    """The referral as it is now, locked for this transaction; a stale version is refused."""
    current = Referral.objects.select_for_update().get(pk=referral.pk)
    if version is not None and current.version != version:
        raise ConcurrentEdit(
            "Someone changed this referral after you opened it. Nothing was saved: here it "
            "is as it is now."
        )
    return current


def _saved(referral: Referral, locked: Referral, fields: list[str]) -> Referral:
    locked.version += 1
    locked.save(update_fields=[*fields, "version", "updated_at"])
    for name in [*fields, "version", "updated_at"]:
        setattr(referral, name, getattr(locked, name))
    return referral


# --- the partner ------------------------------------------------------------------------


@transaction.atomic
def referral_register(
    *,
    actor: Actor,
    partnership: Partnership,
    company: str,
    website: str = "",
    contact_name: str = "",
    contact_email: str = "",
    notes: str = "",
    attribution: str = Attribution.SOURCED,
) -> Referral:
    """The partner brings a company to the host. The duplicate and conflict check runs at
    once and its findings are kept for the host; the host's response clock starts."""
    _require_partner(actor, partnership, "registers referrals with its host")
    if partnership.stage == Stage.ENDED:
        raise ValidationError("This partnership has ended: it takes no new referrals.")
    details = _clean_details(
        company=company,
        website=website,
        contact_name=contact_name,
        contact_email=contact_email,
        notes=notes,
    )
    if attribution not in Attribution.values:
        raise ValidationError({"attribution": "Choose sourced or influenced."})
    conflicts = find_conflicts(
        host=partnership.host,
        domain=details["domain"],
        name_key=details["name_key"],
        partnership_id=partnership.pk,
    )
    referral = Referral.objects.create(
        host=partnership.host,
        partnership=partnership,
        attribution=attribution,
        conflicts=conflicts,
        submitted_by=actor.user,
        **details,
    )
    _change(
        referral,
        actor=actor,
        side=Side.PARTNER,
        from_state="",
        to_state=ReferralStatus.SUBMITTED,
        reason="",
    )
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=Side.PARTNER,
        kind="referral",
        summary=f"Referral registered: {referral.company}",
    )
    request_opened(
        partnership=partnership,
        kind=REQUEST_KIND,
        subject_code=referral.code,
        asked_by=actor.user,
        summary=referral.company,
    )
    _reach(
        actor,
        partnership,
        key=FIRST_REFERRAL_KEY,
        title=f"First referral: {referral.company}",
        reached_on=timezone.localdate(),
    )
    return referral


@transaction.atomic
def referral_edit(*, actor: Actor, referral: Referral, version: int, **fields: Any) -> Referral:
    """The partner corrects its referral while it waits for a decision; the check runs
    again when the company or website changes."""
    partnership = referral.partnership
    _require_partner(actor, partnership, "edits the referrals it registered")
    allowed = {"company", "website", "contact_name", "contact_email", "notes"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    locked = _lock(referral, version)
    if locked.status != ReferralStatus.SUBMITTED:
        raise ValidationError(
            "The host has decided on this referral: it can no longer be edited. Add what "
            "changed as a note in the workspace instead."
        )
    current = {
        "company": locked.company,
        "website": locked.website,
        "contact_name": locked.contact_name,
        "contact_email": locked.contact_email,
        "notes": locked.notes,
    }
    merged = {**current, **{k: v for k, v in fields.items() if v is not None}}
    details = _clean_details(**merged)
    recheck = details["domain"] != locked.domain or details["name_key"] != locked.name_key
    for name, value in details.items():
        setattr(locked, name, value)
    changed = list(details)
    if recheck:
        locked.conflicts = find_conflicts(
            host=locked.host,
            domain=locked.domain,
            name_key=locked.name_key,
            partnership_id=locked.partnership_id,
            exclude=[locked.pk],
        )
        changed.append("conflicts")
    return _saved(referral, locked, changed)


# --- the host ---------------------------------------------------------------------------


@transaction.atomic
def referral_decide(
    *, actor: Actor, referral: Referral, decision: str, reason: str = "", version: int | None
) -> Referral:
    """Accept or decline a waiting referral; declining needs a reason the partner reads
    (and only that: the conflict findings stay with the host)."""
    partnership = referral.partnership
    _require_host(actor, partnership)
    reason = (reason or "").strip()
    if decision not in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED):
        raise ValidationError({"decision": "Choose accept or decline."})
    if decision == ReferralStatus.DECLINED and not reason:
        raise ValidationError(
            {"reason": f"Say why you decline: {partnership.partner.name} reads this reason."}
        )
    locked = _lock(referral, version)
    if locked.status == ReferralStatus.ACCEPTED:
        raise ValidationError("This referral was already accepted: change its stage instead.")
    if locked.status == ReferralStatus.DECLINED:
        raise ValidationError("This referral was already declined.")
    locked.status = decision
    locked.decision_reason = reason
    locked.decided_at = timezone.now()
    locked.decided_by = actor.user
    _saved(referral, locked, ["status", "decision_reason", "decided_at", "decided_by"])
    _change(
        referral,
        actor=actor,
        side=Side.HOST,
        from_state=ReferralStatus.SUBMITTED,
        to_state=decision,
        reason=reason,
    )
    verb = "accepted" if decision == ReferralStatus.ACCEPTED else "declined"
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=Side.HOST,
        kind="referral",
        summary=f"Referral {verb}: {referral.company}" + (f" — {reason}" if reason else ""),
    )
    request_answered(
        partnership=partnership,
        kind=REQUEST_KIND,
        subject_code=referral.code,
        answered_by=actor.user,
    )
    return referral


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValidationError({"amount": "Give an amount, e.g. 12500 or 12500.50."}) from exc
    if not amount.is_finite():
        raise ValidationError({"amount": "Give an amount, e.g. 12500 or 12500.50."})
    if amount < 0:
        raise ValidationError({"amount": "An amount cannot be negative."})
    if amount >= Decimal("1e12"):
        raise ValidationError({"amount": "That amount is too large: check the digits."})
    return amount.quantize(Decimal("0.01"))


def _money(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:,.2f}"


@transaction.atomic
def referral_set_stage(
    *,
    actor: Actor,
    referral: Referral,
    stage: str,
    reason: str,
    amount: Any = None,
    attribution: str | None = None,
    closed_on: date | None = None,
    version: int | None,
) -> Referral:
    """Move an accepted referral through the host's sales stages, always with a reason.
    Won needs an amount; won and lost are dated (today unless said); leaving them reopens.
    The first won referral of a partnership records its "first revenue" milestone."""
    partnership = referral.partnership
    _require_host(actor, partnership)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if stage not in ReferralStage.values:
        errors["stage"] = "Choose new, qualified, proposal, won or lost."
    if not reason:
        errors["reason"] = (
            f"Say why it moves: {partnership.partner.name} reads this in the referral's history."
        )
    if attribution not in (None, "") and attribution not in Attribution.values:
        errors["attribution"] = "Choose sourced or influenced."
    try:
        money = _amount(amount)
    except ValidationError as exc:
        errors["amount"] = exc.message_dict["amount"][0]
        money = None
    closing = stage in CLOSED_STAGES
    today = timezone.localdate()
    if closing and closed_on is not None and closed_on > today:
        errors["closed_on"] = "A deal cannot close in the future: give today or an earlier day."
    if errors:
        raise ValidationError(errors)
    locked = _lock(referral, version)
    if locked.status != ReferralStatus.ACCEPTED:
        raise ValidationError("Accept the referral first: only accepted referrals have a stage.")
    if not closing:
        new_closed_on = None  # back from won or lost: reopened
    elif closed_on is not None:
        new_closed_on = closed_on
    else:
        new_closed_on = locked.closed_on if locked.stage == stage else today
    # An amount not given keeps the one recorded (a lost deal may have none).
    new_amount = money if money is not None else locked.amount
    if stage == ReferralStage.WON and new_amount is None:
        raise ValidationError({"amount": "Give the amount won (0 or more)."})
    new_attribution = attribution or locked.attribution
    if (
        stage == locked.stage
        and new_amount == locked.amount
        and new_attribution == locked.attribution
        and new_closed_on == locked.closed_on
    ):
        raise ValidationError({"stage": "Nothing changes: choose another stage or amount."})
    from_stage = locked.stage
    locked.stage = stage
    locked.amount = new_amount
    locked.attribution = new_attribution
    locked.closed_on = new_closed_on
    _saved(referral, locked, ["stage", "amount", "attribution", "closed_on"])
    _change(
        referral, actor=actor, side=Side.HOST, from_state=from_stage, to_state=stage, reason=reason
    )
    label = ReferralStage(stage).label
    figure = f" ({_money(new_amount)})" if new_amount is not None and closing else ""
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=Side.HOST,
        kind="referral",
        summary=f"Referral {referral.company}: {label}{figure} — {reason}",
    )
    if stage == ReferralStage.WON and from_stage != ReferralStage.WON:
        _reach(
            actor,
            partnership,
            key=FIRST_REVENUE_KEY,
            title=f"First revenue: {referral.company}",
            reached_on=new_closed_on or today,
        )
    return referral


def _reach(
    actor: Actor, partnership: Partnership, *, key: str, title: str, reached_on: date
) -> None:
    """A milestone reached by a referral: recorded once (with its own date), the plan's step
    of that key done when the plan has it open, and the partnership's health refreshed."""
    milestone_record(
        partnership=partnership, key=key, title=title, reached_on=reached_on, actor=actor
    )
    step_complete_by_key(actor=actor, partnership=partnership, key=key, evidence=title)
    # Referrals and milestones are results: motivation moves now, not at the daily run.
    from partnerloop.health.services import refresh_partnership_health

    refresh_partnership_health(partnership)


# --- known accounts ---------------------------------------------------------------------


def _account_status(value: str) -> str | None:
    text = (value or "").strip().lower()
    if not text:
        return AccountStatus.CUSTOMER
    for status, label in AccountStatus.choices:
        if text in (status, label.lower()):
            return status
    if text in ("opp", "open opp", "opportunity open"):
        return AccountStatus.OPPORTUNITY
    return None


@transaction.atomic
def known_account_add(
    *,
    actor: Actor,
    name: str,
    website: str = "",
    status: str = AccountStatus.CUSTOMER,
    owner: str = "",
) -> KnownAccount:
    """An account the organization already knows: referrals for it show as conflicts."""
    actor.require_manage()
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Give the account's company name."
    parsed = _account_status(status)
    if parsed is None:
        errors["status"] = "Choose customer, open opportunity or prospect."
    try:
        _stored, domain = _website(website)
    except ValidationError as exc:
        errors["website"] = exc.message_dict["website"][0]
        domain = ""
    if domain and "website" not in errors:
        existing = KnownAccount.objects.filter(host=actor.organization, domain=domain).first()
        if existing is not None:
            errors["website"] = f"{domain} is already in your list, as {existing.name}."
    if errors:
        raise ValidationError(errors)
    return KnownAccount.objects.create(
        host=actor.organization,
        name=name[:200],
        domain=domain,
        name_key=normalize_company_name(name),
        status=parsed,
        owner=(owner or "").strip()[:200],
        added_by=actor.user,
    )


@dataclass
class ImportReport:
    added: int = 0
    skipped: list[str] = field(default_factory=list)


HEADER_NAMES = {"name", "company", "company name", "account", "account name", "organization"}


@transaction.atomic
def known_accounts_import(*, actor: Actor, text: str) -> ImportReport:
    """Lines of "Company name, domain or website, status[, owner]" (pasted, or a CSV file
    in any dialect the csv Sniffer recognizes; a header row is skipped). All or nothing:
    one bad row and nothing is added, with every row's problem listed. Accounts already in
    the list (same domain, or same name when no domain) are skipped and reported."""
    actor.require_manage()
    text = (text or "").lstrip("\ufeff")
    if not text.strip():
        raise ValidationError({"text": "Paste at least one line: Company name, website, status."})
    reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text=text))
    # (line number in the text, cells): messages name the line as the person sees it.
    rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if rows and rows[0][1][0].strip().lower() in HEADER_NAMES:
        rows = rows[1:]
    if len(rows) > IMPORT_MAX_ROWS:
        raise ValidationError(
            {"text": f"{len(rows)} lines: import at most {IMPORT_MAX_ROWS} at a time."}
        )
    host = actor.organization
    known_domains = set(
        KnownAccount.objects.filter(host=host).exclude(domain="").values_list("domain", flat=True)
    )
    known_names = set(
        KnownAccount.objects.filter(host=host, domain="").values_list("name_key", flat=True)
    )
    errors: list[str] = []
    report = ImportReport()
    new: list[KnownAccount] = []
    for number, row in rows:
        cells = [c.strip() for c in row] + ["", "", "", ""]
        name, website, status_text, owner = cells[:4]
        problems = []
        if not name:
            problems.append("the company name is missing")
        domain = ""
        if website:
            try:
                _stored, domain = normalize_website(website)
            except InvalidWebsite:
                problems.append(f"“{website}” is not a website, e.g. example.com")
        status = _account_status(status_text)
        if status is None:
            problems.append(f"“{status_text}” is not a status (customer, opportunity, prospect)")
        if problems:
            errors.append(f"Line {number}: {'; '.join(problems)}.")
            continue
        key = normalize_company_name(name)
        if (domain and domain in known_domains) or (not domain and key in known_names):
            report.skipped.append(
                f"Line {number}: {name} ({domain or 'no website'}) is already in the list."
            )
            continue
        if domain:
            known_domains.add(domain)
        else:
            known_names.add(key)
        new.append(
            KnownAccount(
                host=host,
                name=name[:200],
                domain=domain,
                name_key=key,
                status=status,
                owner=owner[:200],
                added_by=actor.user,
            )
        )
    if errors:
        raise ValidationError({"text": errors})
    KnownAccount.objects.bulk_create(new)
    report.added = len(new)
    return report


@transaction.atomic
def known_account_delete(*, actor: Actor, account: KnownAccount) -> None:
    actor.require_manage()
    if account.host_id != actor.organization.pk:
        raise PermissionDenied("This account is not in your list.")
    account.delete()
