"""Referrals across partnerships and the known accounts, under /o/<org>/referrals/."""

from django.urls import path

from partnerloop.referrals import views

urlpatterns = [
    path("", views.referrals_all, name="referrals_all"),
    path("export.csv", views.referrals_export, name="referrals_export"),
    path("known-accounts/", views.known_accounts, name="known_accounts"),
    path("known-accounts/add/", views.known_account_add, name="known_account_add"),
    path("known-accounts/import/", views.known_accounts_import, name="known_accounts_import"),
    path(
        "known-accounts/<str:account>/delete/",
        views.known_account_delete,
        name="known_account_delete",
    ),
]
