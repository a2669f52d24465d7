"""Forms of the account-list pages; the rules themselves live in services."""

from __future__ import annotations

from typing import Any

from django import forms

from partnerloop.mapping import imports
from partnerloop.mapping.models import AccountList, Population
from partnerloop.partnerships.imports import human_size

CSV_ACCEPT = ".csv,.tsv,.txt,text/csv,text/tab-separated-values,text/plain"
NEW_LIST = "__new__"


class UploadForm(forms.Form):
    account_list = forms.ChoiceField(label="List")
    new_list_name = forms.CharField(
        label="Name of the new list",
        required=False,
        max_length=100,
        help_text="E.g. CRM accounts or EMEA customers; used when you choose “A new list”.",
    )
    file = forms.FileField(
        label="CSV export",
        allow_empty_file=True,  # the service explains an empty file better
        widget=forms.ClearableFileInput(attrs={"accept": CSV_ACCEPT}),
    )

    def __init__(self, *args: Any, lists: list[AccountList], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(lst.code, f"{lst.name} (replace its current upload)") for lst in lists]
        self.fields["account_list"].choices = [*choices, (NEW_LIST, "A new list")]
        if not lists:
            self.fields["account_list"].initial = NEW_LIST
        self.fields["file"].help_text = (
            "A CSV export of your CRM (HubSpot and Salesforce columns are recognized): UTF-8, "
            "UTF-16 or Latin-1, separated by commas, semicolons or tabs; at most "
            f"{human_size(imports.max_bytes())}."
        )


class MappingForm(forms.Form):
    """One select per target field, listing the file's columns."""

    def __init__(self, *args: Any, header: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            ("", "— not used —"),
            *((str(i), name or f"Column {i + 1}") for i, name in enumerate(header)),
        ]
        for key, label, help_text in imports.FIELDS:
            self.fields[key] = forms.ChoiceField(
                choices=choices, required=False, label=label, help_text=help_text
            )


class PopulationCreateForm(forms.Form):
    name = forms.CharField(label="Name", max_length=80, help_text="E.g. Churned or Partners.")
    values = forms.CharField(
        label="Status values",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, as they appear in your CRM's status column (any case).",
    )


class RulesForm(forms.Form):
    """Per population: its name and its status values; and the default population."""

    def __init__(self, *args: Any, populations: list[Population], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.populations = populations
        for population in populations:
            self.fields[f"name_{population.key}"] = forms.CharField(
                label=f"Name of {population.name}",
                max_length=80,
                required=False,
                initial=population.name,
            )
            self.fields[f"values_{population.key}"] = forms.CharField(
                label=f"Status values for {population.name}",
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                initial="\n".join(rule.value for rule in population.rules.all()),
                help_text="One per line; compared without case and extra spaces.",
            )
        self.fields["default"] = forms.ChoiceField(
            label="Rows whose status matches none of these go to",
            choices=[(p.key, p.name) for p in populations],
            initial=next((p.key for p in populations if p.is_default), None),
        )

    def rows(self) -> list[tuple[Population, forms.BoundField, forms.BoundField]]:
        return [(p, self[f"name_{p.key}"], self[f"values_{p.key}"]) for p in self.populations]
