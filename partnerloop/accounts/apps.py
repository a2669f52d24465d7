from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "partnerloop.accounts"
    label = "accounts"
