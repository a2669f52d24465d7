from django.apps import AppConfig


class FitConfig(AppConfig):
    name = "partnerloop.fit"
    label = "fit"
