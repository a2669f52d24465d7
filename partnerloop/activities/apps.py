from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "partnerloop.activities"
    label = "activities"
