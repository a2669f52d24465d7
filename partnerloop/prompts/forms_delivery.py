"""Forms of the delivery pages: e-mail preferences, webhooks, events."""

from __future__ import annotations

from django import forms

from partnerloop.prompts.models import EmailMode, EventKind, PromptKind


class PreferenceForm(forms.Form):
    email_mode = forms.ChoiceField(
        label="E-mail me prompts", choices=EmailMode.choices, widget=forms.RadioSelect
    )
    digest_hour = forms.TypedChoiceField(
        label="Digest hour (UTC)",
        coerce=int,
        choices=[(h, f"{h:02d}:00 UTC") for h in range(24)],
        help_text="When the daily digest is sent, if you chose the digest.",
    )
    muted_kinds = forms.MultipleChoiceField(
        label="Never e-mail me about",
        choices=PromptKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="These prompts still show in your inbox.",
    )


class WebhookForm(forms.Form):
    url = forms.URLField(
        label="Webhook address",
        max_length=500,
        assume_scheme="https",
        help_text="A Slack incoming webhook or any HTTPS endpoint that accepts JSON.",
    )


class EventForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label="Kind", choices=EventKind.choices)
    title = forms.CharField(label="Title", max_length=200)
    starts_at = forms.DateTimeField(
        label="Starts",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label="Ends",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(
        label="Place", max_length=200, required=False, help_text="An address or a video link."
    )
    description = forms.CharField(
        label="Agenda", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    host_attendees = forms.CharField(
        label="Host attendees",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One name or e-mail per line.",
    )
    partner_attendees = forms.CharField(
        label="Partner attendees",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One name or e-mail per line.",
    )
