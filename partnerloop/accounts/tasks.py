"""Background jobs of the accounts app. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django_tasks import task

from partnerloop.accounts.models import Invitation


@task()
def send_invitation_email(*, invitation_id: int) -> None:
    from partnerloop.accounts.services import invitation_url

    invitation = (
        Invitation.objects.select_related("organization", "partnership__host", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if invitation is None:
        return  # used or withdrawn in the meantime: nothing to send
    context = {"invitation": invitation, "url": invitation_url(invitation)}
    subject = render_to_string("emails/invitation_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    message.send()
