"""/api/v1/ endpoints: the caller's own notifications (a vote opened in their unit, a result, an answer to a petition
they signed, a suspension, an officer's digest). Thin: scoping in notifications.py, the wording in wording.py.

Everyone reads only their own; another person's notification answers 404. Marking read is not audited: it changes
nothing of record."""

from datetime import datetime

from ninja import Field, Query, Router, Schema

from inminban.api.pagination import PageParams, paginate
from inminban.api.schemas import READ_ERRORS, WRITE_ERRORS, QueryBool

from ..models import Notification
from ..notifications import notification_get, notification_mark_read, notifications_for, unread_count
from ..wording import notification_text

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="What happened: vote_opened, vote_result, petition_response, obligation_suspended…")
    text: str = Field(description="The notification in words, in the request's language (Accept-Language).")
    params: dict = Field(description="The facts the text was made from.")
    link: str = Field(description="The page it is about (a path on this site); empty when none.")
    created_at: datetime
    read_at: datetime | None
    unread: bool

    @staticmethod
    def resolve_text(notification: Notification) -> str:
        return notification_text(notification.kind, notification.params)

    @staticmethod
    def resolve_unread(notification: Notification) -> bool:
        return notification.read_at is None


class NotificationPage(Schema):
    items: list[NotificationOut]
    count: int = Field(description="How many notifications match (all pages).")
    unread: int = Field(description="How many of the caller's notifications are unread (whatever the filter).")


class NotificationFilter(PageParams):
    unread: QueryBool | None = Field(None, description="true: only unread ones; false: only read ones.")


class MarkedOut(Schema):
    marked: int = Field(description="How many notifications this call marked read.")
    unread: int = Field(description="How many remain unread.")


@router.get(
    "/notifications",
    response={200: NotificationPage, **READ_ERRORS},
    summary="Your notifications",
    description="Your own notifications only, newest first, with the number still unread.",
)
def list_notifications(request, filters: Query[NotificationFilter]):
    found = notifications_for(actor=request.user)
    if filters.unread is not None:
        found = found.filter(read_at__isnull=filters.unread)
    return paginate(found, filters) | {"unread": unread_count(actor=request.user)}


@router.post(
    "/notifications/read-all",
    response={200: MarkedOut, **WRITE_ERRORS},
    summary="Mark all your notifications read",
)
def read_all(request):
    marked = notification_mark_read(actor=request.user)
    return {"marked": marked, "unread": unread_count(actor=request.user)}


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **WRITE_ERRORS},
    summary="Mark one of your notifications read",
    description="Marking one already read changes nothing and answers it as it is.",
)
def read_one(request, notification_id: int):
    notification = notification_get(actor=request.user, notification_id=notification_id)
    notification_mark_read(actor=request.user, notification=notification)
    notification.refresh_from_db()
    return notification
