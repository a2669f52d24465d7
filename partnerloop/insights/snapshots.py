"""Snapshots of the host dashboard: computed once, served for a few minutes.

The host dashboard reads every partnership, activity outcome, plan step, prompt and
referral of the host (at 5,000 partnerships and 200,000 activities that takes seconds).
Nothing on it needs to be exact to the second, so the page and its CSV downloads are
served from a snapshot in the cache: the panels and their rendered HTML, with the time
they were computed, which the page shows beside a *Refresh now* link. A snapshot lives
`INSIGHTS_SNAPSHOT_SECONDS` (default 300); *Refresh now* recomputes it at once.

A snapshot is keyed by the organization, whether the viewer may see manager-only panels
(the IPP test), and the filters, so one organization's members share it and nobody gets
figures their role or another organization would not give them. With Redis as the cache
every app server shares it; with the local-memory cache each process has its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.utils import timezone

from partnerloop.core.tenancy import Actor
from partnerloop.insights import host
from partnerloop.insights.panels import Panel


@dataclass
class Snapshot:
    dashboard: host.HostDashboard
    computed_at: datetime
    # The rendered panels (the page fills it in the first time it renders them).
    html: str = ""

    def panel(self, key: str) -> Panel:
        """One panel of the snapshot (for its CSV download); an unknown key is a 404."""
        for panel in self.dashboard.panels:
            if panel.key == key:
                return panel
        raise Http404("No such panel.")


def snapshot_seconds() -> int:
    return int(settings.INSIGHTS_SNAPSHOT_SECONDS)


def snapshot_key(*, actor: Actor, filters: host.HostFilters) -> str:
    return f"insights:host:{actor.organization.pk}:{int(actor.can_manage)}:{filters.query() or '-'}"


def host_snapshot(*, actor: Actor, filters: host.HostFilters, refresh: bool = False) -> Snapshot:
    """The dashboard for these filters: the cached snapshot while it is fresh, otherwise
    (or when `refresh`) computed now and stored."""
    key = snapshot_key(actor=actor, filters=filters)
    snapshot = None if refresh else cache.get(key)
    if snapshot is None:
        now = timezone.now()
        snapshot = Snapshot(
            dashboard=host.host_dashboard(actor=actor, filters=filters, now=now),
            computed_at=now,
        )
        cache.set(key, snapshot, snapshot_seconds())
    return snapshot


def keep_html(*, actor: Actor, filters: host.HostFilters, snapshot: Snapshot, html: str) -> None:
    """Store the rendered panels with the snapshot, for the rest of its life only."""
    left = snapshot_seconds() - (timezone.now() - snapshot.computed_at).total_seconds()
    if left >= 1:
        snapshot.html = html
        cache.set(snapshot_key(actor=actor, filters=filters), snapshot, int(left))
