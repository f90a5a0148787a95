"""Writes to the area tree, offices and role assignments."""

from datetime import date

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from inminban.audit.services import audit_record
from inminban.common.errors import DomainError
from inminban.common.snapshots import snapshot
from inminban.common.validators import effective_date

from .access import MANAGE_AREAS, forget_scope, require, scope_for
from .models import Area, AreaLevel, Office, Role, RoleAssignment

AREA_FIELDS = ("level", "parent", "code", "name_ko", "name_en", "path")


def _check_code(code: str) -> str:
    code = (code or "").strip()
    if not code:
        raise DomainError("code", "An area code is required.")
    if "/" in code or len(code) > 64:
        raise DomainError("code", "An area code is at most 64 characters and has no '/'.")
    return code


def _check_names(name_ko: str, name_en: str) -> None:
    """One of the two names may be empty (the model's full_clean would refuse that, so it skips the names)."""
    if not name_ko and not name_en:
        raise DomainError("name_en", "An area needs a name in Korean or English.")
    for field, value in (("name_ko", name_ko), ("name_en", name_en)):
        if len(value) > 128:
            raise DomainError(field, "At most 128 characters.")


@transaction.atomic
def area_create(*, actor: User, parent: Area | None, level: AreaLevel, code: str, name_ko: str, name_en: str) -> Area:
    """Add an area under `parent` (or a root area, for admins only)."""
    if parent is None:
        if not scope_for(actor).is_admin:
            raise DomainError("parent", "Only an administrator can create a root area.")
    else:
        require(actor, MANAGE_AREAS, parent)
        if level.rank <= parent.level.rank:
            raise DomainError("level", f"A {level.code} cannot sit under a {parent.level.code}.")
        if parent.level.is_unit:
            raise DomainError("parent", "A unit has no areas below it.")
    code = _check_code(code)
    if Area.objects.filter(code=code).exists():
        raise DomainError("code", f"The area code {code!r} is already used.")
    _check_names(name_ko.strip(), name_en.strip())
    area = Area(
        level=level,
        parent=parent,
        code=code,
        name_ko=name_ko.strip(),
        name_en=name_en.strip(),
        path=f"{parent.path if parent else '/'}{code}/",
        depth=(parent.depth + 1) if parent else 0,
    )
    area.full_clean(exclude=["name_ko", "name_en"])
    area.save()
    audit_record(actor=actor, action="area.create", target=area, area=area, after=snapshot(area, AREA_FIELDS))
    return area


@transaction.atomic
def area_rename(*, actor: User, area: Area, name_ko: str | None = None, name_en: str | None = None) -> Area:
    """Change an area's names. Codes never change: they are in every path below."""
    require(actor, MANAGE_AREAS, area)
    before = snapshot(area, ("name_ko", "name_en"))
    if name_ko is not None:
        area.name_ko = name_ko.strip()
    if name_en is not None:
        area.name_en = name_en.strip()
    _check_names(area.name_ko, area.name_en)
    area.full_clean(exclude=["name_ko", "name_en"])
    area.save(update_fields=["name_ko", "name_en"])
    audit_record(
        actor=actor,
        action="area.rename",
        target=area,
        area=area,
        before=before,
        after=snapshot(area, ("name_ko", "name_en")),
    )
    return area


@transaction.atomic
def office_create(*, actor: User, area: Area, code: str, name_ko: str, name_en: str) -> Office:
    """Attach an office to an area; its officers act on the whole subtree."""
    require(actor, MANAGE_AREAS, area)
    if Office.objects.filter(code=code).exists():
        raise DomainError("code", f"The office code {code!r} is already used.")
    office = Office(area=area, code=code, name_ko=name_ko, name_en=name_en)
    office.full_clean()
    office.save()
    audit_record(
        actor=actor,
        action="office.create",
        target=office,
        area=area,
        after=snapshot(office, ("area", "code", "name_ko", "name_en")),
    )
    return office


@transaction.atomic
def role_assign(
    *,
    actor: User,
    user: User,
    role: str,
    area: Area | None = None,
    office: Office | None = None,
    person=None,
    since: date | None = None,
) -> RoleAssignment:
    """Give `user` a role. Officers are assigned to an office, residents to a person, leaders to a unit."""
    since = effective_date("since", since or timezone.localdate())
    if role not in Role.values:
        raise DomainError("role", f"Unknown role {role!r}.")
    if role == Role.OFFICER:
        if office is None:
            raise DomainError("office", "An officer is assigned to an office.")
        area = office.area
    if role == Role.RESIDENT:
        if person is None or person.household_id is None:
            raise DomainError("person", "A resident account is linked to a person in a household.")
        area = person.household.unit
    if area is None:
        raise DomainError("area", "An area is required.")
    if role == Role.LEADER and not area.level.is_unit:
        raise DomainError("area", "A leader is assigned to a unit.")
    if (
        role == Role.LEADER
        and person is not None
        and (person.household_id is None or person.household.unit_id != area.pk)
    ):
        raise DomainError("person", "A leader is a resident of the unit they lead.")
    if role not in (Role.RESIDENT, Role.LEADER) and person is not None:
        raise DomainError("person", "Only residents and leaders are linked to a person.")
    if role == Role.ADMIN:
        if not scope_for(actor).is_admin:
            raise DomainError("role", "Only an administrator can make another administrator.")
    else:
        require(actor, MANAGE_AREAS, area)
    assignment = RoleAssignment(user=user, role=role, area=area, office=office, person=person, since=since)
    assignment.full_clean()
    assignment.save()
    forget_scope(user)
    audit_record(
        actor=actor,
        action="role.assign",
        target=assignment,
        area=area,
        after=snapshot(assignment, ("user", "role", "area", "office", "person", "since")),
    )
    return assignment


@transaction.atomic
def role_end(*, actor: User, assignment: RoleAssignment, until: date | None = None) -> RoleAssignment:
    """End a role assignment on `until` (exclusive; default today). The assignment stays, dated, in the history."""
    if assignment.role == Role.ADMIN:
        if not scope_for(actor).is_admin:
            raise DomainError("role", "Only an administrator can end an administrator's role.")
    else:
        require(actor, MANAGE_AREAS, assignment.area)
    until = effective_date("until", until or timezone.localdate())
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.until is not None and assignment.until <= timezone.localdate():
        raise DomainError("assignment", "This role has already ended.")
    if until < assignment.since:
        raise DomainError("until", "The end must not come before the start.")
    before = snapshot(assignment, ("until",))
    assignment.until = until
    assignment.save(update_fields=["until"])
    forget_scope(assignment.user)
    audit_record(
        actor=actor,
        action="role.end",
        target=assignment,
        area=assignment.area,
        before=before,
        after=snapshot(assignment, ("user", "role", "area", "office", "person", "since", "until")),
    )
    return assignment
