from __future__ import annotations

from django import forms

from partnerloop.partnerships.models import Visibility
from partnerloop.prompts.models import Audience

RATINGS = [
    (5, "5 — great"),
    (4, "4 — good"),
    (3, "3 — so-so"),
    (2, "2 — struggling"),
    (1, "1 — badly"),
]


class CheckInForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="How is it going?", choices=RATINGS, coerce=int, widget=forms.RadioSelect
    )
    worked = forms.CharField(
        label="What worked", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    didnt = forms.CharField(
        label="What didn't", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    blockers = forms.CharField(
        label="Blockers", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_step = forms.CharField(
        label="The next tiny step",
        max_length=200,
        required=False,
        help_text="Something either side can do in a day or two.",
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.SHARED,
        widget=forms.RadioSelect,
        label="Who sees it",
    )


class RuleForm(forms.Form):
    name = forms.CharField(max_length=120)
    enabled = forms.BooleanField(required=False, label="On")
    audience = forms.ChoiceField(choices=Audience.choices, label="Who is prompted")
    rrule = forms.CharField(
        max_length=200,
        required=False,
        label="Recurrence",
        help_text="An iCalendar RRULE, e.g. FREQ=MONTHLY;BYMONTHDAY=1 or FREQ=WEEKLY;INTERVAL=2.",
    )
    days = forms.IntegerField(
        min_value=0, max_value=365, required=False, label="Days", help_text=""
    )
    follow_days = forms.IntegerField(
        min_value=1,
        max_value=90,
        initial=7,
        label="Counts as followed within (days)",
        help_text="For the effectiveness report.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CadenceForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="E.g. “Bi-weekly sync”.")
    rrule = forms.CharField(
        max_length=200,
        label="Recurrence",
        initial="FREQ=WEEKLY;INTERVAL=2",
        help_text="An iCalendar RRULE: FREQ=WEEKLY;INTERVAL=2, FREQ=MONTHLY;BYMONTHDAY=1…",
    )
    days = forms.IntegerField(
        min_value=0,
        max_value=365,
        required=False,
        label="Propose a review this many days after each occurrence",
        help_text="Leave empty for a check-in prompt only.",
    )
    audience = forms.ChoiceField(choices=Audience.choices, label="Who is prompted")
    follow_days = forms.IntegerField(
        min_value=1, max_value=90, initial=7, label="Counts as followed within (days)"
    )


class OverrideForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="On for this partnership")
    rrule = forms.CharField(max_length=200, required=False, label="Own recurrence")
    days = forms.IntegerField(min_value=0, max_value=365, required=False, label="Own days")
