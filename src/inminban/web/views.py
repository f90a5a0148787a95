"""The pages every role shares: where a user's work starts, and the log-in page (wired in urls.py). Each domain's
pages live in its own app (registry, duties, entitlements, stamps, audit, accounts)."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.urls import reverse

from inminban.areas.access import active_assignments, scope_for
from inminban.areas.models import Role
from inminban.areas.selectors import areas_visible
from inminban.governance.models import Notification

# Where each role starts ------------------------------------------------------------------------------------------


def start_page(user) -> str | None:
    """The page a user's work starts from: leader → unit, officer → office's area, auditor → audit log,
    counter clerk → the counters, school clerk or recruitment officer → asking for a clearance, health worker →
    the health checks, resident → own household, administrator → the root area. Worked out once per request."""
    if hasattr(user, "_inminban_start_page"):
        return user._inminban_start_page
    by_role = {}
    user._inminban_person = None  # the registry person the account belongs to, for the header (signed_in_name)
    user._inminban_unread = 0  # unread notifications, for the header's count: read in the same query
    unread = (
        Notification.objects.filter(user=OuterRef("user_id"), read_at__isnull=True)
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    assignments = (
        active_assignments(user)
        .select_related("office__area", "person")
        .annotate(unread_notifications=Coalesce(Subquery(unread), 0))
        .order_by("since")
    )
    for assignment in assignments:
        user._inminban_unread = assignment.unread_notifications
        by_role.setdefault(assignment.role, assignment)
        if user._inminban_person is None and assignment.person_id is not None:
            user._inminban_person = assignment.person
    url = None
    if Role.LEADER in by_role:
        url = reverse("registry:unit", args=[by_role[Role.LEADER].area.code])
    elif Role.OFFICER in by_role:
        officer = by_role[Role.OFFICER]
        url = reverse("registry:area", args=[(officer.office.area if officer.office else officer.area).code])
    elif Role.AUDITOR in by_role:
        url = reverse("audit-log")
    elif Role.CLERK in by_role:
        url = reverse("entitlements:counters")
    elif Role.SCHOOL_CLERK in by_role or Role.RECRUITER in by_role:
        url = reverse("entitlements:clearance-new")
    elif Role.HEALTH_WORKER in by_role:
        url = reverse("health:checks")
    elif Role.RESIDENT in by_role:
        url = reverse("registry:my-household")
    elif scope_for(user).is_admin:
        root = areas_visible(actor=user).filter(parent__isnull=True).first()
        url = reverse("registry:area", args=[root.code]) if root else None
    user._inminban_start_page = url
    return url


@login_required
def home(request):
    url = start_page(request.user)
    if url is not None:
        return redirect(url)
    return render(request, "web/no_role.html")
