from __future__ import annotations

from django import forms

from partnerloop.referrals.models import AccountStatus, Attribution, ReferralStage


class ReferralForm(forms.Form):
    company = forms.CharField(max_length=200, label="Company")
    website = forms.CharField(
        max_length=300,
        required=False,
        label="Website",
        help_text="E.g. example.com — it is how the host spots a company it already knows.",
    )
    contact_name = forms.CharField(max_length=200, required=False, label="Contact person")
    contact_email = forms.EmailField(required=False, label="Contact's e-mail")
    notes = forms.CharField(
        required=False,
        label="Notes",
        help_text="What they need, who else is involved, what you already told them.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attribution = forms.ChoiceField(
        choices=Attribution.choices,
        initial=Attribution.SOURCED,
        widget=forms.RadioSelect,
        label="Your part in it",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, editing: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if editing:
            del self.fields["attribution"]


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accepted", "Accept"), ("declined", "Decline")],
        widget=forms.RadioSelect,
        label="Your decision",
    )
    reason = forms.CharField(
        required=False,
        label="Reason (the partner reads it)",
        help_text="Required to decline, e.g. “Already a customer since 2024”.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class StageForm(forms.Form):
    stage = forms.ChoiceField(choices=ReferralStage.choices, label="Stage")
    reason = forms.CharField(
        label="Reason (the partner reads it)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    amount = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        label="Amount",
        help_text="Required when won; optional otherwise.",
    )
    attribution = forms.ChoiceField(
        choices=Attribution.choices, widget=forms.RadioSelect, label="Partner's part"
    )
    closed_on = forms.DateField(
        required=False,
        label="Closed on",
        help_text="For won or lost; today when left empty.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class KnownAccountForm(forms.Form):
    name = forms.CharField(max_length=200, label="Company name")
    website = forms.CharField(
        max_length=300, required=False, label="Website", help_text="E.g. example.com"
    )
    status = forms.ChoiceField(
        choices=AccountStatus.choices, initial=AccountStatus.CUSTOMER, label="Status"
    )
    owner = forms.CharField(max_length=200, required=False, label="Owner at your company")


class KnownAccountImportForm(forms.Form):
    text = forms.CharField(
        required=False,
        label="Paste lines",
        help_text="One account a line: Company name, website, status (customer, opportunity "
        "or prospect), owner (optional).",
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "Hooli, hooli.com, customer"}),
    )
    file = forms.FileField(
        required=False,
        label="Or upload a CSV file",
        help_text="Same columns; comma, semicolon or tab separated; UTF-8.",
    )
