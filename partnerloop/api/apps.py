from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "partnerloop.api"
    label = "api"
