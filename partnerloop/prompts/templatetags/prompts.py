from __future__ import annotations

from typing import Any

from django import template

from partnerloop.prompts.selectors import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_prompts(context: Any, actor: Any) -> int:
    """The actor's unread count (beside "Inbox" in the header, and on the inbox page):
    one query per request, only on pages that show it."""
    if not actor:
        return 0
    request = context.get("request")
    cached = getattr(request, "_unread_prompts", None)
    if cached is None:
        cached = unread_count(actor=actor)
        if request is not None:
            request._unread_prompts = cached
    return cached
