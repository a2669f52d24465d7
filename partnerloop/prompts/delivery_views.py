"""Pages of prompt delivery: preferences, calendar feed, webhooks, events, and the
public token URLs (one-click e-mail links, calendar feeds)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerloop.core.tenancy import Actor
from partnerloop.core.views import add_service_errors, form_errors, org_view
from partnerloop.partnerships.selectors import partnership_for
from partnerloop.partnerships.services import ConcurrentEdit
from partnerloop.prompts import calendar, email, events, links, webhooks
from partnerloop.prompts.forms_delivery import EventForm, PreferenceForm, WebhookForm
from partnerloop.prompts.models import EventStatus, PromptPreference


def _preferences_context(actor: Actor, form: PreferenceForm | None = None) -> dict[str, object]:
    preference = PromptPreference.objects.filter(user=actor.user).first()
    if form is None:
        form = PreferenceForm(
            initial={
                "email_mode": preference.email_mode if preference else "immediate",
                "digest_hour": preference.digest_hour if preference else 8,
                "muted_kinds": preference.muted_kinds if preference else [],
            }
        )
    context: dict[str, object] = {
        "actor": actor,
        "form": form,
        "feed": calendar.active_feed(actor=actor),
        "new_feed_url": "",
    }
    if actor.is_admin:
        context.update(
            webhooks=webhooks.webhooks_of(actor=actor),
            deliveries=webhooks.recent_deliveries(actor=actor),
            webhook_form=WebhookForm(),
        )
    return context


@require_http_methods(["GET", "POST"])
@org_view
def delivery_preferences(request: HttpRequest, actor: Actor) -> HttpResponse:
    """How prompts reach me: e-mail mode, digest hour, muted kinds; calendar; webhooks."""
    form = PreferenceForm(request.POST or None) if request.method == "POST" else None
    if form is not None and form.is_valid():
        try:
            email.preference_update(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Your prompt settings are saved.")
            return redirect("delivery_preferences", org=actor.organization.code)
    return render(request, "prompts/delivery_preferences.html", _preferences_context(actor, form))


@require_POST
@org_view
def calendar_feed_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Create (or rotate) the feed; its URL is shown on this answer only."""
    new = calendar.feed_create(actor=actor)
    context = _preferences_context(actor)
    context.update(feed=new.feed, new_feed_url=new.url)
    return render(request, "prompts/delivery_preferences.html", context)


@require_POST
@org_view
def calendar_feed_revoke(request: HttpRequest, actor: Actor) -> HttpResponse:
    if calendar.feed_revoke(actor=actor):
        messages.success(request, "The calendar feed is revoked; its address no longer works.")
    return redirect("delivery_preferences", org=actor.organization.code)


@require_POST
@org_view
def webhook_add(request: HttpRequest, actor: Actor) -> HttpResponse:
    actor.require_admin()
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            webhooks.webhook_create(actor=actor, url=form.cleaned_data["url"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Webhook added. Send a test to check it.")
            return redirect("delivery_preferences", org=actor.organization.code)
    context = _preferences_context(actor)
    context["webhook_form"] = form
    return render(request, "prompts/delivery_preferences.html", context, status=400)


@require_POST
@org_view
def webhook_delete(request: HttpRequest, actor: Actor, webhook: str) -> HttpResponse:
    actor.require_admin()
    webhooks.webhook_delete(actor=actor, webhook=webhooks.webhook_for(actor=actor, code=webhook))
    messages.success(request, "Webhook removed.")
    return redirect("delivery_preferences", org=actor.organization.code)


@require_POST
@org_view
def webhook_test(request: HttpRequest, actor: Actor, webhook: str) -> HttpResponse:
    actor.require_admin()
    hook = webhooks.webhook_for(actor=actor, code=webhook)
    delivery = webhooks.webhook_send_test(actor=actor, webhook=hook)
    if delivery.delivered_at:
        messages.success(
            request, f"The test reached {hook.url} (HTTP {delivery.last_status_code})."
        )
    else:
        messages.error(
            request,
            f"The test did not reach {hook.url}: {delivery.last_error}. "
            "Check the address; it is retried with the other deliveries.",
        )
    return redirect("delivery_preferences", org=actor.organization.code)


# Events ----------------------------------------------------------------------------------


def _event_data(data: dict[str, object]) -> events.EventData:
    return events.EventData(
        kind=str(data["kind"]),
        title=str(data["title"]),
        starts_at=data["starts_at"],  # type: ignore[arg-type]
        ends_at=data.get("ends_at"),  # type: ignore[arg-type]
        place=str(data.get("place") or ""),
        description=str(data.get("description") or ""),
        host_attendees=str(data.get("host_attendees") or ""),
        partner_attendees=str(data.get("partner_attendees") or ""),
    )


def _to_workspace(actor: Actor, code: str) -> HttpResponse:
    response = redirect("workspace", org=actor.organization.code, code=code)
    response["Location"] += "#reviews"
    return response


@require_http_methods(["GET", "POST"])
@org_view
def event_new(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    partnership, _ = partnership_for(actor=actor, code=code)
    actor.require_write()
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            events.event_create(
                actor=actor, partnership=partnership, data=_event_data(form.cleaned_data)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Event proposed; the other side can confirm it.")
            return _to_workspace(actor, code)
    return render(
        request,
        "prompts/event_form.html",
        {"actor": actor, "p": partnership, "form": form, "event": None},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@org_view
def event_edit(request: HttpRequest, actor: Actor, code: str, event: str) -> HttpResponse:
    partnership, _ = partnership_for(actor=actor, code=code)
    obj = events.event_for(partnership=partnership, code=event)
    actor.require_write()
    initial = {
        "version": obj.version,
        "kind": obj.kind,
        "title": obj.title,
        "starts_at": obj.starts_at,
        "ends_at": obj.ends_at,
        "place": obj.place,
        "description": obj.description,
        "host_attendees": obj.host_attendees,
        "partner_attendees": obj.partner_attendees,
    }
    form = EventForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            events.event_edit(
                actor=actor,
                event=obj,
                expected_version=form.cleaned_data["version"] or 0,
                data=_event_data(form.cleaned_data),
            )
        except ConcurrentEdit as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Event saved.")
            return _to_workspace(actor, code)
    if form.errors and status == 200:
        status = 400
    return render(
        request,
        "prompts/event_form.html",
        {"actor": actor, "p": partnership, "form": form, "event": obj},
        status=status,
    )


def _event_status(request: HttpRequest, actor: Actor, code: str, event: str, status: str):  # type: ignore[no-untyped-def]
    partnership, _ = partnership_for(actor=actor, code=code)
    obj = events.event_for(partnership=partnership, code=event)
    service = events.event_confirm if status == EventStatus.CONFIRMED else events.event_cancel
    try:
        service(actor=actor, event=obj)
    except ValidationError as exc:
        for errors in form_errors(exc).values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, f"Event {obj.get_status_display().lower()}.")
    return _to_workspace(actor, code)


@require_POST
@org_view
def event_confirm(request: HttpRequest, actor: Actor, code: str, event: str) -> HttpResponse:
    return _event_status(request, actor, code, event, EventStatus.CONFIRMED)


@require_POST
@org_view
def event_cancel(request: HttpRequest, actor: Actor, code: str, event: str) -> HttpResponse:
    return _event_status(request, actor, code, event, EventStatus.CANCELLED)


# Public token URLs ---------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def action_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET describes the action (link scanners change nothing); POST carries it out."""
    try:
        link = links.link_from_token(token)
        if request.method == "GET":
            return render(
                request,
                "prompts/delivery_link.html",
                {"link": link, "what": links.describe(link)},
            )
        result = links.link_use(token)
    except links.LinkInvalid as exc:
        return render(
            request, "prompts/delivery_link_result.html", {"problem": str(exc)}, status=exc.status
        )
    except (PermissionDenied, ValidationError) as exc:
        problem = str(exc) if isinstance(exc, PermissionDenied) else " ".join(exc.messages)
        return render(
            request,
            "prompts/delivery_link_result.html",
            {"problem": problem, "org_code": link.organization.code},
            status=403 if isinstance(exc, PermissionDenied) else 400,
        )
    return render(
        request,
        "prompts/delivery_link_result.html",
        {
            "done": result.message,
            "org_code": result.organization_code,
            "partnership": result.partnership,
        },
    )


@never_cache
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = calendar.feed_for_token(token)
    response = HttpResponse(
        calendar.feed_calendar(feed), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="partnerloop.ics"'
    return response
