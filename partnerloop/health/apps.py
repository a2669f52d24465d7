from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "partnerloop.health"
    label = "health"
