from django.urls import include, path

from partnerloop.accounts import views as accounts
from partnerloop.api.api import api
from partnerloop.core import views as core
from partnerloop.partnerships import views as partnerships

org_patterns = [
    path("", partnerships.org_home, name="org_home"),
    path("members/", accounts.members, name="members"),
    path("members/<int:member>/role/", accounts.member_role, name="member_role"),
    path(
        "invitations/<uuid:invitation>/revoke/",
        accounts.invitation_revoke,
        name="invitation_revoke",
    ),
    path("partners/", partnerships.directory, name="directory"),
    path("partners/new/", partnerships.partnership_create, name="partnership_create"),
    path("partners/export.csv", partnerships.directory_export, name="directory_export"),
    path("partners/", include("partnerloop.partnerships.import_urls")),
    path("tokens/", include("partnerloop.api.urls")),
    path("fit/", include("partnerloop.fit.urls")),
    path("p/<str:code>/fit/", include("partnerloop.fit.urls_workspace")),
    path("plans/", include("partnerloop.plans.urls")),
    path("p/<str:code>/plan/", include("partnerloop.plans.urls_workspace")),
    path("p/<str:code>/health/", include("partnerloop.health.urls_workspace")),
    path("p/<str:code>/private-mode/", include("partnerloop.psi.urls_workspace")),
    path("p/<str:code>/overlap/", include("partnerloop.overlap.urls_workspace")),
    path("prompts/", include("partnerloop.prompts.urls")),
    path("p/<str:code>/prompts/", include("partnerloop.prompts.urls_workspace")),
    path("notifications/", include("partnerloop.prompts.urls_delivery")),
    path("p/<str:code>/events/", include("partnerloop.prompts.urls_events")),
    path("activities/", include("partnerloop.activities.urls")),
    path("p/<str:code>/commitments/", include("partnerloop.accountability.urls_workspace")),
    path("p/<str:code>/scorecard/", include("partnerloop.accountability.urls_scorecard")),
    path("accountability/", include("partnerloop.accountability.urls")),
    path("p/<str:code>/activities/", include("partnerloop.activities.urls_workspace")),
    path("referrals/", include("partnerloop.referrals.urls")),
    path("mapping/", include("partnerloop.mapping.urls")),
    path("insights/", include("partnerloop.insights.urls")),
    path("p/<str:code>/", include("partnerloop.insights.urls_workspace")),
    path("p/<str:code>/referrals/", include("partnerloop.referrals.urls_workspace")),
    path("p/<str:code>/", partnerships.workspace, name="workspace"),
    path("p/<str:code>/timeline/", partnerships.timeline_more, name="timeline_more"),
    path("p/<str:code>/edit/", partnerships.partnership_edit, name="partnership_edit"),
    path("p/<str:code>/stage/", partnerships.partnership_stage, name="partnership_stage"),
    path("p/<str:code>/invite/", accounts.partner_invite, name="partner_invite"),
    path("p/<str:code>/notes/", partnerships.note_add, name="note_add"),
    path(
        "p/<str:code>/notes/<str:note>/visibility/",
        partnerships.note_visibility,
        name="note_visibility",
    ),
    path("p/<str:code>/notes/<str:note>/comments/", partnerships.comment_add, name="comment_add"),
    path("p/<str:code>/people/", partnerships.person_add, name="person_add"),
    path("p/<str:code>/people/<str:person>/met/", partnerships.person_met, name="person_met"),
    path(
        "p/<str:code>/agreement/propose/",
        partnerships.agreement_propose,
        name="agreement_propose",
    ),
    path(
        "p/<str:code>/agreement/<str:agreement>/accept/",
        partnerships.agreement_accept,
        name="agreement_accept",
    ),
    path(
        "p/<str:code>/agreement/<str:agreement>/end/",
        partnerships.agreement_end,
        name="agreement_end",
    ),
]

urlpatterns = [
    path("", core.home, name="home"),
    path("healthz", core.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("orgs/new/", accounts.organization_create, name="organization_create"),
    path("invitations/<str:token>/", accounts.invitation_accept, name="invitation_accept"),
    path("o/<str:org>/", include(org_patterns)),
    # One-click e-mail links and personal calendar feeds: no session, a signed token.
    path("", include("partnerloop.prompts.urls_public")),
    path("api/v1/", api.urls),
]
