from django.apps import AppConfig


class PromptsConfig(AppConfig):
    name = "partnerloop.prompts"
    label = "prompts"
