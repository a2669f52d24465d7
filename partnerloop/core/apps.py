from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "partnerloop.core"
    label = "core"
