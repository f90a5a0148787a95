"""Small presentation helpers for the templates: ages, names in the current language, audit changes, navigation."""

import json
from datetime import date

from django import template
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from inminban.areas.access import AUDIT, scope_for
from inminban.areas.models import Role
from inminban.audit.chain import entry_fields, entry_hash

register = template.Library()


@register.filter
def age_on(birth_date: date | None, on: date | None = None) -> int | str:
    """Age in whole years on a date (default: today)."""
    if birth_date is None:
        return ""
    on = on or date.today()
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


# Readable names for the fields and actions that audit entries carry; anything else is shown as stored.
FIELD_LABELS = {
    "unit": gettext_lazy("Unit"),
    "dwelling": gettext_lazy("Dwelling"),
    "head": gettext_lazy("Head of household"),
    "number": gettext_lazy("Registration number"),
    "registered_on": gettext_lazy("Registered on"),
    "dissolved_on": gettext_lazy("Dissolved on"),
    "family_name": gettext_lazy("Family name"),
    "given_name": gettext_lazy("Given name"),
    "birth_date": gettext_lazy("Birth date"),
    "sex": gettext_lazy("Sex"),
    "national_id": gettext_lazy("National ID"),
    "status": gettext_lazy("Status"),
    "household": gettext_lazy("Household"),
    "membership": gettext_lazy("Membership"),
    "person": gettext_lazy("Person"),
    "relation": gettext_lazy("Relation"),
    "since": gettext_lazy("Since"),
    "until": gettext_lazy("Until"),
    "workplace": gettext_lazy("Workplace"),
    "job_title": gettext_lazy("Job title"),
    "amount": gettext_lazy("Amount"),
    "currency": gettext_lazy("Currency"),
    "period": gettext_lazy("Period"),
    "on": gettext_lazy("On"),
    "address": gettext_lazy("Address"),
    "building": gettext_lazy("Building"),
    "apartment": gettext_lazy("Apartment number"),
    "kind": gettext_lazy("Kind"),
    "floor_area_m2": gettext_lazy("Floor area (m²)"),
}

ACTION_LABELS = {
    "dwelling.create": gettext_lazy("Dwelling registered"),
    "dwelling.update": gettext_lazy("Dwelling corrected"),
    "household.register": gettext_lazy("Household registered"),
    "household.set_head": gettext_lazy("Head of household changed"),
    "household.move": gettext_lazy("Household moved"),
    "move.update": gettext_lazy("Date of a move corrected"),
    "person.register": gettext_lazy("Person registered"),
    "person.update": gettext_lazy("Personal details corrected"),
    "person.move": gettext_lazy("Person moved"),
    "person.moved_away": gettext_lazy("Moved away"),
    "person.deceased": gettext_lazy("Deceased"),
    "membership.add": gettext_lazy("Membership added"),
    "membership.update": gettext_lazy("Membership corrected"),
    "occupation.set": gettext_lazy("New job recorded"),
    "occupation.update": gettext_lazy("Job corrected"),
    "income.declare": gettext_lazy("Income declared"),
    "income.update": gettext_lazy("Declared income corrected"),
    "campaign.suspend": gettext_lazy("Campaign suspended by its issuer"),
    "campaign.cancel": gettext_lazy("Campaign cancelled by its issuer"),
    "campaign.resume": gettext_lazy("Campaign resumed"),
    "levy.suspend": gettext_lazy("Levy suspended by its issuer"),
    "levy.cancel": gettext_lazy("Levy cancelled by its issuer"),
    "levy.resume": gettext_lazy("Levy resumed"),
    "program.create": gettext_lazy("Entitlement program started"),
    "program.revise": gettext_lazy("Program norms or rule revised"),
    "cycle.create": gettext_lazy("Entitlement cycle opened"),
    "cycle.generate_request": gettext_lazy("Cycle computation requested"),
    "cycle.generate": gettext_lazy("Entitlements computed"),
    "cycle.approve": gettext_lazy("Cycle approved"),
    "cycle.distribute": gettext_lazy("Distribution started"),
    "cycle.close": gettext_lazy("Cycle closed"),
}


@register.filter
def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@register.filter
def audit_changes(entry) -> list[tuple[str, str, str, bool]]:
    """(field, before, after, changed) for every field named in the entry's before or after."""
    before, after = entry.before or {}, entry.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("", _shown(entry.before), _shown(entry.after), True)]
    names = list(before) + [name for name in after if name not in before]
    return [
        (name, _shown(before.get(name)), _shown(after.get(name)), before.get(name) != after.get(name)) for name in names
    ]


@register.filter
def hash_intact(entry) -> bool:
    """Whether the entry still hashes to its stored hash (its own content unchanged; links are checked apart)."""
    return entry_hash(entry.prev_hash, entry_fields(entry)) == entry.hash


@register.simple_tag(takes_context=True)
def nav_links(context) -> list[tuple[str, str, bool]]:
    """(label, url, current) for the top bar, from the user's roles."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    from .. import views  # the views know where each role's work starts

    scope = scope_for(user)
    links = []
    start = views.start_page(user)
    if start is not None:
        links.append((_("Home"), start))
    if Role.RESIDENT in scope.roles:
        links.append((_("My household"), reverse("registry:my-household")))
    if Role.LEADER in scope.roles:
        links.append((_("Today"), reverse("duties:day")))
    if scope.is_admin or Role.OFFICER in scope.roles or Role.AUDITOR in scope.roles:
        links.append((_("Duties"), reverse("duties:dashboard")))
        links.append((_("Rations and benefits"), reverse("entitlements:programs")))
    if scope.is_admin or scope.prefixes(AUDIT):
        links.append((_("Audit log"), reverse("audit-log")))
    seen, unique = set(), []
    for label, url in links:
        if url not in seen:
            seen.add(url)
            unique.append((label, url, request.path == url))
    return unique
