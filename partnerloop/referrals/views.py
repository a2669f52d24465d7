"""Referral pages: inside a partnership under /o/<org>/p/<code>/referrals/, and across
partnerships (with the known accounts) under /o/<org>/referrals/.

The host's pages that show the conflict findings (decide, stage) answer 404 to the partner
side, as if they did not exist; the partner's forms (register, edit) answer 403 to the
host side, whose users can see the referral but not act for the partner.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerloop.core.csvsafe import csv_response
from partnerloop.core.tenancy import Actor
from partnerloop.core.views import add_service_errors, org_view
from partnerloop.partnerships.imports import (
    PartnerImportError,
    decode_csv,
    max_bytes,
    read_limited,
)
from partnerloop.partnerships.models import Partnership, Side
from partnerloop.partnerships.selectors import partnership_for
from partnerloop.partnerships.services import ConcurrentEdit
from partnerloop.referrals import selectors, services
from partnerloop.referrals.forms import (
    DecideForm,
    KnownAccountForm,
    KnownAccountImportForm,
    ReferralForm,
    StageForm,
)
from partnerloop.referrals.models import (
    AccountStatus,
    Attribution,
    Referral,
    ReferralStage,
    ReferralStatus,
)

LIST_LIMIT = 500


def _context(actor: Actor, partnership: Partnership, side: str, **extra: Any) -> dict[str, Any]:
    return {
        "actor": actor,
        "p": partnership,
        "is_host": side == Side.HOST,
        "other_name": partnership.partner.name if side == Side.HOST else partnership.host.name,
        **extra,
    }


def _detail(actor: Actor, code: str, referral: str) -> HttpResponse:
    return redirect("referral_detail", org=actor.organization.code, code=code, referral=referral)


def _require_partner_side(partnership: Partnership, side: str) -> None:
    if side != Side.PARTNER:
        raise PermissionDenied(
            f"Only {partnership.partner.name} registers and edits its referrals: open the "
            "referral to decide on it."
        )


def _require_host_side(side: str) -> None:
    if side != Side.HOST:
        raise Http404("No such page.")


def _filter_query(filters: selectors.ReferralFilters) -> str:
    return urlencode({k: v for k, v in vars(filters).items() if v})


def _choices() -> dict[str, Any]:
    return {
        "statuses": ReferralStatus.choices,
        "stages": ReferralStage.choices,
        "attributions": Attribution.choices,
    }


# --- inside a partnership ---------------------------------------------------------------


@require_GET
@org_view
def referral_list(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    filters = selectors.ReferralFilters.from_query(request.GET)
    filters.partnership = ""
    filters.side = ""
    referrals = list(selectors.referrals_for(partnership=partnership, filters=filters)[:LIST_LIMIT])
    return render(
        request,
        "referrals/list.html",
        _context(
            actor,
            partnership,
            side,
            referrals=referrals,
            filters=filters,
            query=_filter_query(filters),
            **_choices(),
        ),
    )


@require_http_methods(["GET", "POST"])
@org_view
def referral_new(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    _require_partner_side(partnership, side)
    form = ReferralForm()
    if request.method == "POST":
        actor.require_write()
        form = ReferralForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            data.pop("version", None)
            try:
                referral = services.referral_register(actor=actor, partnership=partnership, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"Registered. {partnership.host.name} decides on it; you will see the "
                    "decision and its reason here.",
                )
                return _detail(actor, code, referral.code)
    return render(
        request,
        "referrals/form.html",
        _context(actor, partnership, side, form=form),
        status=400 if form.errors else 200,
    )


@require_GET
@org_view
def referral_detail(request: HttpRequest, actor: Actor, code: str, referral: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    found = selectors.referral_for(partnership=partnership, code=referral)
    return render(
        request,
        "referrals/detail.html",
        _context(
            actor,
            partnership,
            side,
            referral=found,
            changes=selectors.changes_for(referral=found),
            conflicts=selectors.conflicts_for(referral=found, side=side),
        ),
    )


@require_http_methods(["GET", "POST"])
@org_view
def referral_edit(request: HttpRequest, actor: Actor, code: str, referral: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    found = selectors.referral_for(partnership=partnership, code=referral)
    _require_partner_side(partnership, side)
    initial = {
        "company": found.company,
        "website": found.website,
        "contact_name": found.contact_name,
        "contact_email": found.contact_email,
        "notes": found.notes,
        "version": found.version,
    }
    form = ReferralForm(initial=initial, editing=True)
    status = 200
    if request.method == "POST":
        actor.require_write()
        form = ReferralForm(request.POST, editing=True)
        if form.is_valid():
            data = form.cleaned_data
            version = data.pop("version") or 0
            try:
                services.referral_edit(actor=actor, referral=found, version=version, **data)
            except ConcurrentEdit as exc:
                found.refresh_from_db()
                messages.error(request, str(exc))
                form = ReferralForm(
                    initial={**initial, **_fields(found), "version": found.version}, editing=True
                )
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Saved.")
                return _detail(actor, code, found.code)
        if form.errors:
            status = 400
    elif found.status != ReferralStatus.SUBMITTED:
        messages.info(request, "The host has decided on this referral: it can no longer be edited.")
        return _detail(actor, code, found.code)
    return render(
        request,
        "referrals/form.html",
        _context(actor, partnership, side, form=form, referral=found),
        status=status,
    )


def _fields(referral: Referral) -> dict[str, Any]:
    return {
        "company": referral.company,
        "website": referral.website,
        "contact_name": referral.contact_name,
        "contact_email": referral.contact_email,
        "notes": referral.notes,
    }


@require_http_methods(["GET", "POST"])
@org_view
def referral_decide(request: HttpRequest, actor: Actor, code: str, referral: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    _require_host_side(side)
    found = selectors.referral_for(partnership=partnership, code=referral)
    form = DecideForm(initial={"version": found.version})
    status = 200
    if request.method == "POST":
        actor.require_write()
        form = DecideForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.referral_decide(
                    actor=actor,
                    referral=found,
                    decision=data["decision"],
                    reason=data["reason"],
                    version=data["version"],
                )
            except ConcurrentEdit as exc:
                found.refresh_from_db()
                messages.error(request, str(exc))
                form = DecideForm(initial={"version": found.version})
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                verb = "accepted" if found.status == ReferralStatus.ACCEPTED else "declined"
                messages.success(
                    request, f"Referral {verb}. {partnership.partner.name} sees your decision."
                )
                return _detail(actor, code, found.code)
        if form.errors:
            status = 400
    return render(
        request,
        "referrals/decide.html",
        _context(
            actor,
            partnership,
            side,
            referral=found,
            form=form,
            conflicts=selectors.conflicts_for(referral=found, side=side),
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@org_view
def referral_stage(request: HttpRequest, actor: Actor, code: str, referral: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    _require_host_side(side)
    found = selectors.referral_for(partnership=partnership, code=referral)
    initial = {
        "stage": found.stage,
        "amount": found.amount,
        "attribution": found.attribution,
        "closed_on": found.closed_on,
        "version": found.version,
    }
    form = StageForm(initial=initial)
    status = 200
    if request.method == "POST":
        actor.require_write()
        form = StageForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.referral_set_stage(actor=actor, referral=found, **data)
            except ConcurrentEdit as exc:
                found.refresh_from_db()
                messages.error(request, str(exc))
                form = StageForm(
                    initial={
                        "stage": found.stage,
                        "amount": found.amount,
                        "attribution": found.attribution,
                        "closed_on": found.closed_on,
                        "version": found.version,
                    }
                )
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Now {found.get_stage_display().lower()}.")
                return _detail(actor, code, found.code)
        if form.errors:
            status = 400
    return render(
        request,
        "referrals/stage.html",
        _context(actor, partnership, side, referral=found, form=form),
        status=status,
    )


def _conflict_summary(conflicts: Iterable[dict[str, Any]]) -> str:
    parts = []
    for f in conflicts:
        if f.get("kind") == "known_account":
            parts.append(f"known account {f.get('name')} ({f.get('status')}; {f.get('match')})")
        else:
            parts.append(
                f"referral {f.get('company')} by {f.get('partner')} "
                f"({f.get('status')}; {f.get('match')})"
            )
    return "; ".join(parts)


HEADER = [
    "code",
    "company",
    "website",
    "domain",
    "contact",
    "contact e-mail",
    "notes",
    "status",
    "stage",
    "attribution",
    "amount",
    "closed on",
    "submitted at",
    "submitted by",
    "decided at",
    "decision reason",
]


def _cells(r: Referral) -> list[object]:
    accepted = r.status == ReferralStatus.ACCEPTED
    return [
        r.code,
        r.company,
        r.website,
        r.domain,
        r.contact_name,
        r.contact_email,
        r.notes,
        r.status,
        r.stage if accepted else "",
        r.attribution,
        "" if r.amount is None else r.amount,
        r.closed_on.isoformat() if r.closed_on else "",
        r.submitted_at.isoformat(timespec="seconds"),
        r.submitted_by.email if r.submitted_by else "",
        r.decided_at.isoformat(timespec="seconds") if r.decided_at else "",
        r.decision_reason,
    ]


@require_GET
@org_view
def referral_export(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """The partnership's referrals as CSV; the host's file adds the conflict findings."""
    partnership, side = partnership_for(actor=actor, code=code)
    filters = selectors.ReferralFilters.from_query(request.GET)
    filters.partnership = ""
    qs = selectors.referrals_for(partnership=partnership, filters=filters)
    is_host = side == Side.HOST
    rows: Iterable[Sequence[object]] = (
        [*_cells(r), _conflict_summary(r.conflicts)] if is_host else _cells(r)
        for r in qs.iterator(chunk_size=500)
    )
    return csv_response(
        filename=f"referrals-{partnership.code}.csv",
        header=[*HEADER, "conflicts"] if is_host else HEADER,
        rows=rows,
    )


# --- across partnerships ----------------------------------------------------------------


@require_GET
@org_view
def referrals_all(request: HttpRequest, actor: Actor) -> HttpResponse:
    filters = selectors.ReferralFilters.from_query(request.GET)
    referrals = list(selectors.org_referrals(actor=actor, filters=filters)[:LIST_LIMIT])
    org_id = actor.organization.pk
    rows = [(r, r.partnership.side_of(org_id)) for r in referrals]
    return render(
        request,
        "referrals/all.html",
        {
            "actor": actor,
            "rows": rows,
            "limit": LIST_LIMIT,
            "filters": filters,
            "query": _filter_query(filters),
            **_choices(),
        },
    )


@require_GET
@org_view
def referrals_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Every referral the organization may read; conflicts only on the hosted ones."""
    filters = selectors.ReferralFilters.from_query(request.GET)
    org_id = actor.organization.pk

    def rows() -> Iterable[Sequence[object]]:
        qs = selectors.org_referrals(actor=actor, filters=filters)
        for r in qs.iterator(chunk_size=500):
            side = r.partnership.side_of(org_id)
            yield [
                r.partnership.code,
                r.partnership.host.name,
                r.partnership.partner.name,
                side,
                *_cells(r),
                _conflict_summary(r.conflicts) if side == Side.HOST else "",
            ]

    return csv_response(
        filename=f"referrals-{actor.organization.code}.csv",
        header=["partnership", "host", "partner", "your side", *HEADER, "conflicts"],
        rows=rows(),
    )


# --- known accounts ---------------------------------------------------------------------


def _known_page(
    request: HttpRequest,
    actor: Actor,
    *,
    add_form: KnownAccountForm | None = None,
    import_form: KnownAccountImportForm | None = None,
    import_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    accounts = list(selectors.known_accounts_for(actor=actor, q=q)[:LIST_LIMIT])
    return render(
        request,
        "referrals/known_accounts.html",
        {
            "actor": actor,
            "accounts": accounts,
            "limit": LIST_LIMIT,
            "q": q,
            "add_form": add_form or KnownAccountForm(),
            "import_form": import_form or KnownAccountImportForm(),
            "import_errors": import_errors or [],
            "statuses": AccountStatus.choices,
        },
        status=status,
    )


def _known_back(actor: Actor) -> HttpResponse:
    return redirect(reverse("known_accounts", kwargs={"org": actor.organization.code}))


@require_GET
@org_view
def known_accounts(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _known_page(request, actor)


@require_POST
@org_view
def known_account_add(request: HttpRequest, actor: Actor) -> HttpResponse:
    actor.require_manage()
    form = KnownAccountForm(request.POST)
    if form.is_valid():
        try:
            account = services.known_account_add(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{account.name} is in your list of known accounts.")
            return _known_back(actor)
    return _known_page(request, actor, add_form=form, status=400)


@require_POST
@org_view
def known_accounts_import(request: HttpRequest, actor: Actor) -> HttpResponse:
    actor.require_manage()
    form = KnownAccountImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _known_page(request, actor, import_form=form, status=400)
    text = form.cleaned_data["text"] or ""
    upload = form.cleaned_data["file"]
    try:
        if upload is not None:
            data = read_limited(stream=upload, size=upload.size, limit=max_bytes())
            text, _encoding = decode_csv(data=data)
        report = services.known_accounts_import(actor=actor, text=text)
    except PartnerImportError as exc:
        return _known_page(
            request, actor, import_form=form, import_errors=[exc.message], status=400
        )
    except ValidationError as exc:
        errors = (
            [m for e in exc.error_dict.get("text", []) for m in e.messages]
            if hasattr(exc, "error_dict")
            else list(exc.messages)
        )
        return _known_page(request, actor, import_form=form, import_errors=errors, status=400)
    messages.success(
        request,
        f"{report.added} account{'s' if report.added != 1 else ''} added"
        + (f", {len(report.skipped)} already in the list and skipped." if report.skipped else "."),
    )
    for line in report.skipped[:10]:
        messages.info(request, line)
    if len(report.skipped) > 10:
        messages.info(request, f"… and {len(report.skipped) - 10} more already in the list.")
    return _known_back(actor)


@require_POST
@org_view
def known_account_delete(request: HttpRequest, actor: Actor, account: str) -> HttpResponse:
    found = selectors.known_account_for(actor=actor, code=account)
    services.known_account_delete(actor=actor, account=found)
    messages.success(request, f"{found.name} is no longer in your list.")
    return _known_back(actor)
