from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ApiConfig(AppConfig):
    name = "partnerloop.api"
    label = "api"

    def ready(self) -> None:
        from partnerloop.api.list_cache import install_triggers

        # After every migrate: a migration that rebuilds a table on SQLite drops its
        # triggers (see list_cache).
        post_migrate.connect(install_triggers, sender=self, dispatch_uid="api_list_stamps")
