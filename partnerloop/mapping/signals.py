"""Signals of the mapping app, for apps that read the lists (overlap matching)."""

from django.dispatch import Signal

# Sent with `organization_id` when the organization's current account rows changed: a new
# upload became current, or population rules sorted the rows again.
current_lists_changed = Signal()
