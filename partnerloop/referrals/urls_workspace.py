"""Referrals inside a partnership, under /o/<org>/p/<code>/referrals/."""

from django.urls import path

from partnerloop.referrals import views

urlpatterns = [
    path("", views.referral_list, name="referral_list"),
    path("new/", views.referral_new, name="referral_new"),
    path("export.csv", views.referral_export, name="referral_export"),
    path("<str:referral>/", views.referral_detail, name="referral_detail"),
    path("<str:referral>/edit/", views.referral_edit, name="referral_edit"),
    path("<str:referral>/decide/", views.referral_decide, name="referral_decide"),
    path("<str:referral>/stage/", views.referral_stage, name="referral_stage"),
]
