"""The same access cases for every endpoint, in the manner of NetBox's generic view tests.

Each endpoint is described once (how to address side "a", unit HS-A1 around resident-a1's household, and side
"b", unit HS-B1); the expected answer follows from the role and the side:

- anonymous: 401 everywhere;
- admin: everything works on both sides;
- officer-a (district HS-A) and leader-a1 (unit HS-A1): side a works, side b is a 404, and a body naming side b's
  unit or household is a 422 naming the field; the leader may not change the area tree (403);
- auditor (the city, read-only): reads work on both sides, every write is a 403;
- resident-a1: reads their own household's records only (areas not at all), everything else is a 404, and any
  write they could address is a 403.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from inminban.areas import services as area_services
from inminban.areas.models import Office
from inminban.audit.models import AuditEntry
from inminban.duties import services as duty_services
from inminban.duties.models import AllocationRule
from inminban.entitlements import services as entitlement_services
from inminban.entitlements.models import Entitlement
from inminban.registry.models import Membership

from .conftest import Side, call, counts, error_fields

ROLES = ["admin", "officer-a", "leader-a1", "auditor", "resident-a1"]


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    kind: str  # "read", "write" (to an object in the path) or "create" (no object in the path)
    path: Callable[[Side], str]
    body: Callable[[Side], dict] | None = None
    ok: int = 200
    reference: str = ""  # for creates: the body field that names the side's unit or household
    manages_areas: bool = False  # writes to the area tree: officers and admins only
    household_record: bool = True  # a record of a household, which its resident may read
    needs: str = ""  # a fixture that adds more objects to the sides (see `entitlement_world`)
    expect: tuple = ()  # ((role, side), status) pairs where the endpoint's own rule differs from `expected`

    def __str__(self) -> str:
        return self.name


def _membership_in_past(side: Side) -> dict:
    current = Membership.objects.get(person=side.person, until__isnull=True)
    return {
        "household": side.other_household.pk,
        "person": side.person.pk,
        "relation": "lodger",
        "since": side.person.birth_date.isoformat(),
        "until": current.since.isoformat(),
    }


ENDPOINTS = [
    # Areas
    Endpoint("area detail", "GET", "read", lambda s: f"/areas/{s.unit.code}", household_record=False),
    Endpoint(
        "area rename",
        "PATCH",
        "write",
        lambda s: f"/areas/{s.unit.code}",
        lambda s: {"name_en": "Renamed unit"},
        manages_areas=True,
        household_record=False,
    ),
    Endpoint(
        "area create",
        "POST",
        "create",
        lambda s: "/areas",
        lambda s: {"parent": s.district.code, "level": "unit", "code": f"{s.district.code}9", "name_en": "Unit 9"},
        ok=201,
        reference="parent",
        manages_areas=True,
    ),
    # Dwellings
    Endpoint("dwelling detail", "GET", "read", lambda s: f"/dwellings/{s.dwelling.pk}"),
    Endpoint(
        "dwelling update",
        "PATCH",
        "write",
        lambda s: f"/dwellings/{s.dwelling.pk}",
        lambda s: {"address": "고친거리 9"},
    ),
    Endpoint(
        "dwelling create",
        "POST",
        "create",
        lambda s: "/dwellings",
        lambda s: {"unit": s.unit.code, "address": "새거리 3", "kind": "row", "floor_area_m2": 60},
        ok=201,
        reference="unit",
    ),
    # Households
    Endpoint("household detail", "GET", "read", lambda s: f"/households/{s.household.pk}"),
    Endpoint("household members", "GET", "read", lambda s: f"/households/{s.household.pk}/members?on=2025-01-01"),
    Endpoint(
        "household set head",
        "PATCH",
        "write",
        lambda s: f"/households/{s.household.pk}",
        lambda s: {"head": s.person.pk},
    ),
    Endpoint(
        "household move",
        "POST",
        "write",
        lambda s: f"/households/{s.household.pk}/move",
        lambda s: {"dwelling": s.spare_dwelling.pk, "on": "2025-01-01"},
        ok=201,
    ),
    Endpoint(
        "household create",
        "POST",
        "create",
        lambda s: "/households",
        lambda s: {"unit": s.unit.code, "number": f"{s.unit.code}-T01", "registered_on": "2024-01-01"},
        ok=201,
        reference="unit",
    ),
    # Persons
    Endpoint("person detail", "GET", "read", lambda s: f"/persons/{s.person.pk}"),
    Endpoint("person occupations", "GET", "read", lambda s: f"/persons/{s.person.pk}/occupations"),
    Endpoint("person incomes", "GET", "read", lambda s: f"/persons/{s.person.pk}/incomes"),
    Endpoint(
        "person update", "PATCH", "write", lambda s: f"/persons/{s.person.pk}", lambda s: {"given_name": "새이름"}
    ),
    Endpoint(
        "person new job",
        "POST",
        "write",
        lambda s: f"/persons/{s.person.pk}/occupations",
        lambda s: {"workplace": "혜산 방직공장", "job_title": "기사", "since": s.occupation_since.isoformat()},
        ok=201,
    ),
    Endpoint(
        "person declare income",
        "POST",
        "write",
        lambda s: f"/persons/{s.person.pk}/incomes",
        lambda s: {"amount": "3500.50", "currency": "KPW", "period": "month", "since": "2025-01-01"},
        ok=201,
    ),
    Endpoint(
        "person move",
        "POST",
        "write",
        lambda s: f"/persons/{s.person.pk}/move",
        lambda s: {"household": s.other_household.pk, "relation": "lodger", "on": "2025-01-01"},
        ok=201,
    ),
    Endpoint(
        "person leave",
        "POST",
        "write",
        lambda s: f"/persons/{s.person.pk}/leave",
        lambda s: {"on": timezone.localdate().isoformat(), "status": "moved_away"},
    ),
    Endpoint(
        "person create",
        "POST",
        "create",
        lambda s: "/persons",
        lambda s: {
            "household": s.household.pk,
            "family_name": "김",
            "given_name": "아기",
            "birth_date": "2025-02-01",
            "sex": "F",
            "relation": "grandchild",
            "since": "2025-02-01",
        },
        ok=201,
        reference="household",
    ),
    # Memberships
    Endpoint("membership detail", "GET", "read", lambda s: f"/memberships/{s.membership.pk}"),
    Endpoint(
        "membership update",
        "PATCH",
        "write",
        lambda s: f"/memberships/{s.membership.pk}",
        lambda s: {"relation": s.membership.relation},
    ),
    Endpoint(
        "membership create",
        "POST",
        "create",
        lambda s: "/memberships",
        _membership_in_past,
        ok=201,
        reference="household",
    ),
    # Moves (recorded through the move endpoints above)
    Endpoint("move detail", "GET", "read", lambda s: f"/moves/{s.move.pk}"),
    # Corrections of wrongly dated records
    Endpoint("move date correction", "PATCH", "write", lambda s: f"/moves/{s.move.pk}", lambda s: {"on": "2024-05-01"}),
    Endpoint(
        "occupation correction",
        "PATCH",
        "write",
        lambda s: f"/occupations/{s.occupation.pk}",
        lambda s: {"job_title": "고친 직업"},
    ),
    Endpoint(
        "income correction", "PATCH", "write", lambda s: f"/incomes/{s.income.pk}", lambda s: {"since": "2024-02-01"}
    ),
]


def _programs(name, method, kind, path, body=None, **options) -> Endpoint:
    """An entitlements endpoint. Programs and cycles are addressed to the side's district, so the leaders and the
    residents of its units read them too (household_record); only officers and admins write them."""
    return Endpoint(name, method, kind, path, body, needs="entitlement_world", manages_areas=kind != "read", **options)


def _e(side: Side):
    return side.entitlements


ENDPOINTS += [
    # Entitlements: programs, versions, cycles and their workflow, entitlement rows
    _programs("program detail", "GET", "read", lambda s: f"/programs/{_e(s).program.pk}"),
    _programs("program versions", "GET", "read", lambda s: f"/programs/{_e(s).program.pk}/versions"),
    _programs("program cycles", "GET", "read", lambda s: f"/programs/{_e(s).program.pk}/cycles"),
    _programs(
        "program create",
        "POST",
        "create",
        lambda s: "/programs",
        lambda s: {"area": s.district.code, "kind": "grain_ration", "name_en": "Ration", "rule": {"resident": {}}},
        ok=201,
        reference="area",
    ),
    _programs(
        "program revise",
        "POST",
        "write",
        lambda s: f"/programs/{_e(s).program.pk}/versions",
        lambda s: {"rule": {"leader": {}}, "note": "Leaders only"},
        ok=201,
    ),
    _programs(
        "cycle create",
        "POST",
        "write",
        lambda s: f"/programs/{_e(s).program.pk}/cycles",
        lambda s: {"period_start": "2026-06-01"},
        ok=201,
    ),
    _programs("cycle detail", "GET", "read", lambda s: f"/cycles/{_e(s).generated.pk}"),
    _programs("cycle figures", "GET", "read", lambda s: f"/cycles/{_e(s).generated.pk}/figures"),
    _programs("cycle denials", "GET", "read", lambda s: f"/cycles/{_e(s).generated.pk}/denials"),
    _programs("cycle entitlements", "GET", "read", lambda s: f"/cycles/{_e(s).generated.pk}/entitlements"),
    _programs("cycle generate", "POST", "write", lambda s: f"/cycles/{_e(s).draft.pk}/generate", ok=202),
    _programs("cycle approve", "POST", "write", lambda s: f"/cycles/{_e(s).generated.pk}/approve"),
    _programs("cycle distribute", "POST", "write", lambda s: f"/cycles/{_e(s).approved.pk}/distribute"),
    _programs("cycle close", "POST", "write", lambda s: f"/cycles/{_e(s).distributing.pk}/close"),
    _programs("entitlement detail", "GET", "read", lambda s: f"/entitlements/{_e(s).entitlement.pk}"),
    _programs("household entitlements", "GET", "read", lambda s: f"/households/{s.household.pk}/entitlements"),
    # Duties: an office suspends or cancels its own campaign or levy
    _programs(
        "campaign standing",
        "POST",
        "write",
        lambda s: f"/campaigns/{_e(s).campaign.pk}/standing",
        lambda s: {"standing": "suspended", "reason": "Flood"},
    ),
    _programs(
        "levy standing",
        "POST",
        "write",
        lambda s: f"/levies/{_e(s).levy.pk}/standing",
        lambda s: {"standing": "cancelled", "reason": "Harvest failed"},
    ),
]


@dataclass
class EntitlementSide:
    """A program of the side's district with a cycle at each step of its workflow, and a campaign and a levy."""

    program: object
    draft: object
    generated: object
    approved: object
    distributing: object
    entitlement: Entitlement
    campaign: object
    levy: object


@pytest.fixture
def entitlement_world(world, cast) -> dict[str, Side]:
    """Adds `side.entitlements` to both sides. Cycles are computed by a second officer of the district's office, so
    that the first (officer-a on side a) may approve them."""
    today = timezone.localdate()
    for letter, side in world.items():
        officer = cast[f"officer-{letter}"]
        office = Office.objects.get(area=side.district)
        checker = User.objects.create_user(f"matrix-checker-{letter}")
        area_services.role_assign(
            actor=cast["admin"], user=checker, role="officer", office=office, since=date(2015, 1, 1)
        )
        program = entitlement_services.program_create(
            actor=officer,
            office=office,
            area=side.district,
            kind="grain_ration",
            rule={"resident": {}},
            name_en="Ration",
        )
        cycles = [
            entitlement_services.cycle_create(actor=officer, program=program, period_start=date(2026, month, 1))
            for month in (1, 2, 3, 4)
        ]
        for cycle in cycles[1:]:
            entitlement_services.cycle_generate(actor=checker, cycle=cycle)
        for cycle in cycles[2:]:
            entitlement_services.cycle_approve(actor=officer, cycle=cycle)
        entitlement_services.cycle_distribute(actor=officer, cycle=cycles[3])
        duty = {
            "actor": officer,
            "office": office,
            "area": side.district,
            "rule": AllocationRule.objects.get(code="equal"),
            "starts_on": today,
        }
        side.entitlements = EntitlementSide(
            program=program,
            draft=cycles[0],
            generated=cycles[1],
            approved=cycles[2],
            distributing=cycles[3],
            entitlement=Entitlement.objects.get(cycle=cycles[1], household=side.household),
            campaign=duty_services.campaign_create(
                **duty, title_en="River cleanup", measure="person_hours", ends_on=today + timedelta(days=9)
            ),
            levy=duty_services.levy_create(
                **duty, kind="food", title_en="Food for the army", measure="kg", due_on=today + timedelta(days=9)
            ),
        )
    return world


def _c(side: Side):
    return side.clearances


def _later(days: int = 20) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


ENDPOINTS += [
    # Clearances: asked for by school clerks, recruiters and the program's officers (never by leaders, residents or
    # auditors); read like the household's records. A person outside the asker's area is a 404 naming the field.
    Endpoint(
        "clearance request",
        "POST",
        "create",
        lambda s: "/clearances",
        lambda s: {"program": _c(s).program.pk, "person": _c(s).child.pk, "on": _later()},
        ok=201,
        reference="person",
        manages_areas=True,
        needs="clearance_world",
        expect=((("officer-a", "b"), 404),),
    ),
    Endpoint("clearance detail", "GET", "read", lambda s: f"/clearances/{_c(s).denied.pk}", needs="clearance_world"),
    Endpoint(
        "household clearances",
        "GET",
        "read",
        lambda s: f"/households/{s.household.pk}/clearances",
        needs="clearance_world",
    ),
    Endpoint(
        "unit clearance risks",
        "GET",
        "read",
        lambda s: f"/units/{s.unit.code}/clearance-risks?program={_c(s).program.pk}&before={_later(30)}",
        household_record=False,
        needs="clearance_world",
    ),
    # Appeals: filed by the household's resident or its unit leader (not by officers or auditors), decided by the
    # program's officers; read like the household's records.
    Endpoint(
        "appeal file",
        "POST",
        "create",
        lambda s: "/appeals",
        lambda s: {"clearance": _c(s).unappealed.pk, "reason": "The stamp was lost."},
        ok=201,
        reference="clearance",
        needs="clearance_world",
        expect=((("resident-a1", "a"), 201), (("resident-a1", "b"), 422), (("officer-a", "a"), 403)),
    ),
    Endpoint("appeal detail", "GET", "read", lambda s: f"/appeals/{_c(s).appeal.pk}", needs="clearance_world"),
    Endpoint(
        "household appeals", "GET", "read", lambda s: f"/households/{s.household.pk}/appeals", needs="clearance_world"
    ),
    Endpoint(
        "appeal decide",
        "POST",
        "write",
        lambda s: f"/appeals/{_c(s).appeal.pk}/decide",
        lambda s: {"upheld": False, "decision": "No record of the work."},
        manages_areas=True,
        needs="clearance_world",
    ),
]


@dataclass
class ClearanceSide:
    """A school clearance program of the side's district that its households cannot meet, a child of school age in
    the side's household, two refused clearances for it, and an open appeal against the first."""

    program: object
    child: object
    denied: object
    unappealed: object
    appeal: object


@pytest.fixture
def clearance_world(world, cast) -> dict[str, Side]:
    from inminban.entitlements import appeals, clearances
    from inminban.registry.models import Person

    today = timezone.localdate()
    for letter, side in world.items():
        officer = cast[f"officer-{letter}"]
        program = entitlement_services.program_create(
            actor=officer,
            office=Office.objects.get(area=side.district),
            area=side.district,
            kind="school_clearance",
            rule={"household_size": {"min": 50}},
            name_en="School enrolment",
        )
        born = today - timedelta(days=6 * 365 + 100)
        child = Person.objects.create(
            family_name="김", given_name="아이", birth_date=born, sex="F", household=side.household
        )
        Membership.objects.create(household=side.household, person=child, relation="child", since=born)
        on = today + timedelta(days=20)
        denied, unappealed = (
            clearances.clearance_request(actor=officer, program=program, person=child, on=on) for _ in range(2)
        )
        side.clearances = ClearanceSide(
            program=program,
            child=child,
            denied=denied,
            unappealed=unappealed,
            appeal=appeals.appeal_file(actor=cast["admin"], clearance=denied, reason="Please look again."),
        )
    return world


def expected(endpoint: Endpoint, role: str, side: str) -> int:
    if (role, side) in dict(endpoint.expect):
        return dict(endpoint.expect)[(role, side)]
    if role == "admin":
        return endpoint.ok
    if role == "auditor":
        return endpoint.ok if endpoint.kind == "read" else 403
    if role == "resident-a1":
        if endpoint.kind == "create":
            return 403
        if side == "b" or not endpoint.household_record:
            return 404
        return endpoint.ok if endpoint.kind == "read" else 403
    # officer-a and leader-a1
    if role == "leader-a1" and endpoint.manages_areas:
        if endpoint.kind == "create":
            return 403
        return 404 if side == "b" else 403
    if side == "b":
        return 422 if endpoint.kind == "create" else 404
    return endpoint.ok


CASES = [
    pytest.param(endpoint, role, side, id=f"{endpoint}-{role}-{side}")
    for endpoint in ENDPOINTS
    for role in ROLES
    for side in ("a", "b")
]


@pytest.mark.parametrize("endpoint, role, side", CASES)
def test_access(endpoint: Endpoint, role: str, side: str, world, client_for, request):
    if endpoint.needs:
        request.getfixturevalue(endpoint.needs)
    target = world[side]
    before = counts()
    audit_before = AuditEntry.objects.count()
    body = endpoint.body(target) if endpoint.body else None
    response = call(client_for(role), endpoint.method, endpoint.path(target), body)
    want = expected(endpoint, role, side)
    assert response.status_code == want, response.content
    if want >= 400:
        fields = error_fields(response)
        assert counts() == before, "a refused request changed the database"
        if want == 422:
            assert endpoint.reference in fields, fields
    elif endpoint.kind != "read":
        assert AuditEntry.objects.count() > audit_before, "a write left no audit entry"
        assert AuditEntry.objects.order_by("-seq").first().actor_name == role


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_anonymous_gets_401(endpoint: Endpoint, world, client_for, request):
    if endpoint.needs:
        request.getfixturevalue(endpoint.needs)
    before = counts()
    body = endpoint.body(world["a"]) if endpoint.body else None
    response = call(client_for(None), endpoint.method, endpoint.path(world["a"]), body)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
    assert counts() == before


LISTS = ["/areas", "/dwellings", "/households", "/persons", "/memberships", "/moves"]


@pytest.mark.parametrize("path", LISTS)
def test_anonymous_list_gets_401(path, client_for):
    assert call(client_for(None), "GET", path).status_code == 401


ENTITLEMENT_TOOLS = [("GET", "/programs", None), ("GET", "/norm-presets", None)]
ENTITLEMENT_TOOLS += [("POST", "/rules/check", {"rule": {"member": {"min_age": 65}}})]


@pytest.mark.parametrize("method, path, body", ENTITLEMENT_TOOLS)
def test_anonymous_gets_401_for_entitlement_lists_and_tools(method, path, body, client_for):
    response = call(client_for(None), method, path, body)
    assert response.status_code == 401 and response.json()["error"] == "unauthenticated"


@pytest.mark.parametrize("role", ROLES)
def test_programs_list_holds_only_what_the_role_may_see(role, entitlement_world, client_for):
    client = client_for(role)
    response = call(client, "GET", "/programs?limit=500")
    assert response.status_code == 200
    page = response.json()
    ours = {side.entitlements.program.pk for side in entitlement_world.values()}
    seen = {item["id"] for item in page["items"]} & ours
    sides = {"a", "b"} if role in ("admin", "auditor") else {"a"}
    assert seen == {entitlement_world[side].entitlements.program.pk for side in sides}
    for method, path, body in ENTITLEMENT_TOOLS[1:]:
        assert call(client, method, path, body).status_code == 200, path


def _units_of(path: str, item: dict, household_units: dict[int, str]) -> set[str]:
    if path == "/areas":
        return {item["code"]}
    if path in ("/dwellings", "/households"):
        return {item["unit"]}
    if path == "/moves":
        return {item["from_unit"], item["to_unit"]}
    return {household_units[item["household"]]}


def _households_of(path: str, item: dict, world) -> set:
    if path == "/households":
        return {item["id"]}
    if path == "/dwellings":
        return {"own dwelling"} if item["id"] == world["a"].dwelling.pk else {item["id"]}
    return {item.get("household")}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", LISTS)
def test_lists_hold_only_what_the_role_may_see(path, role, world, client_for):
    from inminban.registry.models import Household

    household_units = dict(Household.objects.values_list("pk", "unit__code"))
    response = call(client_for(role), "GET", f"{path}?limit=500")
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == len(page["items"])
    units = set().union(*(_units_of(path, item, household_units) for item in page["items"]))
    if role == "resident-a1":
        own = world["a"].household.pk
        if path == "/areas":
            assert page["items"] == []
        else:
            assert page["items"], "the resident sees their own household's records"
            households = set().union(*(_households_of(path, item, world) for item in page["items"]))
            assert households == ({"own dwelling"} if path == "/dwellings" else {own})
    elif role == "leader-a1":
        assert units == {"HS-A1"}
    elif role == "officer-a":
        assert units and all(code.startswith("HS-A") for code in units)
        # The only moves in district A are the world's, within HS-A1; every other list reaches both units.
        if path == "/moves":
            assert units == {"HS-A1"}
        else:
            assert "HS-A2" in units
    else:  # admin, auditor: the whole city
        assert {"HS-A1", "HS-B1"} <= units


# Distribution: counters, vouchers, redemptions ---------------------------------------------------------------------
#
# Counters are not household records and have their own cast member, the clerk of side a's counter (mx-clerk-a).
# Expected answers are spelled out per role, side a then side b: a counter is seen by its clerks and by whoever views
# its area (officers, auditors); only its clerks and the officers managing its area act at it (the others who see it
# get a 403); clerks see no cycles, voucher lists or redemptions of the registry.

DIST_ROLES = [*ROLES, "mx-clerk-a"]


@dataclass(frozen=True)
class DistEndpoint:
    name: str
    method: str
    path: Callable[[Side], str]
    body: Callable[[Side], dict] | None
    expect: dict[str, tuple[int, int]]  # role -> (side a, side b)
    writes: bool = False  # a successful call leaves an audit entry

    def __str__(self) -> str:
        return self.name


def _d(side: Side):
    return side.distribution


def _batch(side: Side) -> dict:
    item = {"id": str(uuid.uuid4()), "voucher": _d(side).text, "quantity": 500, "handed_at": timezone.now().isoformat()}
    return {"redemptions": [item]}


def _at_counter(ok: int) -> dict[str, tuple[int, int]]:
    return {
        "admin": (ok, ok),
        "officer-a": (ok, 404),
        "leader-a1": (404, 404),
        "auditor": (403, 403),
        "resident-a1": (404, 404),
        "mx-clerk-a": (ok, 404),
    }


def _records(ok: int = 200) -> dict[str, tuple[int, int]]:
    return {
        "admin": (ok, ok),
        "officer-a": (ok, 404),
        "leader-a1": (ok, 404),
        "auditor": (ok, ok),
        "resident-a1": (ok, 404),
        "mx-clerk-a": (404, 404),
    }


DIST_ENDPOINTS = [
    DistEndpoint(
        "counter detail",
        "GET",
        lambda s: f"/counters/{_d(s).counter.pk}",
        None,
        _at_counter(200) | {"auditor": (200, 200)},
    ),
    DistEndpoint(
        "counter create",
        "POST",
        lambda s: "/counters",
        lambda s: {"area": s.district.code, "code": f"NEW-{s.district.code}", "name_en": "New counter"},
        {
            "admin": (201, 201),
            "officer-a": (201, 422),
            "leader-a1": (403, 403),
            "auditor": (403, 403),
            "resident-a1": (403, 403),
            "mx-clerk-a": (403, 403),
        },
        writes=True,
    ),
    DistEndpoint(
        "counter clerk assign",
        "POST",
        lambda s: f"/counters/{_d(s).counter.pk}/clerks",
        lambda s: {"user": "mx-newcomer"},
        _at_counter(201) | {"mx-clerk-a": (403, 404)},
        writes=True,
    ),
    DistEndpoint(
        "voucher check",
        "POST",
        lambda s: f"/counters/{_d(s).counter.pk}/check",
        lambda s: {"voucher": _d(s).text},
        _at_counter(200),
    ),
    DistEndpoint(
        "redemption record",
        "POST",
        lambda s: f"/counters/{_d(s).counter.pk}/redemptions",
        lambda s: {"voucher": _d(s).text, "quantity": 500},
        _at_counter(201),
        writes=True,
    ),
    DistEndpoint(
        "redemption batch",
        "POST",
        lambda s: f"/counters/{_d(s).counter.pk}/redemptions/batch",
        _batch,
        _at_counter(200),
        writes=True,
    ),
    DistEndpoint("cycle vouchers", "GET", lambda s: f"/cycles/{_d(s).cycle.pk}/vouchers", None, _records()),
    DistEndpoint("voucher detail", "GET", lambda s: f"/vouchers/{_d(s).serial}", None, _records()),
    DistEndpoint(
        "cycle conflicts",
        "GET",
        lambda s: f"/cycles/{_d(s).cycle.pk}/conflicts",
        None,
        _records(),
    ),
    DistEndpoint(
        "conflict resolve",
        "POST",
        lambda s: f"/redemptions/{_d(s).conflict}/resolve",
        lambda s: {"note": "Returned"},
        {
            "admin": (200, 200),
            "officer-a": (200, 404),
            "leader-a1": (403, 404),
            "auditor": (403, 403),
            "resident-a1": (404, 404),  # the conflict is another household's
            "mx-clerk-a": (404, 404),
        },
        writes=True,
    ),
]


@pytest.fixture
def distribution_world(world, cast) -> dict[str, Side]:
    """Adds `side.distribution`: an approved, distributing ration cycle of the side's district with its vouchers, a
    counter serving the district (side a's with its clerk, mx-clerk-a), the voucher of the side's household, and a
    conflict (another household's voucher handed out twice)."""
    from types import SimpleNamespace

    from inminban.entitlements.counters import counter_clerk_assign, counter_create
    from inminban.entitlements.models import Cycle
    from inminban.entitlements.redemptions import redemptions_upload
    from inminban.stamps.services import root_key_ensure, stamp_encoded

    root_key_ensure()
    User.objects.create_user("mx-newcomer")
    today = timezone.localdate()
    for letter, side in world.items():
        officer = cast[f"officer-{letter}"]
        office = Office.objects.get(area=side.district)
        checker = User.objects.create_user(f"mx-checker-{letter}")
        area_services.role_assign(
            actor=cast["admin"], user=checker, role="officer", office=office, since=date(2015, 1, 1)
        )
        program = entitlement_services.program_create(
            actor=officer, office=office, area=side.district, kind="grain_ration", rule={"resident": {}}, name_en="R"
        )
        cycle = entitlement_services.cycle_create(actor=officer, program=program, period_start=today.replace(day=1))
        entitlement_services.cycle_generate(actor=officer, cycle=cycle)
        entitlement_services.cycle_approve(actor=checker, cycle=Cycle.objects.get(pk=cycle.pk))
        cycle = entitlement_services.cycle_distribute(actor=officer, cycle=Cycle.objects.get(pk=cycle.pk))
        counter = counter_create(
            actor=officer, office=office, area=side.district, code=f"MX-{letter}", name_en=f"Counter {letter}"
        )
        if letter == "a":
            clerk = User.objects.create_user("mx-clerk-a")
            counter_clerk_assign(actor=officer, user=clerk, counter=counter, since=date(2020, 1, 1))
        own = Entitlement.objects.get(cycle=cycle, household=side.household)
        other = Entitlement.objects.get(cycle=cycle, household=side.other_household)
        handed = timezone.localtime(other.voucher.issued_at)
        items = [
            {
                "id": str(uuid.uuid4()),
                "voucher": stamp_encoded(other.voucher),
                "quantity": other.quantity,
                "handed_at": (handed + timedelta(seconds=second)).isoformat(),
                "clerk": "",
            }
            for second in (1, 2)
        ]
        redemptions_upload(actor=officer, counter=counter, items=items)
        side.distribution = SimpleNamespace(
            cycle=cycle,
            counter=counter,
            text=stamp_encoded(own.voucher),
            serial=own.voucher.serial,
            conflict=items[1]["id"],
        )
    return world


DIST_CASES = [
    pytest.param(endpoint, role, side, id=f"{endpoint}-{role}-{side}")
    for endpoint in DIST_ENDPOINTS
    for role in DIST_ROLES
    for side in ("a", "b")
]


@pytest.mark.parametrize("endpoint, role, side", DIST_CASES)
def test_distribution_access(endpoint: DistEndpoint, role: str, side: str, distribution_world, client_for):
    from inminban.entitlements.models import Redemption

    target = distribution_world[side]
    client = client_for(role)
    before, redemptions = counts(), Redemption.objects.count()
    audit_before = AuditEntry.objects.count()
    body = endpoint.body(target) if endpoint.body else None
    response = call(client, endpoint.method, endpoint.path(target), body)
    want = endpoint.expect[role][0 if side == "a" else 1]
    assert response.status_code == want, response.content
    if want >= 400:
        fields = error_fields(response)
        assert counts() == before and Redemption.objects.count() == redemptions, "a refused request wrote something"
        if want == 422:
            assert "area" in fields, fields
    elif endpoint.writes:
        assert AuditEntry.objects.count() > audit_before, "a write left no audit entry"
        assert AuditEntry.objects.order_by("-seq").first().actor_name == role


@pytest.mark.parametrize("endpoint", DIST_ENDPOINTS, ids=str)
def test_anonymous_gets_401_for_distribution(endpoint: DistEndpoint, distribution_world, client_for):
    before = counts()
    body = endpoint.body(distribution_world["a"]) if endpoint.body else None
    response = call(client_for(None), endpoint.method, endpoint.path(distribution_world["a"]), body)
    assert response.status_code == 401 and response.json()["error"] == "unauthenticated"
    assert counts() == before


def test_counter_list_holds_what_the_role_works_at_or_sees(distribution_world, client_for):
    ours = {side: _d(distribution_world[side]).counter.code for side in ("a", "b")}
    expected = {
        "admin": {"a", "b"},
        "officer-a": {"a"},
        "auditor": {"a", "b"},
        "leader-a1": set(),
        "resident-a1": set(),
        "mx-clerk-a": {"a"},
    }
    for role, sides in expected.items():
        page = call(client_for(role), "GET", "/counters?limit=500").json()
        seen = {item["code"] for item in page["items"]}
        assert seen & set(ours.values()) == {ours[side] for side in sides}, role
