from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "partnerloop.referrals"
    label = "referrals"
