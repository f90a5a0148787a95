"""Pages: a person's notifications, newest first, unread ones marked; one tap marks all read, and opening one marks
it read and goes to the page it is about. Thin: scoping in notifications.py, the wording in wording.py."""

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from inminban.web.decorators import page

from .notifications import notification_get, notification_mark_read, notifications_for, unread_count
from .wording import notification_text

PAGE_SIZE = 30
LATEST_SHOWN = 3  # on the household's page


def notice_items(notifications) -> list[dict]:
    """What a list shows of each: its sentence in the reader's language, when, whether unread, where it leads."""
    return [
        {
            "notification": notification,
            "text": notification_text(notification.kind, notification.params),
            "unread": notification.read_at is None,
        }
        for notification in notifications
    ]


def latest_notices(*, actor, limit: int = LATEST_SHOWN) -> list[dict]:
    """The newest few, for a household's page."""
    return notice_items(notifications_for(actor=actor)[:limit])


@page
def notice_list(request):
    page_obj = Paginator(notifications_for(actor=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "items": notice_items(page_obj.object_list),
        "page_obj": page_obj,
        "unread": unread_count(actor=request.user),
    }
    return render(request, "governance/notices/list.html", context)


@page
@require_POST
def notice_open(request, notification_id):
    notification = notification_get(actor=request.user, notification_id=notification_id)
    notification_mark_read(actor=request.user, notification=notification)
    target = notification.link or "governance-notifications"
    if notification.link and not url_has_allowed_host_and_scheme(notification.link, allowed_hosts={request.get_host()}):
        target = "governance-notifications"
    return redirect(target)


@page
@require_POST
def notice_read_all(request):
    notification_mark_read(actor=request.user)
    return redirect("governance-notifications")


urlpatterns = [
    path("notifications/", notice_list, name="governance-notifications"),
    path("notifications/<int:notification_id>/open/", notice_open, name="governance-notification-open"),
    path("notifications/read-all/", notice_read_all, name="governance-notifications-read-all"),
]
