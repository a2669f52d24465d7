from __future__ import annotations

from typing import Any

from django import forms

from partnerloop.fit.models import AnswerKind, Criterion, Dimension, Direction, GapActionKind
from partnerloop.fit.scoring import CriterionSpec
from partnerloop.partnerships.models import Visibility


class VersionSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    band_high = forms.IntegerField(min_value=1, max_value=100, label="High fit from")
    band_medium = forms.IntegerField(min_value=1, max_value=99, label="Medium fit from")


class ActivateForm(forms.Form):
    change_note = forms.CharField(
        label="Why we changed it",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or two lines; kept with the version and shown in its history.",
    )


def _format_options(answer_kind: str, options: list[dict[str, Any]]) -> str:
    if answer_kind == AnswerKind.CHOICE:
        return "\n".join(f"{o['label']} | {o['points']:g}" for o in options)
    if answer_kind == AnswerKind.NUMBER:

        def bound(value: Any) -> str:
            return "" if value is None else f"{value:g}"

        return "\n".join(
            f"{bound(o['min'])} | {bound(o['max'])} | {o['points']:g}" for o in options
        )
    return ""


class CriterionForm(forms.Form):
    question = forms.CharField(max_length=300)
    key = forms.SlugField(
        max_length=60,
        required=False,
        help_text="Stable name for carrying answers to new versions; made from the question "
        "when empty.",
    )
    help_text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    direction = forms.ChoiceField(choices=Direction.choices, widget=forms.RadioSelect)
    dimension = forms.ChoiceField(choices=Dimension.choices)
    answer_kind = forms.ChoiceField(choices=AnswerKind.choices, label="Answer kind")
    options = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Options or bands",
        help_text="Choice: one option per line as “label | points (0–100)”. Number: one band "
        "per line as “min | max | points” (min included, max excluded, either may be empty).",
    )
    weight = forms.IntegerField(min_value=1, max_value=10, initial=3)
    knock_out = forms.BooleanField(
        required=False, label="Knock-out (red flag when answered with the worst answer)"
    )
    improvement_step = forms.CharField(
        max_length=300, required=False, label="Suggested small step when the answer is weak"
    )

    @classmethod
    def initial_for(cls, criterion: Criterion) -> dict[str, Any]:
        return {
            "question": criterion.question,
            "key": criterion.key,
            "help_text": criterion.help_text,
            "direction": criterion.direction,
            "dimension": criterion.dimension,
            "answer_kind": criterion.answer_kind,
            "options": _format_options(criterion.answer_kind, criterion.options),
            "weight": criterion.weight,
            "knock_out": criterion.knock_out,
            "improvement_step": criterion.improvement_step,
        }

    def parsed_options(self) -> list[dict[str, Any]]:
        """The textarea as the list the service validates; shape errors say which line."""
        kind = self.cleaned_data.get("answer_kind")
        rows = []
        for number, line in enumerate(self.cleaned_data.get("options", "").splitlines(), 1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if kind == AnswerKind.CHOICE:
                if len(parts) != 2:
                    raise forms.ValidationError(f"Line {number}: write “label | points”.")
                rows.append({"label": parts[0], "points": parts[1]})
            elif kind == AnswerKind.NUMBER:
                if len(parts) != 3:
                    raise forms.ValidationError(f"Line {number}: write “min | max | points”.")
                rows.append({"min": parts[0], "max": parts[1], "points": parts[2]})
        return rows


class GapActionForm(forms.Form):
    criterion_key = forms.SlugField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=GapActionKind.choices)
    title = forms.CharField(max_length=300, label="Small step")
    due_on = forms.DateField(
        required=False, label="Due", widget=forms.DateInput(attrs={"type": "date"})
    )
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.SHARED)


class GapPromiseForm(forms.Form):
    due_on = forms.DateField(
        required=False, label="Promised for", widget=forms.DateInput(attrs={"type": "date"})
    )


class ShareForm(forms.Form):
    shared = forms.BooleanField(required=False)


def checklist_field(spec: CriterionSpec) -> forms.Field:
    """The input a criterion asks for, labelled with its question."""
    common: dict[str, Any] = {"label": spec.question, "required": False}
    if spec.answer_kind == AnswerKind.YES_NO:
        return forms.ChoiceField(
            choices=[("yes", "Yes"), ("no", "No")], widget=forms.RadioSelect, **common
        )
    if spec.answer_kind == AnswerKind.SCALE:
        return forms.ChoiceField(
            choices=[(str(n), str(n)) for n in range(1, 6)], widget=forms.RadioSelect, **common
        )
    if spec.answer_kind == AnswerKind.CHOICE:
        return forms.ChoiceField(
            choices=[(o["label"], o["label"]) for o in spec.options],
            widget=forms.RadioSelect,
            **common,
        )
    return forms.FloatField(**common)


class ChecklistForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    other_dimensions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Other dimensions of fit",
        help_text="Anything the questions miss, in your own words.",
    )

    def __init__(self, *args: Any, specs: list[CriterionSpec], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.specs = specs
        for spec in specs:
            self.fields[f"answer__{spec.key}"] = checklist_field(spec)
            self.fields[f"evidence__{spec.key}"] = forms.CharField(
                required=False,
                label="Evidence",
                widget=forms.Textarea(attrs={"rows": 1}),
            )

    def rows(self) -> list[tuple[CriterionSpec, forms.BoundField, forms.BoundField]]:
        return [(s, self[f"answer__{s.key}"], self[f"evidence__{s.key}"]) for s in self.specs]
