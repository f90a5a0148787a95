"""The one scoping mechanism: what each role sees of the registry."""

from datetime import date

import pytest

from inminban.areas import services
from inminban.areas.access import CHANGE, VIEW, forget_scope, restrict
from inminban.areas.models import Area, AreaLevel, RoleAssignment
from inminban.audit.models import AuditEntry
from inminban.common.errors import DomainError, NotVisible
from inminban.registry.models import Household, Person


def test_leader_sees_only_their_unit(cast, unit_a1):
    visible = restrict(Household.objects.all(), cast["leader-a1"], VIEW)
    assert visible.count() == Household.objects.filter(unit=unit_a1).count() > 0
    assert not visible.exclude(unit=unit_a1).exists()


def test_officer_sees_their_district_and_nothing_else(cast):
    visible = restrict(Person.objects.all(), cast["officer-a"], VIEW)
    assert visible.count() == Person.objects.filter(household__unit__path__startswith="/KP/RG/HS/HS-A/").count() > 0
    assert not visible.filter(household__unit__code__startswith="HS-B").exists()


def test_resident_sees_only_their_household(cast):
    resident = cast["resident-a1"]
    own = RoleAssignment.objects.get(user=resident).person.household
    assert list(restrict(Household.objects.all(), resident, VIEW)) == [own]
    assert set(restrict(Person.objects.all(), resident, VIEW)) == set(Person.objects.filter(household=own))
    assert not restrict(Household.objects.all(), resident, CHANGE).exists()


def test_auditor_sees_the_city_but_may_change_nothing(cast):
    assert restrict(Household.objects.all(), cast["auditor"], VIEW).count() == Household.objects.count()
    assert not restrict(Household.objects.all(), cast["auditor"], CHANGE).exists()


def test_ended_assignment_gives_no_access(cast, unit_a1):
    leader = cast["leader-a1"]
    RoleAssignment.objects.filter(user=leader).update(until=date(2020, 1, 1))
    forget_scope(leader)
    assert not restrict(Household.objects.all(), leader, VIEW).exists()


def test_anonymous_sees_nothing(db):
    from django.contrib.auth.models import AnonymousUser

    assert not restrict(Household.objects.all(), AnonymousUser(), VIEW).exists()


def test_prefix_of_one_code_does_not_leak_into_a_sibling(cast):
    """HS-A1 must not match HS-A10: paths end with a slash."""
    admin = cast["admin"]
    district = Area.objects.get(code="HS-A")
    unit_level = AreaLevel.objects.get(code="unit")
    a10 = services.area_create(
        actor=admin, parent=district, level=unit_level, code="HS-A10", name_ko="10", name_en="10"
    )
    Household.objects.create(unit=a10, number="A10-1", registered_on=date(2020, 1, 1))
    visible = restrict(Household.objects.all(), cast["leader-a1"], VIEW)
    assert not visible.filter(unit=a10).exists()


def test_officer_cannot_create_areas_outside_their_district(cast):
    before = AuditEntry.objects.count()
    with pytest.raises(NotVisible):
        services.area_create(
            actor=cast["officer-a"],
            parent=Area.objects.get(code="HS-B"),
            level=AreaLevel.objects.get(code="unit"),
            code="HS-B9",
            name_ko="9",
            name_en="9",
        )
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(
    "code, level, field",
    [("HS-A1", "unit", "code"), ("bad/code", "unit", "code"), ("", "unit", "code"), ("HS-AX", "city", "level")],
)
def test_area_create_rejects_bad_input(cast, code, level, field):
    before = (Area.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as error:
        services.area_create(
            actor=cast["officer-a"],
            parent=Area.objects.get(code="HS-A"),
            level=AreaLevel.objects.get(code=level),
            code=code,
            name_ko="x",
            name_en="x",
        )
    assert error.value.field == field
    assert (Area.objects.count(), AuditEntry.objects.count()) == before


def test_resident_sees_their_dwelling_once_even_when_two_households_share_it(cast):
    from inminban.registry.models import Dwelling

    resident = cast["resident-a1"]
    own = RoleAssignment.objects.get(user=resident).person.household
    Household.objects.create(unit=own.unit, dwelling=own.dwelling, number="SHARED-1", registered_on=date(2020, 1, 1))
    assert list(restrict(Dwelling.objects.all(), resident, VIEW)) == [own.dwelling]
