from __future__ import annotations

from typing import Any

from django import template

from partnerloop.prompts.selectors import unread_count

register = template.Library()


@register.simple_tag
def unread_prompts(actor: Any) -> int:
    """The unread count beside "Inbox" in the header (one query, only where it shows)."""
    return unread_count(actor=actor) if actor else 0
