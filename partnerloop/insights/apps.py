from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "partnerloop.insights"
    label = "insights"
