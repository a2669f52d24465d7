from django.apps import AppConfig


class PsiConfig(AppConfig):
    name = "partnerloop.psi"
    label = "psi"
