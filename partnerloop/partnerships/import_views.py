"""Import partners from CSV: upload, preview with a column mapping, commit (host managers)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerloop.core.csvsafe import csv_response
from partnerloop.core.tenancy import Actor
from partnerloop.core.views import form_errors, org_view
from partnerloop.partnerships import imports
from partnerloop.partnerships.import_models import ImportStatus, PartnerImport
from partnerloop.partnerships.models import PartnerType, Stage, Tier

CSV_ACCEPT = ".csv,.tsv,.txt,text/csv,text/tab-separated-values,text/plain"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        # The service explains an empty file better than the form field would.
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": CSV_ACCEPT}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"UTF-8 text, separated by commas, semicolons or tabs; at most "
            f"{imports.human_size(imports.max_bytes())} and {imports.max_rows():,} rows."
        )


class ImportMappingForm(forms.Form):
    """One select per target field, listing the file's columns."""

    def __init__(self, *args: Any, columns: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "— not imported —"), *((str(i), name) for i, name in columns)]
        for key, label, required in imports.FIELDS:
            self.fields[key] = forms.ChoiceField(
                choices=choices,
                required=required,
                label=f"{label} (required)" if required else label,
                error_messages={"required": f"Choose the column that holds the {label.lower()}."},
            )


def _preview_redirect(actor: Actor, partner_import: PartnerImport) -> HttpResponse:
    return redirect("partner_import_preview", org=actor.organization.code, code=partner_import.code)


def _upload_page(
    request: HttpRequest, actor: Actor, form: ImportUploadForm, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {
        "actor": actor,
        "form": form,
        "max_size": imports.human_size(imports.max_bytes()),
        "max_rows": imports.max_rows(),
        "stages": Stage.values,
        "tiers": [t for t in Tier.values if t],
        "types": PartnerType.values,
        "synonyms": {key: ", ".join(names) for key, names in imports.SYNONYMS.items()},
        "recent": imports.partner_imports_recent(actor=actor),
    }
    return render(request, "partnerships/import_upload.html", context, status=status)


@require_http_methods(["GET", "POST"])
@org_view
def partner_import(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The upload page; a good file is stored and the user goes on to its preview."""
    actor.require_manage()
    if request.method != "POST":
        return _upload_page(request, actor, ImportUploadForm())
    form = ImportUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            created = imports.partner_import_create(
                actor=actor, stream=upload, size=upload.size, filename=upload.name or ""
            )
        except imports.ImportFileRefused as exc:
            form.add_error("file", exc.message)
        else:
            return _preview_redirect(actor, created)
    return _upload_page(request, actor, form)


@require_GET
@org_view
def partner_import_sample(request: HttpRequest, actor: Actor) -> HttpResponse:
    actor.require_manage()
    header, rows = imports.sample_rows(owner_email=actor.user.email)  # type: ignore[attr-defined]
    return csv_response(filename="partners-sample.csv", header=header, rows=rows)


def _mapping_initial(mapping: dict[str, int | None]) -> dict[str, str]:
    return {key: "" if index is None else str(index) for key, index in mapping.items()}


@require_http_methods(["GET", "POST"])
@org_view
def partner_import_preview(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """What the import will do, row by row, with the mapping the user may change."""
    partner_import = imports.partner_import_for(actor=actor, code=code)
    context: dict[str, Any] = {"actor": actor, "partner_import": partner_import}
    if partner_import.status != ImportStatus.UPLOADED:
        return render(request, "partnerships/import_preview.html", context)

    check = imports.partner_import_check(actor=actor, partner_import=partner_import)
    form = ImportMappingForm(
        request.POST if request.method == "POST" else None,
        initial=_mapping_initial(check.mapping),
        columns=check.table.columns,
    )
    if request.method == "POST" and form.is_valid():
        try:
            imports.partner_import_set_mapping(
                actor=actor, partner_import=partner_import, mapping=form.cleaned_data
            )
        except imports.ImportAlreadyDone as exc:
            messages.warning(request, exc.message)
        except ValidationError as exc:
            for key, errors in form_errors(exc).items():
                for error in errors:
                    form.add_error(key if key in form.fields else None, error)
        else:
            messages.success(request, "Column mapping saved; the preview below uses it.")
            return _preview_redirect(actor, partner_import)

    rows_with_errors = check.rows_with_errors
    context.update(
        {
            "check": check,
            "form": form,
            "errors_by_row": rows_with_errors,
            "sample_header": check.table.header,
            "sample_records": check.table.records[:5],
        }
    )
    return render(request, "partnerships/import_preview.html", context)


@require_POST
@org_view
def partner_import_commit(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partner_import = imports.partner_import_for(actor=actor, code=code)
    try:
        count = imports.partner_import_commit(actor=actor, partner_import=partner_import)
    except imports.ImportAlreadyDone as exc:
        messages.warning(request, exc.message)
        return _preview_redirect(actor, partner_import)
    except imports.PartnerImportError as exc:
        messages.error(request, exc.message)
        return _preview_redirect(actor, partner_import)
    noun = "partner" if count == 1 else "partners"
    messages.success(request, f"Imported {count} {noun} into your directory.")
    return redirect("directory", org=actor.organization.code)


@require_POST
@org_view
def partner_import_discard(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partner_import = imports.partner_import_for(actor=actor, code=code)
    try:
        imports.partner_import_discard(actor=actor, partner_import=partner_import)
    except imports.ImportAlreadyDone as exc:
        messages.warning(request, exc.message)
        return _preview_redirect(actor, partner_import)
    messages.success(request, f"Discarded the import of {partner_import.filename or 'the file'}.")
    return redirect("partner_import", org=actor.organization.code)
