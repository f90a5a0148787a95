"""Entitlements where leaders and residents read them: the leader's unit view of a cycle (who is denied and what
each household is missing), the links from the unit page and /day/, and the block on the household page and on
/my-household/. Each is scoped: a leader sees their unit, a resident their household, anyone else a 404."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inminban.entitlements import services
from inminban.entitlements.models import Cycle, Entitlement


def _own_household(user):
    return user.role_assignments.get(role="resident").person.household


@pytest.fixture
def cycle(cast, street_ration) -> Cycle:
    """The street-cleaning ration's cycle of this month, computed (not yet approved)."""
    cycle = services.cycle_create(
        actor=cast["officer-a"], program=street_ration, period_start=timezone.localdate().replace(day=1)
    )
    return services.cycle_generate(actor=cast["officer-a"], cycle=cycle)


@pytest.fixture
def leader_benefit(cast, office_a, unit_a1) -> Cycle:
    program = services.program_create(
        actor=cast["officer-a"],
        office=office_a,
        area=unit_a1.parent,
        kind="leader_benefit",
        name_ko="인민반장 특별배급",
        name_en="Unit leaders' special ration",
        rule={"all": [{"resident": {}}, {"leader": {}}]},
    )
    cycle = services.cycle_create(
        actor=cast["officer-a"], program=program, period_start=timezone.localdate().replace(day=1)
    )
    return services.cycle_generate(actor=cast["officer-a"], cycle=cycle)


def _unit_view(cycle, code="HS-A1") -> str:
    return f"/cycles/{cycle.pk}/units/{code}/"


def test_the_leader_sees_who_is_denied_and_what_is_missing(client_for, cycle, street, cast):
    response = client_for("leader-a1").get(_unit_view(cycle))
    assert response.status_code == 200
    page = response.content.decode()
    denied = Entitlement.objects.filter(cycle=cycle, unit__code="HS-A1", eligible=False).select_related("household")
    assert denied.exists()
    for row in denied:
        assert f"Household {row.household.number}" in page
        assert f"/households/{row.household.pk}/" in page
    assert "no stamp for “Street cleaning” (labour campaign)" in page
    assert f"/campaigns/{street.pk}/units/HS-A1/" in page  # where the leader can help it earn the stamp
    own = _own_household(cast["resident-a1"])
    assert own.head.full_name in page
    assert "Entitled" in page and "kg" in page


@pytest.mark.parametrize("username", ["officer-a", "auditor", "admin"])
def test_the_office_can_open_the_unit_view(client_for, cycle, username):
    assert client_for(username).get(_unit_view(cycle)).status_code == 200


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("leader-a1", "HS-A2"),
        ("leader-b1", "HS-A1"),
        ("officer-b", "HS-A1"),
        ("resident-a1", "HS-A1"),
        ("officer-a", "HS-B1"),
        ("officer-a", "NO-SUCH-UNIT"),
    ],
)
def test_the_unit_view_is_404_outside_ones_unit(client_for, cycle, username, code):
    assert client_for(username).get(_unit_view(cycle, code)).status_code == 404


def test_anonymous_is_sent_to_log_in(client_for, cycle):
    response = client_for(None).get(_unit_view(cycle))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_draft_cycle_says_it_is_not_computed(client_for, cast, cycle):
    later = services.cycle_create(
        actor=cast["officer-a"], program=cycle.program, period_start=cycle.period_end + timedelta(days=1)
    )
    page = client_for("leader-a1").get(_unit_view(later)).content.decode()
    assert "The office has not computed this cycle yet." in page


@pytest.mark.parametrize("url", ["/units/HS-A1/", "/day/"])
def test_the_unit_page_and_the_day_link_to_the_latest_cycle(client_for, cycle, url):
    page = client_for("leader-a1").get(url).content.decode()
    assert "Rations and benefits" in page
    assert _unit_view(cycle) in page
    assert "Monthly grain ration" in page


def test_the_unit_page_stays_within_a_few_queries(client_for, cycle, leader_benefit):
    client = client_for("leader-a1")
    client.get("/units/HS-A1/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/units/HS-A1/").status_code == 200
    assert len(queries) <= 18  # with the duty status of every household: three grouped queries, not one per household


def test_the_resident_sees_the_entitlement_and_its_reasons(client_for, cycle, cast):
    response = client_for("resident-a1").get("/my-household/")
    assert response.status_code == 200
    page = response.content.decode()
    row = Entitlement.objects.get(cycle=cycle, household=_own_household(cast["resident-a1"]))
    assert row.eligible
    assert "Monthly grain ration" in page
    assert f"Entitled: {row.quantity / 1000:,.1f} kg".replace(".0 kg", " kg") in page
    assert "holds a valid stamp for “Street cleaning” (labour campaign)" in page
    assert "Members counted" in page and "g a day" in page
    assert "not yet approved by the office" in page
    block = page[page.index('<section class="card" id="entitlements">') :]
    block = block[: block.index("</section>")]
    for code in ("campaign:", "grain_ration", "HS-A-OFFICE", "heavy_labour", "generated", "HS-A1"):
        assert code not in block, code


def test_a_denied_household_page_says_why(client_for, cycle):
    row = Entitlement.objects.filter(cycle=cycle, unit__code="HS-A1", eligible=False).first()
    page = client_for("leader-a1").get(f"/households/{row.household_id}/").content.decode()
    assert "Denied" in page and "no stamp for “Street cleaning” (labour campaign)" in page


def test_the_resident_sees_only_their_own_household(client_for, cycle, cast):
    other = Entitlement.objects.filter(cycle=cycle, unit__code="HS-A1").exclude(
        household=_own_household(cast["resident-a1"])
    )
    assert client_for("resident-a1").get(f"/households/{other.first().household_id}/").status_code == 404


def test_a_leader_benefit_is_not_shown_as_denied_to_households_without_a_leader(
    client_for, cycle, leader_benefit, cast
):
    resident_page = client_for("resident-a1").get("/my-household/").content.decode()
    assert "Unit leaders&#x27; special ration" not in resident_page
    leader_household = cast["leader-a1"].role_assignments.get(role="leader").person.household
    leader_page = client_for("leader-a1").get(f"/households/{leader_household.pk}/").content.decode()
    assert "Unit leaders&#x27; special ration" in leader_page
    unit_view = client_for("leader-a1").get(_unit_view(leader_benefit)).content.decode()
    assert "not listed: this is only for unit leaders" in unit_view
    assert f"Household {leader_household.number}" in unit_view


def test_the_korean_pages_speak_korean(client_for, cycle):
    client = client_for("leader-a1")
    page = client.get(_unit_view(cycle), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "「거리 청소」(로력동원) 확인도장이 없습니다" in page
    assert "받지 못한 세대" in page
    resident = client_for("resident-a1").get("/my-household/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "배급과 보조" in resident and "받음:" in resident
