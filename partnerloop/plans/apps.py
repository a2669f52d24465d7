from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "partnerloop.plans"
    label = "plans"
