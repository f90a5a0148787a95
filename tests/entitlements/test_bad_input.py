"""Bad input to the entitlements API: a 4xx naming the field (422, or 404 for an unknown object in the path), and
not one row of programs, versions, cycles, entitlements or jobs, nor an audit entry, written."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inminban.areas.models import Area
from inminban.duties import services as duty_services
from inminban.duties.models import AllocationRule
from inminban.entitlements import services

from .conftest import call, fields_of

RESIDENT = {"resident": {}}


def _nested(depth: int) -> dict:
    node = {"leader": {}}
    for _ in range(depth - 1):
        node = {"not": node}
    return node


@pytest.fixture
def officer(bearer):
    return bearer("officer-a")


@pytest.fixture
def campaign_of_b(cast, office_b):
    today = timezone.localdate()
    return duty_services.campaign_create(
        actor=cast["officer-b"],
        office=office_b,
        area=Area.objects.get(code="HS-B"),
        title_en="Gravel for the greenhouse",
        measure="person_hours",
        rule=AllocationRule.objects.get(code="equal"),
        starts_on=today,
        ends_on=today + timedelta(days=7),
    )


@pytest.fixture
def campaign_of_a1(cast, office_a):
    today = timezone.localdate()
    return duty_services.campaign_create(
        actor=cast["officer-a"],
        office=office_a,
        area=Area.objects.get(code="HS-A1"),
        title_en="Street cleaning",
        measure="person_hours",
        rule=AllocationRule.objects.get(code="equal"),
        starts_on=today,
        ends_on=today + timedelta(days=7),
    )


def program_body(**changes) -> dict:
    return {"area": "HS-A", "kind": "grain_ration", "name_en": "Grain ration", "rule": RESIDENT} | changes


NORM = {"code": "adult", "name_en": "Adults", "min_age": 17, "max_age": None, "occupation": None, "amount": 700}

# (what is wrong, the body, the field the answer must name)
BAD_PROGRAMS = [
    ("empty any", program_body(rule={"any": []}), "rule.any"),
    ("empty all", program_body(rule={"all": []}), "rule.all"),
    ("not with a list", program_body(rule={"not": [RESIDENT]}), "rule.not"),
    ("two keys in a node", program_body(rule={"leader": {}, "resident": {}}), "rule"),
    ("unknown condition", program_body(rule={"all": [RESIDENT, {"loyalty": {}}]}), "rule.all[1]"),
    ("impossible age band", program_body(rule={"member": {"min_age": 60, "max_age": 10}}), "rule.member.max_age"),
    ("age over the limit", program_body(rule={"member": {"min_age": 200}}), "rule.member.min_age"),
    ("age as text", program_body(rule={"member": {"min_age": "17"}}), "rule.member.min_age"),
    ("empty member condition", program_body(rule={"member": {}}), "rule.member"),
    (
        "unknown category",
        program_body(rule={"any": [{"member": {"category": "soldier"}}]}),
        "rule.any[0].member.category",
    ),
    (
        "unknown field in a condition",
        program_body(rule={"member": {"min_age": 1, "colour": "red"}}),
        "rule.member.colour",
    ),
    ("impossible size band", program_body(rule={"household_size": {"min": 5, "max": 2}}), "rule.household_size.max"),
    (
        "stamp of an unknown kind",
        program_body(rule={"stamp_of_kind": {"kind": "bribe", "months": 3}}),
        "rule.stamp_of_kind.kind",
    ),
    ("stamp without months", program_body(rule={"stamp_of_kind": {"kind": "labour"}}), "rule.stamp_of_kind.months"),
    ("malformed reference", program_body(rule={"stamp": "campaign:twelve"}), "rule.stamp"),
    ("reference to a person", program_body(rule={"stamp": "person:1"}), "rule.stamp"),
    ("unknown reference", program_body(rule={"all": [RESIDENT, {"stamp": "campaign:999999"}]}), "rule.all[1].stamp"),
    ("unknown levy", program_body(rule={"stamp": "levy:999999"}), "rule.stamp"),
    ("too deep", program_body(rule=_nested(7)), "rule.not.not.not.not.not.not"),
    ("more than 32 conditions", program_body(rule={"any": [{"leader": {}}] * 33}), "rule"),
    ("rule not an object", program_body(rule=["leader"]), "rule"),
    ("negative norm amount", program_body(norms=[NORM | {"amount": -5}]), "norms[0].amount"),
    ("norm amount abc", program_body(norms=[NORM | {"amount": "abc"}]), "norms[0].amount"),
    ("norm amount a fraction", program_body(norms=[NORM | {"amount": 2.5}]), "norms[0].amount"),
    ("impossible norm age band", program_body(norms=[NORM | {"min_age": 30, "max_age": 10}]), "norms[0].max_age"),
    ("norm listed twice", program_body(norms=[NORM, NORM]), "norms[1].code"),
    ("unknown norm field", program_body(norms=[NORM | {"ration_card": True}]), "norms[0].ration_card"),
    ("unknown occupation", program_body(norms=[NORM | {"occupation": "soldier"}]), "norms[0].occupation"),
    ("no norms", program_body(norms=[]), "norms"),
    ("unknown preset", program_body(norms="ten_levels"), "norms"),
    ("norms a number", program_body(norms=5), "norms"),
    ("benefit days on a grain ration", program_body(benefit_days=5), "benefit_days"),
    (
        "too many benefit days",
        program_body(kind="leader_benefit", rule={"leader": {}}, benefit_days=40),
        "benefit_days",
    ),
    ("leader benefit twice a month", program_body(kind="leader_benefit", cadence="semi_monthly"), "cadence"),
    ("unknown kind", program_body(kind="loyalty_bonus"), "kind"),
    ("no name", program_body(name_en=""), "name_en"),
    ("area out of scope", program_body(area="HS-B1"), "area"),
    ("unknown area", program_body(area="XX-9"), "area"),
    ("office not yours", program_body(office="HS-B-OFFICE"), "office"),
    ("unknown field", program_body(ration_shop="No. 3"), "ration_shop"),
]


@pytest.mark.parametrize(("body", "field"), [pytest.param(b, f, id=i) for i, b, f in BAD_PROGRAMS])
def test_bad_program_is_422_naming_the_field(officer, body, field, nothing_written):
    with nothing_written():
        fields = fields_of(call(officer, "post", "/programs", body))
        assert field in fields, fields


def test_a_stamp_of_another_district_is_refused(officer, campaign_of_b, nothing_written):
    body = program_body(rule={"all": [RESIDENT, {"stamp": f"campaign:{campaign_of_b.pk}"}]})
    with nothing_written():
        fields = fields_of(call(officer, "post", "/programs", body))
        assert "another area" in fields["rule.all[1].stamp"][0]


def test_a_stamp_of_a_unit_outside_a_unit_program_is_refused(officer, campaign_of_a1, nothing_written):
    body = program_body(area="HS-A2", rule={"stamp": f"campaign:{campaign_of_a1.pk}"})
    with nothing_written():
        assert "another area" in fields_of(call(officer, "post", "/programs", body))["rule.stamp"][0]
    accepted = call(officer, "post", "/programs", program_body(rule={"stamp": f"campaign:{campaign_of_a1.pk}"}))
    assert accepted.status_code == 201, "a campaign of one unit of the district may be required district-wide"


@pytest.mark.parametrize(("body", "field"), [pytest.param(b, f, id=i) for i, b, f in BAD_PROGRAMS[:30]])
def test_bad_revision_is_422_and_keeps_the_version(officer, make_program, body, field, nothing_written):
    program = make_program()
    revision = {
        name: body[name] for name in ("rule", "norms", "benefit_days") if name in body and body[name] != RESIDENT
    }
    if not revision:
        pytest.skip("not a revision field")
    with nothing_written():
        assert field in fields_of(call(officer, "post", f"/programs/{program.pk}/versions", revision))


@pytest.fixture
def program(make_program):
    return make_program()


@pytest.fixture
def march(program, cast):
    from datetime import date

    return services.cycle_create(actor=cast["officer-a"], program=program, period_start=date(2026, 3, 1))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"period_start": "2026-03-01"}, "period_start", id="overlapping period"),
        pytest.param({"period_start": "2026-04-15"}, "period_start", id="monthly not on the 1st"),
        pytest.param(
            {"period_start": "2026-04-01", "period_end": "2026-04-15"}, "period_end", id="end fixed by cadence"
        ),
        pytest.param(
            {"period_start": "2026-04-01", "reference_date": "2026-06-01"}, "reference_date", id="reference after"
        ),
        pytest.param(
            {"period_start": "2026-04-01", "reference_date": "2025-01-01"}, "reference_date", id="reference long before"
        ),
        pytest.param({"period_start": "1899-12-01"}, "period_start", id="before 1900"),
        pytest.param({"period_start": "2099-01-01"}, "period_start", id="beyond the date horizon"),
        pytest.param({"period_start": "2026-04-31"}, "period_start", id="no such date"),
        pytest.param({"period_start": "01/04/2026"}, "period_start", id="not a date"),
        pytest.param({"period_start": 20260401}, "period_start", id="a number"),
        pytest.param({}, "period_start", id="missing"),
        pytest.param({"period_start": "2026-04-01", "status": "approved"}, "status", id="unknown field"),
    ],
)
def test_bad_cycle_is_422_naming_the_field(officer, program, march, body, field, nothing_written):
    with nothing_written():
        assert field in fields_of(call(officer, "post", f"/programs/{program.pk}/cycles", body))


def test_a_once_program_needs_its_last_day(officer, make_program, nothing_written):
    once = make_program(cadence="once", name_en="Flood relief")
    with nothing_written():
        assert "period_end" in fields_of(
            call(officer, "post", f"/programs/{once.pk}/cycles", {"period_start": "2026-03-05"})
        )
        body = {"period_start": "2026-03-05", "period_end": "2026-03-01"}
        assert "period_end" in fields_of(call(officer, "post", f"/programs/{once.pk}/cycles", body))
        body = {"period_start": "2026-03-05", "period_end": "2027-06-01"}
        assert "period_end" in fields_of(call(officer, "post", f"/programs/{once.pk}/cycles", body))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/programs/999999", None),
        ("get", "/programs/999999/versions", None),
        ("get", "/programs/999999/cycles", None),
        ("post", "/programs/999999/cycles", {"period_start": "2026-04-01"}),
        ("post", "/programs/999999/versions", {"rule": {"leader": {}}}),
        ("get", "/cycles/999999", None),
        ("post", "/cycles/999999/generate", None),
        ("post", "/cycles/999999/approve", None),
        ("post", "/cycles/999999/distribute", None),
        ("post", "/cycles/999999/close", None),
        ("get", "/cycles/999999/figures", None),
        ("get", "/cycles/999999/denials", None),
        ("get", "/cycles/999999/entitlements", None),
        ("get", "/entitlements/999999", None),
        ("get", "/households/999999/entitlements", None),
    ],
)
def test_unknown_objects_are_404(officer, method, path, body, nothing_written):
    with nothing_written():
        response = call(officer, method, path, body)
        assert response.status_code == 404, response.content
        assert response.json()["error"] == "not_found"


def test_filters_out_of_scope_are_422(officer, march, cast, nothing_written):
    services.cycle_generate(actor=cast["officer-a"], cycle=march)
    with nothing_written():
        assert "unit" in fields_of(call(officer, "get", f"/cycles/{march.pk}/entitlements?unit=HS-B1"))
        assert "area" in fields_of(call(officer, "get", f"/cycles/{march.pk}/figures?area=XX"))
        assert "area" in fields_of(call(officer, "get", f"/cycles/{march.pk}/denials?area=HS-B"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"rule": {"any": []}}, "rule.any", id="empty any"),
        pytest.param({"rule": RESIDENT, "norms": [NORM | {"amount": "abc"}]}, "norms[0].amount", id="amount abc"),
        pytest.param({"rule": RESIDENT, "verbose": True}, "verbose", id="unknown field"),
        pytest.param({}, "rule", id="no rule"),
    ],
)
def test_rule_check_names_the_field(officer, body, field, nothing_written):
    with nothing_written():
        assert field in fields_of(call(officer, "post", "/rules/check", body))


def test_rule_check_reads_a_good_rule_back(officer):
    rule = {"all": [RESIDENT, {"not": {"member": {"max_age": 1}}}]}
    answer = call(officer, "post", "/rules/check", {"rule": rule})
    assert answer.status_code == 200
    assert answer.json()["sentence_en"] == (
        "A household is entitled if it lived in the program's area on the reference date and "
        "does not meet this: [has a member aged 1 or under]."
    )
    assert answer.json()["rule"]["all"][1] == {"not": {"member": {"min_age": None, "max_age": 1, "category": None}}}
