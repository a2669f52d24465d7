"""Forms of the account overlap pages: what our side shares, rejecting a match, acting on
an overlapping account and saying whether it worked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from partnerloop.overlap.models import DEFAULT_SHARED_FIELDS, ActionKind, Level, SharedField
from partnerloop.overlap.selectors import PopulationShare

LEVEL_CHOICES = [
    (Level.HIDDEN.value, "Hidden"),
    (Level.COUNTS.value, "Counts only"),
    (Level.ACCOUNTS.value, "Accounts"),
]


class SharingForm(forms.Form):
    """One level, one set of fields and the version read, per population of ours.

    A population missing from the submitted data is left as it is, so a client that sends
    one population changes that one only."""

    def __init__(
        self, *args: Any, populations: Sequence[PopulationShare], read_only: bool = False, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.populations = list(populations)
        for population in self.populations:
            key = population.key
            sharing = population.sharing
            self.fields[f"level_{key}"] = forms.ChoiceField(
                choices=LEVEL_CHOICES,
                required=False,
                widget=forms.RadioSelect,
                label=population.name,
                initial=sharing.level,
                disabled=read_only,
            )
            self.fields[f"fields_{key}"] = forms.MultipleChoiceField(
                choices=SharedField.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                label="Fields they see when you share accounts",
                initial=list(sharing.fields) or [f.value for f in DEFAULT_SHARED_FIELDS],
                disabled=read_only,
            )
            self.fields[f"version_{key}"] = forms.IntegerField(
                required=False, min_value=0, widget=forms.HiddenInput, initial=sharing.version
            )

    def rows(self) -> list[dict[str, Any]]:
        """Per population: its name and key, and its three bound fields, for the template."""
        return [
            {
                "population": p,
                "level": self[f"level_{p.key}"],
                "fields": self[f"fields_{p.key}"],
                "version": self[f"version_{p.key}"],
            }
            for p in self.populations
        ]

    def changes(self) -> list[dict[str, Any]]:
        """What was submitted, population by population (only those sent with a level)."""
        found = []
        for population in self.populations:
            level = self.cleaned_data.get(f"level_{population.key}")
            if not level:
                continue
            found.append(
                {
                    "population_key": population.key,
                    "level": level,
                    "fields": list(self.cleaned_data.get(f"fields_{population.key}") or []),
                    "version": self.cleaned_data.get(f"version_{population.key}"),
                }
            )
        return found


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        required=False,
        label="Why (optional)",
        help_text="E.g. “different company with the same name”.",
    )


class ActForm(forms.Form):
    kind = forms.ChoiceField(choices=ActionKind.choices, label="What you do")
    note = forms.CharField(
        max_length=2000,
        required=False,
        label="Note (optional, both sides read it)",
        widget=forms.TextInput,
    )


class ActionOutcomeForm(forms.Form):
    result = forms.ChoiceField(
        choices=[("worked", "Worked"), ("didnt", "Didn't work")], label="Did it work?"
    )
    notes = forms.CharField(max_length=2000, required=False, label="What happened")
    next = forms.CharField(max_length=500, required=False)
