from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    name = "partnerloop.accountability"
    label = "accountability"
