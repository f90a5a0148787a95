"""Who did something, in words: by name and role at the time ("김금숙 (unit leader)", "an officer of Songhu-dong
office"), never by user name."""

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .references import local_name

ROLE_WORDS = {
    "resident": _("resident"),
    "leader": _("unit leader"),
    "officer": _("officer"),
    "auditor": _("auditor"),
    "admin": _("administrator"),
    "clerk": _("counter clerk"),
    "school_clerk": _("school clerk"),
    "recruiter": _("recruitment officer"),
    "health_worker": _("health worker"),
}
# An actor whose name is not known, by role alone.
ROLE_ALONE = {
    "resident": _("a resident"),
    "leader": _("the unit leader"),
    "officer": _("an officer"),
    "auditor": _("an auditor"),
    "admin": _("an administrator"),
    "clerk": _("a counter clerk"),
    "school_clerk": _("a school clerk"),
    "recruiter": _("a recruitment officer"),
    "health_worker": _("a health worker"),
}


# Who did it --------------------------------------------------------------------------------------------------------


def role_assignments_of(user_ids: Iterable[int]) -> dict[int, list]:
    """The role assignments of these users (all, past ones too), in one query."""
    from inminban.areas.models import RoleAssignment

    ids = {pk for pk in user_ids if pk}
    assignments: dict[int, list] = {}
    if ids:
        rows = RoleAssignment.objects.filter(user_id__in=ids).select_related("person", "office", "user")
        for assignment in rows.order_by("since", "pk"):
            assignments.setdefault(assignment.user_id, []).append(assignment)
    return assignments


def person_words(user_id: int | None, at: datetime, assignments: dict[int, list]) -> str:
    """Who someone was at the time, by name and role: "김금숙 (unit leader)", "an officer of Songhu-dong office",
    "the system". Never a user name."""
    if user_id is None:
        return gettext("the system")
    held = assignments.get(user_id, [])
    day = timezone.localtime(at).date()
    current = [a for a in held if a.since <= day and (a.until is None or a.until > day)] or list(held)
    if not current:
        return gettext("an official")
    current.sort(key=lambda a: ROLE_ORDER.index(a.role) if a.role in ROLE_ORDER else len(ROLE_ORDER))
    assignment = current[0]
    name = assignment.person.full_name if assignment.person_id else assignment.user.get_full_name()
    role = str(ROLE_WORDS.get(assignment.role, gettext("official")))
    if name:
        return gettext("%(name)s (%(role)s)") % {"name": name, "role": role}
    if assignment.role == "officer" and assignment.office_id:
        return gettext("an officer of %(office)s") % {"office": local_name(assignment.office)}
    return str(ROLE_ALONE.get(assignment.role, gettext("an official")))


ROLE_ORDER = ["admin", "officer", "leader", "auditor", "resident"]
