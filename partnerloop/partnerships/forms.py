from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from partnerloop.accounts.models import Organization
from partnerloop.partnerships.models import (
    DEFAULT_AGREEMENT_TERMS,
    PartnerType,
    Side,
    Stage,
    Tier,
    Visibility,
)


def host_users(organization: Organization) -> forms.ModelChoiceField:
    users = (
        get_user_model().objects.filter(memberships__organization=organization).order_by("email")
    )
    field = forms.ModelChoiceField(queryset=users, required=False, label="Owner (your side)")
    field.label_from_instance = lambda u: u.email or u.get_username()  # type: ignore[method-assign]
    return field


class PartnershipCreateForm(forms.Form):
    name = forms.CharField(max_length=200, label="Partner name")
    website = forms.CharField(
        max_length=300, label="Website", help_text="e.g. example.com — we keep the domain only."
    )
    partner_type = forms.ChoiceField(choices=PartnerType.choices, label="Type")
    tier = forms.ChoiceField(choices=Tier.choices, required=False)
    stage = forms.ChoiceField(choices=Stage.choices, initial=Stage.PROSPECT)
    tags = forms.CharField(required=False, help_text="Comma-separated, e.g. EMEA, fintech")

    def __init__(self, *args: object, organization: Organization, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["host_owner"] = host_users(organization)


class PartnershipEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    partner_type = forms.ChoiceField(choices=PartnerType.choices, label="Type")
    tier = forms.ChoiceField(choices=Tier.choices, required=False)
    tier_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Why the tier changes",
        help_text="Needed when you change the tier; the partner reads it in the timeline.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    tags = forms.CharField(required=False, help_text="Comma-separated")

    def __init__(self, *args: object, organization: Organization, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["host_owner"] = host_users(organization)


class StageForm(forms.Form):
    stage = forms.ChoiceField(choices=Stage.choices, label="New stage")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the stage history and the timeline.",
    )


class NoteForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Note")
    visibility = forms.ChoiceField(
        choices=Visibility.choices, widget=forms.RadioSelect, initial=Visibility.SHARED
    )


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Comment")
    visibility = forms.ChoiceField(
        choices=Visibility.choices, widget=forms.RadioSelect, initial=Visibility.SHARED
    )


class VisibilityForm(forms.Form):
    visibility = forms.ChoiceField(choices=Visibility.choices)


class KeyPersonForm(forms.Form):
    side = forms.ChoiceField(choices=Side.choices)
    name = forms.CharField(max_length=200)
    title = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(required=False)
    met_on = forms.DateField(
        required=False,
        label="Met on",
        help_text="Leave empty if you have not met yet.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_met_on(self) -> object:
        met_on = self.cleaned_data.get("met_on")
        if met_on and met_on > timezone.localdate():
            raise forms.ValidationError("The meeting date cannot be in the future.")
        return met_on


class MetForm(forms.Form):
    met_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Met on")


class AgreementProposeForm(forms.Form):
    title = forms.CharField(max_length=200, initial="Open partnership agreement")
    terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        initial=DEFAULT_AGREEMENT_TERMS,
        help_text="Plain language. Either side can end the agreement with this notice.",
    )
    notice_days = forms.IntegerField(min_value=0, max_value=365, initial=30, label="Notice (days)")


class AgreementAcceptForm(forms.Form):
    text_version = forms.IntegerField(widget=forms.HiddenInput)


class AgreementEndForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why it ends. Both sides see this; it feeds back into fit.",
    )
