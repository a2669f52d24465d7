"""Organizations, teammates and invitations (sign-up and log-in are django-allauth's)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from partnerloop.accounts import services
from partnerloop.accounts.models import Invitation, Membership, Role
from partnerloop.core.tenancy import Actor
from partnerloop.core.views import add_service_errors, form_errors, org_view
from partnerloop.partnerships.selectors import partnership_for


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=200, label="Organization name")
    website = forms.CharField(max_length=300, required=False, help_text="e.g. example.com")


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(choices=Role.choices)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


@login_required
def organization_create(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{org.name} is ready. Add your first partner.")
            return redirect("org_home", org=org.code)
    return render(request, "accounts/organization_create.html", {"form": form})


@org_view
def members(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The team page: who is in the organization, open invitations, invite a teammate."""
    form = InviteForm(request.POST or None, initial={"role": Role.MEMBER})
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("members", org=actor.organization.code)
    memberships = (
        Membership.objects.filter(organization=actor.organization)
        .select_related("user")
        .order_by("user__email")
    )
    invitations = Invitation.objects.filter(
        organization=actor.organization, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by", "partnership__host")
    return render(
        request,
        "accounts/members.html",
        {
            "actor": actor,
            "memberships": memberships,
            "invitations": invitations,
            "form": form,
            "roles": Role.choices,
        },
    )


@require_POST
@org_view
def member_role(request: HttpRequest, actor: Actor, member: int) -> HttpResponse:
    membership = Membership.objects.filter(organization=actor.organization, pk=member).first()
    if membership is None:
        raise Http404
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_set_role(
                actor=actor, membership=membership, role=form.cleaned_data["role"]
            )
        except ValidationError as exc:
            for errors in form_errors(exc).values():
                for error in errors:
                    messages.error(request, error)
    return redirect("members", org=actor.organization.code)


@require_POST
@org_view
def invitation_revoke(request: HttpRequest, actor: Actor, invitation: str) -> HttpResponse:
    found = (
        Invitation.objects.filter(code=invitation, organization=actor.organization)
        .select_related("partnership")
        .first()
    )
    if found is None:
        raise Http404
    services.invitation_revoke(actor=actor, invitation=found)
    messages.success(request, f"Invitation of {found.email} withdrawn.")
    return redirect("members", org=actor.organization.code)


@require_POST
@org_view
def partner_invite(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """Invite a user of the partner organization into this partnership's workspace."""
    partnership, _ = partnership_for(actor=actor, code=code)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                actor=actor, partnership_code=partnership.code, **form.cleaned_data
            )
        except ValidationError as exc:
            for errors in form_errors(exc).values():
                for error in errors:
                    messages.error(request, error)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email}. They land in this workspace.",
            )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("workspace", org=actor.organization.code, code=code)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open the e-mailed link: sign in (or up) first, then confirm to join."""
    try:
        invitation = services.invitation_from_token(token)
    except services.InvitationInvalid as exc:
        return render(request, "accounts/invitation_invalid.html", {"reason": str(exc)}, status=410)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            services.invitation_accept(token=token, user=request.user)
        except services.InvitationInvalid as exc:
            return render(
                request, "accounts/invitation_invalid.html", {"reason": str(exc)}, status=410
            )
        messages.success(request, f"Welcome to {invitation.organization.name}.")
        if invitation.partnership is not None:
            return redirect(
                "workspace", org=invitation.organization.code, code=invitation.partnership.code
            )
        return redirect("org_home", org=invitation.organization.code)
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation})
