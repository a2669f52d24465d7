from __future__ import annotations

from typing import Any

from django import forms

from partnerloop.api.models import TokenScope


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Name",
        help_text="What will use the token, e.g. “CRM sync” or “weekly report script”.",
    )
    scope = forms.ChoiceField(
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        label="Access",
    )

    def __init__(self, *args: Any, can_write: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_write:
            # A read-only role can only ever hold read-only tokens.
            self.fields["scope"].choices = [(TokenScope.READ, TokenScope.READ.label)]
