"""Permission-matrix entries for account lists (see partnerloop/tests/matrix.py).

Lists belong to one organization: every persona reads its own organization's lists and
populations; the host's list, upload and custom population are a 404 to anyone else.
Uploading, the column mapping, cancelling and the rules need a manager."""

from __future__ import annotations

from typing import Any

from partnerloop.mapping.models import AccountList, AccountUpload, Population, UploadStatus
from partnerloop.tests.matrix import Entry, ok


def prepare(world: Any) -> dict[str, Any]:
    """A host list with an upload waiting for its column mapping, and a custom population."""
    account_list = AccountList.objects.create(organization=world.host, name="CRM accounts")
    upload = AccountUpload.objects.create(
        account_list=account_list,
        filename="accounts.csv",
        encoding="utf-8",
        header=["Firma", "Netz"],
        mapping={"name": None, "website": None},
        status=UploadStatus.MAPPING,
        uploaded_by=world.host_owner,
    )
    population = Population.objects.create(organization=world.host, key="churned", name="Churned")
    return {
        "mapping_list": account_list.code,
        "mapping_upload": upload.code,
        "mapping_population": population.key,
    }


def _list(w: Any, o: Any) -> dict[str, Any]:
    return {"code": o.extra["mapping_list"]}


def _upload(w: Any, o: Any) -> dict[str, Any]:
    return {"code": o.extra["mapping_upload"]}


# Managers of any organization act on their own lists and rules.
MANAGERS = ok(302, host_member=403, host_viewer=403)
# The host's objects: its readers see them, every other organization gets 404.
HOST_READ = ok(200, partner_user=404, other_partner=404, other_host=404)
HOST_MANAGE = ok(
    302, host_member=403, host_viewer=403, partner_user=404, other_partner=404, other_host=404
)

RULES = {
    "name_customers": "Customers",
    "values_customers": "customer\nclosed won",
    "name_opportunities": "Open opportunities",
    "values_opportunities": "opportunity",
    "name_prospects": "Prospects",
    "values_prospects": "lead",
    "default": "prospects",
}

ENTRIES: list[Entry] = [
    Entry("mapping_lists", "get", ok(200)),
    Entry("mapping_upload", "get", ok(200, host_member=403, host_viewer=403)),
    # No file: the form is shown again with its error.
    Entry("mapping_upload", "post", ok(200, host_member=403, host_viewer=403)),
    Entry("mapping_upload_detail", "get", HOST_READ, kwargs=_upload),
    Entry(
        "mapping_upload_columns",
        "get",
        {**HOST_MANAGE, "host_owner": 200},
        kwargs=_upload,
    ),
    Entry(
        "mapping_upload_columns",
        "post",
        HOST_MANAGE,
        kwargs=_upload,
        data={"name": "0", "website": "1"},
    ),
    Entry("mapping_upload_cancel", "post", HOST_MANAGE, kwargs=_upload),
    Entry("mapping_list", "get", HOST_READ, kwargs=_list),
    Entry("mapping_list_export", "get", HOST_READ, kwargs=_list),
    Entry("mapping_populations", "get", ok(200)),
    Entry("mapping_populations", "post", MANAGERS, data=RULES),
    Entry("mapping_population_add", "post", MANAGERS, data={"name": "Partners"}),
    Entry(
        "mapping_population_delete",
        "post",
        HOST_MANAGE,
        kwargs=lambda w, o: {"key": o.extra["mapping_population"]},
    ),
]
