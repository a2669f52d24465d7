from django.apps import AppConfig


class PartnershipsConfig(AppConfig):
    name = "partnerloop.partnerships"
    label = "partnerships"
