"""The latest notifications of the signed-in person, for their household's page (a small include)."""

from django import template

from ..views_notices import LATEST_SHOWN, latest_notices

register = template.Library()


@register.inclusion_tag("governance/notices/_latest.html", takes_context=True)
def latest_notifications(context, limit: int = LATEST_SHOWN):
    request = context["request"]
    from inminban.web.views import start_page

    start_page(request.user)  # the header has counted the unread ones already, in the query that reads the roles
    return {
        "notices": latest_notices(actor=request.user, limit=limit),
        "notices_unread": getattr(request.user, "_inminban_unread", 0),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
