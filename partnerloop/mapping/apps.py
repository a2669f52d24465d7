from django.apps import AppConfig


class MappingConfig(AppConfig):
    name = "partnerloop.mapping"
    label = "mapping"
