from __future__ import annotations

from django import forms

from partnerloop.activities.models import ActivityType, Result
from partnerloop.partnerships.models import Visibility


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(choices=ActivityType.choices, label="What kind")
    title = forms.CharField(max_length=200, help_text="E.g. “Joint webinar on data quality”.")
    happened_on = forms.DateField(label="When", widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    host_people = forms.CharField(
        label="People from the host", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    partner_people = forms.CharField(
        label="People from the partner", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    plan_steps = forms.MultipleChoiceField(
        label="Plan steps it belongs to", required=False, widget=forms.CheckboxSelectMultiple
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.SHARED,
        widget=forms.RadioSelect,
        label="Who sees it",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, steps: list[tuple[str, str]] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["plan_steps"].choices = list(steps)
        if not steps:
            del self.fields["plan_steps"]


class OutcomeForm(forms.Form):
    result = forms.ChoiceField(
        choices=Result.choices, widget=forms.RadioSelect, label="Did it work?"
    )
    notes = forms.CharField(
        label="What happened", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    leads = forms.IntegerField(min_value=0, required=False)
    meetings = forms.IntegerField(min_value=0, required=False)
    pipeline = forms.DecimalField(min_value=0, required=False, decimal_places=2, max_digits=14)
    revenue = forms.DecimalField(min_value=0, required=False, decimal_places=2, max_digits=14)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 2}))
