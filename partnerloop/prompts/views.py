"""The inbox, prompt rules and overrides, check-ins, and the effectiveness report."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerloop.core.tenancy import Actor
from partnerloop.core.views import add_service_errors, org_view
from partnerloop.partnerships.models import Side
from partnerloop.partnerships.selectors import partnership_for
from partnerloop.partnerships.services import ConcurrentEdit
from partnerloop.prompts import selectors, services
from partnerloop.prompts.forms import CadenceForm, CheckInForm, OverrideForm, RuleForm
from partnerloop.prompts.models import Prompt, PromptKind
from partnerloop.prompts.rules import DEFAULT_DAYS

INBOX_PAGE = 30

# What the "days" of each kind of rule means, for the rule form.
DAYS_MEANING = {
    PromptKind.CADENCE: "Propose a review this many days after each occurrence (empty: none)",
    PromptKind.EVENT: "Remind this many days before a review or joint event",
    PromptKind.MILESTONE: "Celebrate milestones reached within this many days",
    PromptKind.FIRST_REVENUE: "Celebrate first revenue reached within this many days",
    PromptKind.STEP_OVERDUE: "Nudge when a step is overdue by this many days",
    PromptKind.SILENCE: "Re-engage after this many days without partner activity",
    PromptKind.DID_IT_WORK: "Ask “did it work?” this many days after a step is done",
    PromptKind.REEVALUATE_FIT: "Ask to re-evaluate within this many days of a new version",
    PromptKind.REQUEST_WAITING: "Remind after this many days (empty: the response targets)",
    PromptKind.SHARE_BACK: "Ask once the other side has shared for this many days",
}


def prompt_target(prompt: Prompt, org_code: str) -> str:
    """Where a prompt takes its reader: the place its action is done."""
    code = prompt.partnership.code
    workspace = reverse("workspace", kwargs={"org": org_code, "code": code})
    if prompt.action == "check_in":
        return reverse("check_in", kwargs={"org": org_code, "code": code})
    if prompt.action == "checklist":
        return reverse("fit_checklist", kwargs={"org": org_code, "code": code})
    if prompt.action in ("step_done", "did_it_work") and prompt.subject_code:
        return f"{workspace}#step-{prompt.subject_code}"
    if prompt.kind in (PromptKind.EVENT,) or prompt.action == "confirm_event":
        return f"{workspace}#reviews"
    if prompt.action == "answer_referral" and prompt.subject_code:
        return reverse(
            "referral_detail",
            kwargs={"org": org_code, "code": code, "referral": prompt.subject_code},
        )
    if prompt.action == "share_overlap":
        return reverse("overlap_sharing", kwargs={"org": org_code, "code": code})
    if prompt.action == "answer_check_in":
        return f"{workspace}#check-in"
    if prompt.action == "answer_comment":
        # The thread is an activity's, or else a note's.
        from partnerloop.activities.models import Activity

        if Activity.objects.filter(
            partnership=prompt.partnership, code=prompt.subject_code
        ).exists():
            return reverse(
                "activity_detail",
                kwargs={"org": org_code, "code": code, "activity": prompt.subject_code},
            )
        return f"{workspace}#notes"
    return f"{workspace}#plan"


@require_GET
@org_view
def inbox(request: HttpRequest, actor: Actor) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(
        selectors.inbox_for(actor=actor, unread_only=unread_only), INBOX_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "prompts/inbox.html",
        {
            "actor": actor,
            "page": page,
            "unread_only": unread_only,
        },
    )


@require_GET
@org_view
def prompt_open(request: HttpRequest, actor: Actor, prompt: str) -> HttpResponse:
    found = selectors.prompt_for(actor=actor, code=prompt)
    services.prompt_open(actor=actor, prompt=found)
    return redirect(prompt_target(found, actor.organization.code))


@require_POST
@org_view
def prompts_read_all(request: HttpRequest, actor: Actor) -> HttpResponse:
    count = services.prompts_mark_all_read(actor=actor)
    messages.success(request, f"{count} prompt{'s' if count != 1 else ''} marked read.")
    return redirect("prompts_inbox", org=actor.organization.code)


@require_http_methods(["GET", "POST"])
@org_view
def prompt_rules(request: HttpRequest, actor: Actor) -> HttpResponse:
    hosts = actor.organization.hosted_partnerships.exists()
    if hosts:
        services.ensure_default_rules(actor.organization)
    form = CadenceForm()
    if request.method == "POST":
        actor.require_manage()
        form = CadenceForm(request.POST)
        if form.is_valid():
            try:
                rule = services.cadence_create(actor=actor, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"“{rule.name}” now prompts every partnership.")
                return redirect("prompt_rules", org=actor.organization.code)
    return render(
        request,
        "prompts/rules.html",
        {
            "actor": actor,
            "rules": list(selectors.rules_of(actor=actor)),
            "hosts": hosts,
            "form": form,
            "default_days": DEFAULT_DAYS,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@org_view
def prompt_rule_edit(request: HttpRequest, actor: Actor, rule: str) -> HttpResponse:
    found = selectors.rule_for(actor=actor, code=rule)
    actor.require_manage()
    initial = {
        "name": found.name,
        "enabled": found.enabled,
        "audience": found.audience,
        "rrule": found.rrule,
        "days": found.days,
        "follow_days": found.follow_days,
        "version": found.version,
    }
    form = RuleForm(initial=initial)
    status = 200
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.rule_update(
                    actor=actor,
                    rule=found,
                    version=data.pop("version") or 0,
                    **data,
                )
            except ConcurrentEdit as exc:
                found.refresh_from_db()
                messages.error(request, str(exc))
                form = RuleForm(initial={**initial, "version": found.version})
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"“{found.name}” saved.")
                return redirect("prompt_rules", org=actor.organization.code)
        if form.errors:
            status = 400
    form.fields["days"].help_text = DAYS_MEANING.get(found.kind, "")
    if found.kind != PromptKind.CADENCE:
        del form.fields["rrule"]
    return render(
        request,
        "prompts/rule_edit.html",
        {"actor": actor, "rule": found, "form": form},
        status=status,
    )


@require_GET
@org_view
def prompt_effectiveness(request: HttpRequest, actor: Actor) -> HttpResponse:
    report = selectors.prompt_effectiveness(actor=actor)
    sent = [row for row in report if row.sent]
    chart = {
        "type": "bar",
        "data": {
            "labels": [row.label for row in sent],
            "datasets": [
                {
                    "label": "Followed within the window (%)",
                    "data": [round(100 * (row.rate or 0)) for row in sent],
                    "backgroundColor": "#3c71f7",
                }
            ],
        },
        "options": {
            "indexAxis": "y",
            "scales": {"x": {"min": 0, "max": 100}},
            "plugins": {"legend": {"display": False}},
        },
    }
    return render(
        request,
        "prompts/effectiveness.html",
        {"actor": actor, "report": report, "chart": chart, "any_sent": bool(sent)},
    )


@require_http_methods(["GET", "POST"])
@org_view
def check_in(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    form = CheckInForm()
    if request.method == "POST":
        actor.require_write()
        form = CheckInForm(request.POST)
        if form.is_valid():
            try:
                services.check_in_submit(actor=actor, partnership=partnership, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Thank you: your check-in is in the workspace.")
                response = redirect("workspace", org=actor.organization.code, code=code)
                response["Location"] += "#reviews"
                return response
    return render(
        request,
        "prompts/check_in.html",
        {
            "actor": actor,
            "p": partnership,
            "is_host": side == Side.HOST,
            "form": form,
            "recent": list(selectors.check_ins_for(partnership=partnership, side=side)[:5]),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@org_view
def prompt_overrides(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, side = partnership_for(actor=actor, code=code)
    if side != Side.HOST:
        raise Http404("No such page.")  # the host's prompt settings are its own business
    rules = services.ensure_default_rules(actor.organization)
    overrides = selectors.overrides_for(partnership=partnership)
    errors: dict[str, str] = {}
    if request.method == "POST":
        actor.require_manage()
        rule = next((r for r in rules if r.code == request.POST.get("rule")), None)
        if rule is None:
            errors[""] = "Choose one of the rules listed."
            messages.error(request, errors[""])
        else:
            form = OverrideForm(request.POST)
            if form.is_valid():
                try:
                    services.override_set(
                        actor=actor, partnership=partnership, rule=rule, **form.cleaned_data
                    )
                except ValidationError as exc:
                    errors[rule.code] = " ".join(
                        m for messages_ in exc.message_dict.values() for m in messages_
                    )
                else:
                    messages.success(
                        request, f"“{rule.name}” saved for {partnership.partner.name}."
                    )
                    return redirect("prompt_overrides", org=actor.organization.code, code=code)
            else:
                errors[rule.code] = " ".join(e for errs in form.errors.values() for e in errs)
    rows = [
        {
            "rule": rule,
            "override": overrides.get(rule.pk),
            "error": errors.get(rule.code, ""),
        }
        for rule in rules
    ]
    return render(
        request,
        "prompts/overrides.html",
        {"actor": actor, "p": partnership, "rows": rows},
        status=400 if errors else 200,
    )
