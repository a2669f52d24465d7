"""Account-list pages under /o/<org>/mapping/: lists, upload, column mapping, progress,
history, population rules and the CSV export. Every page reads only the organization's own
lists; another organization's list, upload or population is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerloop.core.csvsafe import csv_response
from partnerloop.core.tenancy import Actor
from partnerloop.core.views import add_service_errors, org_view
from partnerloop.mapping import imports, selectors, services
from partnerloop.mapping.forms import (
    NEW_LIST,
    MappingForm,
    PopulationCreateForm,
    RulesForm,
    UploadForm,
)
from partnerloop.mapping.models import AccountUpload, UploadStatus

SAMPLE_ROWS = 50
# Multipart overhead allowed above the file size cap before the body is refused unread.
BODY_SLACK = 64 * 1024


def _populations(actor: Actor) -> list[Any]:
    services.populations_ensure(organization=actor.organization)
    return selectors.populations(organization=actor.organization)


@require_GET
@org_view
def lists(request: HttpRequest, actor: Actor) -> HttpResponse:
    populations = _populations(actor)
    summaries = selectors.list_summaries(actor=actor)
    for summary in summaries:
        summary.cells = [summary.counts.get(p.key, 0) for p in populations]  # type: ignore[attr-defined]
    context = {
        "actor": actor,
        "summaries": summaries,
        "populations": populations,
        "recent": selectors.uploads_recent(actor=actor, limit=10),
    }
    return render(request, "mapping/lists.html", context)


def _upload_page(
    request: HttpRequest, actor: Actor, form: UploadForm, status: int = 200, refused: str = ""
) -> HttpResponse:
    context = {
        "actor": actor,
        "refused": refused,
        "form": form,
        "synonyms": {key: ", ".join(names) for key, names in imports.SYNONYMS.items()},
        "fields": imports.FIELDS,
        "max_size": imports.human_size(imports.max_bytes()),
    }
    return render(request, "mapping/upload.html", context, status=status)


@require_http_methods(["GET", "POST"])
@org_view
def upload(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Store the file, then go to its column mapping or its progress page."""
    actor.require_manage()
    own_lists = list(selectors.account_lists(actor=actor))
    if request.method != "POST":
        initial = {"account_list": request.GET.get("list")} if request.GET.get("list") else {}
        return _upload_page(request, actor, UploadForm(lists=own_lists, initial=initial))
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > imports.max_bytes() + BODY_SLACK:
        # Refused before the body is read: the message names the limit.
        try:
            imports.check_size(length)
        except imports.UploadRefused as exc:
            refused = exc.message
        return _upload_page(
            request, actor, UploadForm(lists=own_lists), status=413, refused=refused
        )
    form = UploadForm(request.POST, request.FILES, lists=own_lists)
    if form.is_valid():
        chosen = form.cleaned_data["account_list"]
        account_list = None
        if chosen != NEW_LIST:
            account_list = next(lst for lst in own_lists if lst.code == chosen)
        file = form.cleaned_data["file"]
        try:
            created = services.upload_create(
                actor=actor,
                stream=file,
                size=file.size,
                filename=file.name or "",
                account_list=account_list,
                list_name=form.cleaned_data["new_list_name"],
            )
        except imports.UploadRefused as exc:
            form.add_error("file", exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if created.status == UploadStatus.MAPPING:
                return redirect(
                    "mapping_upload_columns", org=actor.organization.code, code=created.code
                )
            return redirect("mapping_upload_detail", org=actor.organization.code, code=created.code)
    return _upload_page(request, actor, form)


def _initial(mapping: dict[str, Any]) -> dict[str, str]:
    return {
        key: "" if mapping.get(key) is None else str(mapping[key]) for key, _, _ in imports.FIELDS
    }


@require_http_methods(["GET", "POST"])
@org_view
def upload_columns(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """The column-mapping step of a file whose CRM was not recognized."""
    found = selectors.upload_for(actor=actor, code=code)
    actor.require_manage()
    if found.status != UploadStatus.MAPPING:
        return redirect("mapping_upload_detail", org=actor.organization.code, code=found.code)
    form = MappingForm(
        request.POST if request.method == "POST" else None,
        header=found.header,
        initial=_initial(found.mapping),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.upload_set_mapping(actor=actor, upload=found, mapping=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("mapping_upload_detail", org=actor.organization.code, code=found.code)
    context = {
        "actor": actor,
        "upload": found,
        "form": form,
        "missing": not any(found.mapping.get(k) is not None for k in ("name", "domain", "website")),
        "missing_message": imports.missing_columns_message(found.header),
        "preview": selectors.upload_preview(upload=found),
    }
    return render(request, "mapping/upload_columns.html", context)


def _upload_context(actor: Actor, found: AccountUpload) -> dict[str, Any]:
    populations = selectors.populations(organization=actor.organization)
    counts = selectors.population_counts(upload=found) if found.status == UploadStatus.DONE else {}
    return {
        "actor": actor,
        "upload": found,
        "mapped": [
            (label, found.header[found.mapping[key]])
            for key, label, _ in imports.FIELDS
            if found.mapping.get(key) is not None and found.mapping[key] < len(found.header)
        ],
        "counts": [(p, counts.get(p.key, 0)) for p in populations],
        "can_manage": actor.can_manage,
    }


@require_GET
@org_view
def upload_detail(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """The progress page; htmx polls its progress fragment while the import runs."""
    found = selectors.upload_for(actor=actor, code=code)
    template = "mapping/upload_detail.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#progress"
    return render(request, template, _upload_context(actor, found))


@require_POST
@org_view
def upload_cancel(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    found = selectors.upload_for(actor=actor, code=code)
    try:
        services.upload_cancel(actor=actor, upload=found)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The upload is being cancelled; your current list is unchanged.")
    return redirect("mapping_upload_detail", org=actor.organization.code, code=found.code)


@require_GET
@org_view
def list_detail(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    account_list = selectors.account_list_for(actor=actor, code=code)
    populations = _populations(actor)
    uploads = list(selectors.uploads_of(account_list=account_list))
    current = next((u for u in uploads if u.is_current), None)
    counts = selectors.population_counts(upload=current) if current else {}
    chosen = request.GET.get("population", "")
    if chosen not in {p.key for p in populations}:
        chosen = ""
    names = {p.key: p.name for p in populations}
    rows = list(
        selectors.current_accounts(
            account_list=account_list, population_key=chosen, limit=SAMPLE_ROWS
        )
    )
    for row in rows:
        row.population_name = names.get(row.population_key, row.population_key)  # type: ignore[attr-defined]
    context = {
        "actor": actor,
        "account_list": account_list,
        "uploads": uploads,
        "current": current,
        "counts": [(p, counts.get(p.key, 0)) for p in populations],
        "total": sum(counts.values()),
        "rows": rows,
        "chosen": chosen,
        "sample_rows": SAMPLE_ROWS,
        "can_manage": actor.can_manage,
    }
    return render(request, "mapping/list_detail.html", context)


@require_GET
@org_view
def list_export(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    account_list = selectors.account_list_for(actor=actor, code=code)
    return csv_response(
        filename=f"accounts-{account_list.code}.csv",
        header=["name", "domain", "country", "status", "population", "external_id", "owner", "row"],
        rows=selectors.export_rows(account_list=account_list),
    )


def _populations_page(
    request: HttpRequest,
    actor: Actor,
    rules_form: RulesForm | None = None,
    create_form: PopulationCreateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    populations = _populations(actor)
    context = {
        "actor": actor,
        "rules_form": rules_form or RulesForm(populations=populations),
        "create_form": create_form or PopulationCreateForm(),
        "populations": populations,
        "can_manage": actor.can_manage,
    }
    return render(request, "mapping/populations.html", context, status=status)


@require_http_methods(["GET", "POST"])
@org_view
def populations(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The population rules editor; saving re-sorts the rows of the current lists."""
    if request.method != "POST":
        return _populations_page(request, actor)
    actor.require_manage()
    current = _populations(actor)
    form = RulesForm(request.POST, populations=current)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.population_rules_save(
                actor=actor,
                values={p.key: data[f"values_{p.key}"] for p in current},
                names={p.key: data[f"name_{p.key}"] for p in current},
                default_key=data["default"],
            )
        except ValidationError as exc:
            for field, errors in _keyed(exc).items():
                target = f"values_{field}" if f"values_{field}" in form.fields else None
                for error in errors:
                    form.add_error(target if target in form.fields else None, error)
        else:
            messages.success(request, "Rules saved; your current lists were sorted again.")
            return redirect("mapping_populations", org=actor.organization.code)
    return _populations_page(request, actor, rules_form=form)


def _keyed(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"__all__": list(exc.messages)}


@require_POST
@org_view
def population_add(request: HttpRequest, actor: Actor) -> HttpResponse:
    actor.require_manage()
    form = PopulationCreateForm(request.POST)
    if form.is_valid():
        try:
            created = services.population_create(
                actor=actor, name=form.cleaned_data["name"], values=form.cleaned_data["values"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Population “{created.name}” added.")
            return redirect("mapping_populations", org=actor.organization.code)
    return _populations_page(request, actor, create_form=form)


@require_POST
@org_view
def population_delete(request: HttpRequest, actor: Actor, key: str) -> HttpResponse:
    population = selectors.population_for(actor=actor, key=key)
    try:
        services.population_delete(actor=actor, population=population)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"Population “{population.name}” removed; its rows moved to the default."
        )
    return redirect("mapping_populations", org=actor.organization.code)
