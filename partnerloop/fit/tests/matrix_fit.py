"""Permission-matrix entries for the fit pages (loaded by partnerloop/tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from partnerloop.fit import services
from partnerloop.fit.models import Evaluation, EvaluationStatus
from partnerloop.partnerships.models import Side
from partnerloop.tests.matrix import HOST_MANAGE, WS_READ, WS_WRITE, Entry, ok


def prepare(world: Any) -> dict[str, Any]:
    """An active version with a submitted host checklist, and a draft version."""
    owner = world.actor("host_owner")
    active = services.ipp_create_from_template(actor=owner)
    services.ipp_version_activate(actor=owner, version=active, change_note="First")
    draft = services.ipp_version_new_draft(actor=owner, based_on=active)
    criterion = draft.criteria.order_by("id").first()
    Evaluation.objects.create(
        partnership=world.partnership,
        version=active,
        side=Side.HOST,
        status=EvaluationStatus.SUBMITTED,
        answers={"executive-sponsor": {"value": "no"}},
    )
    gap = services.gap_action_create(
        actor=owner,
        partnership=world.partnership,
        criterion_key="executive-sponsor",
        kind="commitment",
        title="Name an executive sponsor",
        visibility="private",
    )
    return {
        "active": active.code,
        "draft": draft.code,
        "criterion": criterion.pk,
        "gap": gap.code,
    }


def _version(key: str) -> Any:
    return lambda w, o: {"version": o.extra[key]}


def _partnership(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code}


# Each organization has its own IPP area, so a partner-side admin reaches its own (empty)
# pages; another organization's version code through one's own URL is a 404.
READ_OWN = ok(200)
HOST_VERSION_READ = ok(200, partner_user=404, other_partner=404, other_host=404)
HOST_VERSION_WRITE = {**HOST_MANAGE, "host_owner": 302}

ENTRIES: list[Entry] = [
    Entry("ipp_home", "get", READ_OWN),
    # Starting from the template: the host already has a profile (302 back with a message);
    # the other organizations start their own.
    Entry("ipp_start", "post", ok(302, host_member=302, host_viewer=302)),
    Entry("ipp_compare", "get", READ_OWN),
    Entry("ipp_test", "get", ok(200, host_member=403, host_viewer=403)),
    Entry(
        "ipp_test_export",
        "get",
        {**HOST_MANAGE, "host_owner": 200},
    ),
    Entry("ipp_version", "get", HOST_VERSION_READ, kwargs=_version("draft")),
    Entry("ipp_new_draft", "post", HOST_VERSION_WRITE, kwargs=_version("active")),
    Entry("ipp_retire", "post", HOST_VERSION_WRITE, kwargs=_version("draft")),
    Entry("ipp_rescore", "post", {**HOST_MANAGE, "host_owner": 200}, kwargs=_version("active")),
    Entry(
        "ipp_criterion_edit",
        "get",
        HOST_VERSION_READ,
        kwargs=lambda w, o: {"version": o.extra["draft"], "criterion": o.extra["criterion"]},
    ),
    Entry(
        "ipp_criterion_delete",
        "post",
        HOST_VERSION_WRITE,
        kwargs=lambda w, o: {"version": o.extra["draft"], "criterion": o.extra["criterion"]},
    ),
    Entry("fit_checklist", "get", WS_READ, kwargs=_partnership),
    # Saving a draft: writers of both sides answer their own half; viewers are refused.
    Entry(
        "fit_checklist",
        "post",
        WS_WRITE,
        kwargs=_partnership,
        data={"revision": 0, "answer__executive-sponsor": "yes", "save": "1"},
    ),
    Entry(
        "fit_share",
        "post",
        {**HOST_MANAGE, "host_owner": 302, "partner_user": 403},
        kwargs=_partnership,
        data={"shared": "on"},
    ),
    Entry(
        "fit_gap_action",
        "post",
        {**HOST_MANAGE, "host_owner": 302, "partner_user": 403},
        kwargs=_partnership,
        data={
            "criterion_key": "executive-sponsor",
            "kind": "step",
            "title": "Meet",
            "visibility": "shared",
        },
    ),
    # A private commitment gap of the host, promised to the partner (a partner never sees
    # the private gap: 404 through its own URL; the host's members may not: 403).
    Entry(
        "fit_gap_promise",
        "post",
        {**HOST_MANAGE, "host_owner": 302},
        kwargs=lambda w, o: {"code": w.partnership.code, "gap": o.extra["gap"]},
        data={"due_on": "2030-01-31"},
    ),
]
