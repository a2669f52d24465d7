"""The inbox and the host's prompt rules, under /o/<org>/prompts/."""

from django.urls import path

from partnerloop.prompts import views

urlpatterns = [
    path("", views.inbox, name="prompts_inbox"),
    path("read-all/", views.prompts_read_all, name="prompts_read_all"),
    path("rules/", views.prompt_rules, name="prompt_rules"),
    path("rules/<str:rule>/", views.prompt_rule_edit, name="prompt_rule_edit"),
    path("effectiveness/", views.prompt_effectiveness, name="prompt_effectiveness"),
    path("<str:prompt>/", views.prompt_open, name="prompt_open"),
]
