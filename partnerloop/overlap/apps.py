from typing import Any

from django.apps import AppConfig


class OverlapConfig(AppConfig):
    name = "partnerloop.overlap"
    label = "overlap"

    def ready(self) -> None:
        from partnerloop.mapping.signals import current_lists_changed

        current_lists_changed.connect(_lists_changed, dispatch_uid="overlap_refresh")


def _lists_changed(sender: Any, organization_id: int, **kwargs: Any) -> None:
    from partnerloop.overlap.services import refresh_queue

    refresh_queue(organization_id=organization_id)
