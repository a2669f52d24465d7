"""Snapshots of the host dashboard: computed once, served for a few minutes.

The host dashboard reads every partnership, activity outcome, plan step, prompt and
referral of the host (at 5,000 partnerships and 200,000 activities that takes seconds).
Nothing on it needs to be exact to the second, so the page and its CSV downloads are
served from a snapshot in the cache: the panels with the time they were computed, which
the page shows beside a *Refresh now* link, and, stored apart, the panels rendered as HTML
(what a view of the page reads). A snapshot lives
`INSIGHTS_SNAPSHOT_SECONDS` (default 300); *Refresh now* recomputes it at once.

A snapshot is keyed by the organization, whether the viewer may see manager-only panels
(the IPP test), and the filters, so one organization's members share it and nobody gets
figures their role or another organization would not give them. With Redis as the cache
every app server shares it; with the local-memory cache each process has its own.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
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
    # Names this computation among others of the same key (its page is stored under it).
    ident: str = field(default_factory=lambda: secrets.token_hex(8))

    def panel(self, key: str) -> Panel:
        """One panel of the snapshot (for its CSV download); an unknown key is a 404."""
        for panel in self.dashboard.panels:
            if panel.key == key:
                return panel
        raise Http404("No such panel.")


@dataclass(frozen=True)
class Page:
    """What the page shows of a snapshot: when it was computed and its rendered panels.

    Kept beside the snapshot so that a view reads a few kilobytes of HTML instead of
    unpickling every figure of 5,000 partnerships (12 ms, and the collector's pauses).
    """

    computed_at: datetime
    html: str


def snapshot_seconds() -> int:
    return int(settings.INSIGHTS_SNAPSHOT_SECONDS)


def snapshot_key(*, actor: Actor, filters: host.HostFilters) -> str:
    return f"insights:host:{actor.organization.pk}:{int(actor.can_manage)}:{filters.query() or '-'}"


def _page_key(snapshot_key: str, ident: str) -> str:
    # Per snapshot: a page rendered from a snapshot that a refresh replaced meanwhile is
    # stored under the old one's name, where nobody reads it.
    return f"{snapshot_key}:page:{ident}"


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
        cache.set_many({key: snapshot, f"{key}:current": snapshot.ident}, snapshot_seconds())
    return snapshot


def cached_page(*, actor: Actor, filters: host.HostFilters) -> Page | None:
    """The rendered page of the current snapshot, when it has been rendered."""
    key = snapshot_key(actor=actor, filters=filters)
    ident = cache.get(f"{key}:current")
    if ident is None:
        return None
    page = cache.get(_page_key(key, ident))
    return page if isinstance(page, Page) else None


def keep_page(*, actor: Actor, filters: host.HostFilters, snapshot: Snapshot, html: str) -> Page:
    """The snapshot's page, stored for the rest of the snapshot's life only."""
    page = Page(computed_at=snapshot.computed_at, html=html)
    left = snapshot_seconds() - (timezone.now() - snapshot.computed_at).total_seconds()
    if left >= 1:
        key = snapshot_key(actor=actor, filters=filters)
        cache.set(_page_key(key, snapshot.ident), page, int(left))
    return page
