"""Forms of the plan pages; the rules themselves live in services.py."""

from __future__ import annotations

from typing import Any

from django import forms

from partnerloop.partnerships.models import Visibility
from partnerloop.plans.models import Effort, OwnerSide, Phase, StepOutcome
from partnerloop.plans.services import MAX_PARTS


class DateInput(forms.DateInput):
    input_type = "date"


class VersionField(forms.IntegerField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=0, **kwargs)


class PlanStartForm(forms.Form):
    playbook = forms.ChoiceField(label="Playbook", required=False)

    def __init__(self, *args: Any, playbooks: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        choices = [(p.code, p.name + (" (default)" if p.is_default else "")) for p in playbooks]
        self.fields["playbook"].choices = [("", "The default playbook"), *choices]


class StepFieldsForm(forms.Form):
    title = forms.CharField(label="Step", max_length=200)
    description = forms.CharField(
        label="Details", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    phase = forms.ChoiceField(label="Phase", choices=Phase.choices)
    owner_side = forms.ChoiceField(label="Who does it", choices=OwnerSide.choices)
    effort = forms.ChoiceField(label="Effort", choices=Effort.choices, initial=Effort.SMALL)
    due_on = forms.DateField(label="Due", required=False, widget=DateInput)


class StepAddForm(StepFieldsForm):
    visibility = forms.ChoiceField(
        label="Visible to", choices=Visibility.choices, initial=Visibility.SHARED
    )


class StepEditForm(StepFieldsForm):
    version = VersionField()


class StepDoneForm(forms.Form):
    evidence = forms.CharField(label="Evidence", required=False, max_length=2000)
    version = VersionField(required=False)


class StepVersionForm(forms.Form):
    version = VersionField(required=False)


class StepMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class StepSplitForm(forms.Form):
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(1, MAX_PARTS + 1):
            self.fields[f"part_{i}"] = forms.CharField(
                label=f"Smaller step {i}", required=i <= 2, max_length=200
            )

    def titles(self) -> list[str]:
        return [
            self.cleaned_data.get(f"part_{i}", "")
            for i in range(1, MAX_PARTS + 1)
            if self.cleaned_data.get(f"part_{i}", "").strip()
        ]


class StepOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Did it work?", choices=StepOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label="What happened", required=False, max_length=2000)


class PlaybookForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PlaybookEditForm(PlaybookForm):
    version = VersionField()


class PlaybookStepForm(forms.Form):
    title = forms.CharField(label="Step", max_length=200)
    description = forms.CharField(
        label="Details", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    phase = forms.ChoiceField(label="Phase", choices=Phase.choices)
    owner_side = forms.ChoiceField(label="Who does it", choices=OwnerSide.choices)
    effort = forms.ChoiceField(label="Effort", choices=Effort.choices, initial=Effort.SMALL)
    duration_days = forms.IntegerField(
        label="Expected duration (days)", min_value=0, max_value=365, initial=14
    )
    is_milestone = forms.BooleanField(label="A milestone to celebrate", required=False)
    version = VersionField()
