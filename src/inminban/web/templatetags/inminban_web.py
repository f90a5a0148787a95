"""Small presentation helpers for the templates: ages, names in the current language, navigation."""

from datetime import date

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from inminban.areas.access import AUDIT, scope_for
from inminban.areas.models import Role

register = template.Library()


@register.filter
def age_on(birth_date: date | None, on: date | None = None) -> int | str:
    """Age in whole years on a date (default: today in INMINBAN_TIME_ZONE)."""
    if birth_date is None:
        return ""
    on = on or timezone.localdate()
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


@register.filter
def local_name(obj) -> str:
    """`name_ko` in Korean, `name_en` otherwise (areas, offices, levels); falls back to the other."""
    if obj is None:
        return ""
    korean = (get_language() or "").startswith("ko")
    first, second = ("name_ko", "name_en") if korean else ("name_en", "name_ko")
    return getattr(obj, first, "") or getattr(obj, second, "") or str(obj)


@register.filter
def current_job(person):
    """The job prefetched as `jobs_on_date` by the unit roster, if any."""
    jobs = getattr(person, "jobs_on_date", None)
    return jobs[0] if jobs else None


# The audit log's presentation (sentences, field labels, the raw entry) is in audit/templatetags/audit_history.py.


# Roles that see no stamps but the ones their one task shows them.
TASK_ONLY_ROLES = {Role.RESIDENT, Role.CLERK, Role.SCHOOL_CLERK, Role.RECRUITER, Role.HEALTH_WORKER}


@register.simple_tag(takes_context=True)
def nav_links(context) -> list[tuple[str, str, bool]]:
    """(label, url, current) for the top bar, from the user's roles."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        # The public verifier is the one page for people without an account: its header leads back to logging in.
        verify = reverse("stamps:verify")
        if request is not None and request.path == verify:
            return [(_("Log in"), reverse("web:login"), False), (_("Verify a stamp"), verify, True)]
        return []
    from .. import views  # the views know where each role's work starts

    scope = scope_for(user)
    links = []
    start = views.start_page(user)
    if start is not None:
        links.append((_("Home"), start))
    links.append((_("Notifications"), reverse("governance-notifications")))  # base.html adds the unread count
    if Role.RESIDENT in scope.roles:
        links.append((_("My household"), reverse("registry:my-household")))
    if Role.LEADER in scope.roles:
        links.append((_("Today"), reverse("duties:day")))
    if scope.is_admin or {Role.RESIDENT, Role.LEADER, Role.OFFICER, Role.AUDITOR} & scope.roles:
        links.append((_("Guests"), reverse("registry:stays")))
    if scope.is_admin or {Role.HEALTH_WORKER, Role.LEADER, Role.OFFICER, Role.AUDITOR} & scope.roles:
        links.append((_("Health checks"), reverse("health:checks")))
    if scope.is_admin or {Role.LEADER, Role.OFFICER, Role.AUDITOR} & scope.roles:
        links.append((_("Integrity flags"), reverse("integrity:flags")))
    if scope.is_admin or Role.OFFICER in scope.roles or Role.AUDITOR in scope.roles:
        links.append((_("Duties"), reverse("duties:dashboard")))
        links.append((_("Rations and benefits"), reverse("entitlements:programs")))
    if scope.is_admin or {Role.OFFICER, Role.CLERK} & scope.roles:
        links.append((_("Counters"), reverse("entitlements:counters")))
    if scope.is_admin or {Role.OFFICER, Role.SCHOOL_CLERK, Role.RECRUITER} & scope.roles:
        links.append((_("Clearances"), reverse("entitlements:clearance-new")))
    if scope.is_admin or {Role.OFFICER, Role.AUDITOR} & scope.roles:
        links.append((_("Appeals"), reverse("entitlements:appeals")))
    if scope.is_admin or {Role.RESIDENT, Role.LEADER, Role.OFFICER, Role.AUDITOR} & scope.roles:
        links.append((_("Petitions"), reverse("governance-petitions")))
    if scope.is_admin or {Role.RESIDENT, Role.LEADER, Role.OFFICER, Role.AUDITOR} & scope.roles:
        links.append((_("Votes"), reverse("governance-votes")))
    if scope.is_admin or scope.roles - TASK_ONLY_ROLES:
        links.append((_("Stamps"), reverse("stamps:list")))
    if scope.is_admin or Role.OFFICER in scope.roles:
        links.append((_("Accounts"), reverse("accounts:list")))
    if scope.is_admin or scope.prefixes(AUDIT):
        links.append((_("Audit log"), reverse("audit-log")))
    links.append((_("Verify a stamp"), reverse("stamps:verify")))
    seen, unique = set(), []
    for label, url in links:
        if url not in seen:
            seen.add(url)
            unique.append((label, url, request.path == url))
    return unique


@register.simple_tag(takes_context=True)
def signed_in_name(context) -> str:
    """Who is logged in, by name: the person of the registry a resident's or leader's account belongs to, or the
    account's own name; the user name only for accounts with neither (an administrator made from the command line)."""
    from .. import views

    user = context["request"].user
    views.start_page(user)  # reads the user's role assignments once per request, and notes their person
    person = getattr(user, "_inminban_person", None)
    if person is not None:
        return person.full_name
    return user.get_full_name() or user.username


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """How many of the signed-in user's notifications are unread: counted in the query that reads their roles."""
    from .. import views

    user = context["request"].user
    if not user.is_authenticated:
        return 0
    views.start_page(user)
    return getattr(user, "_inminban_unread", 0)
