"""The attendance sheet page: "whole household present", persons outside the campaign rule's working ages offered only
behind an override that needs a reason (audited as its own action), a search box and a save button that stays on
screen."""

import re
from datetime import timedelta

import pytest

from inminban.audit.models import AuditEntry
from inminban.duties import services
from inminban.duties.models import Attendance
from inminban.duties.rules import age_on
from inminban.registry.models import Household, Membership
from inminban.registry.services import person_register


@pytest.fixture
def session(make_campaign, make_session, cast, unit_a1):
    campaign = make_campaign(unit_a1)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    return make_session(campaign, unit_a1)


@pytest.fixture
def household(cast, unit_a1, today):
    """A household of A1 with a child and an elder besides its working-age members."""
    household = Household.objects.filter(unit=unit_a1).order_by("number").first()
    for given, years, relation in (("아이", 9, "child"), ("할머니", 75, "parent")):
        person_register(
            actor=cast["leader-a1"],
            household=household,
            family_name="문",
            given_name=given,
            birth_date=today - timedelta(days=365 * years + 30),
            sex="F",
            relation=relation,
            since=today - timedelta(days=20),
        )
    return household


def _members(household, on):
    return [m.person for m in Membership.objects.current_on(on).filter(household=household).select_related("person")]


def _split(session, household):
    rule = session.campaign.rule
    members = _members(household, session.on)
    inside = [p for p in members if rule.min_age <= age_on(p.birth_date, session.on) <= rule.max_age]
    outside = [p for p in members if p not in inside]
    return inside, outside


def _present(session) -> set[int]:
    return set(Attendance.objects.filter(session=session).values_list("person_id", flat=True))


def test_the_sheet_offers_working_ages_directly_and_others_behind_an_override(client_for, session, household):
    inside, outside = _split(session, household)
    assert inside and len(outside) >= 2
    html = client_for("leader-a1").get(f"/sessions/{session.pk}/").content.decode()
    assert "data-search-field hidden" in html and 'type="search"' in html  # the script shows the search box
    assert f'name="whole" value="{household.pk}"' in html
    assert 'class="sheet-actions"' in html and "Save attendance" in html
    assert "sheet.js" in html
    assert "The campaign counts persons aged 17 to 60." in html
    for person in outside:
        block = html[html.index(f'<details class="sheet-outside" data-person data-name="{person.full_name}') :]
        block = block[: block.index("</details>")]
        assert f'id="person-{person.pk}"' in block and f'name="reason-{person.pk}"' in block
        assert "outside the working ages" in block
    for person in inside:
        assert f'name="reason-{person.pk}"' not in html


def test_whole_household_present_marks_its_working_age_members(client_for, session, household):
    inside, outside = _split(session, household)
    entries = AuditEntry.objects.count()
    response = client_for("leader-a1").post(f"/sessions/{session.pk}/", {"whole": household.pk})
    assert response.status_code == 302
    assert _present(session) == {p.pk for p in inside}
    assert AuditEntry.objects.count() == entries + len(inside)
    assert set(AuditEntry.objects.order_by("-seq")[: len(inside)].values_list("action", flat=True)) == {
        "attendance.record"
    }
    page = client_for("leader-a1").get(f"/sessions/{session.pk}/").content.decode()
    for person in inside:
        assert f'value="{person.pk}" checked' in page
    for person in outside:
        assert f'value="{person.pk}" checked' not in page


def test_whole_household_keeps_the_other_ticks(client_for, session, household, unit_a1):
    other = Household.objects.filter(unit=unit_a1).exclude(pk=household.pk).order_by("number").first()
    other_inside, _ = _split(session, other)
    inside, _ = _split(session, household)
    response = client_for("leader-a1").post(
        f"/sessions/{session.pk}/", {"whole": household.pk, "person": [other_inside[0].pk]}
    )
    assert response.status_code == 302
    assert _present(session) == {p.pk for p in inside} | {other_inside[0].pk}


def test_outside_the_working_ages_without_a_reason_is_refused(client_for, session, household, nothing_written):
    inside, outside = _split(session, household)
    client = client_for("leader-a1")
    child = outside[0]
    with nothing_written():
        response = client.post(f"/sessions/{session.pk}/", {"person": [inside[0].pk, child.pk]})
        assert response.status_code == 422
        html = response.content.decode()
        age = age_on(child.birth_date, session.on)
        assert f"{child.full_name} is {age}, outside the working ages of this campaign (17 to 60)" in html
        # The sheet keeps what was ticked, and opens the override so the reason can be given.
        assert f'value="{inside[0].pk}" checked' in html
        assert re.search(rf'<details class="sheet-outside"[^>]*data-name="{child.full_name}[^"]*" open>', html)

        blank = client.post(f"/sessions/{session.pk}/", {"person": [child.pk], f"reason-{child.pk}": "   "})
        assert blank.status_code == 422
        too_long = client.post(f"/sessions/{session.pk}/", {"person": [child.pk], f"reason-{child.pk}": "x" * 201})
        assert too_long.status_code == 422
        # A reason given for somebody else does not count for the child.
        misplaced = client.post(f"/sessions/{session.pk}/", {"person": [child.pk], f"reason-{inside[0].pk}": "why"})
        assert misplaced.status_code == 422


def test_outside_the_working_ages_with_a_reason_is_recorded_and_audited(client_for, session, household):
    _, outside = _split(session, household)
    elder = outside[1]
    client = client_for("leader-a1")
    entries = AuditEntry.objects.count()
    response = client.post(
        f"/sessions/{session.pk}/", {"person": [elder.pk], f"reason-{elder.pk}": "Asked to help, did light work"}
    )
    assert response.status_code == 302
    assert _present(session) == {elder.pk}
    assert AuditEntry.objects.count() == entries + 2
    record, override = AuditEntry.objects.order_by("seq")[entries:]
    assert record.action == "attendance.record"
    assert override.action == "attendance.age_override"
    assert override.after["reason"] == "Asked to help, did light work"
    assert override.after["person"] == elder.pk and override.after["age"] == age_on(elder.birth_date, session.on)
    assert (override.after["min_age"], override.after["max_age"]) == (17, 60)
    assert override.household_id == household.pk and override.actor.username == "leader-a1"

    # Saving the sheet again keeps them without asking for the reason twice; unticking takes them off.
    assert client.post(f"/sessions/{session.pk}/", {"person": [elder.pk]}).status_code == 302
    assert AuditEntry.objects.count() == entries + 2
    assert client.post(f"/sessions/{session.pk}/", {}).status_code == 302
    assert _present(session) == set()


def test_bad_input_is_an_error_and_writes_nothing(client_for, session, household, unit_b1, nothing_written):
    from inminban.registry.models import Person

    client = client_for("leader-a1")
    outsider = Person.objects.filter(household__unit=unit_b1).first()
    with nothing_written():
        for persons in (["abc"], ["-3"], [str(outsider.pk)], ["99999999999"]):
            response = client.post(f"/sessions/{session.pk}/", {"person": persons})
            assert response.status_code == 422, persons
        assert client_for("leader-b1").post(f"/sessions/{session.pk}/", {"whole": household.pk}).status_code == 404
        assert client_for("auditor").post(f"/sessions/{session.pk}/", {"whole": household.pk}).status_code == 403


def test_the_service_refuses_without_a_reason_too(cast, session, household, nothing_written):
    """The rule is the service's, not only the page's."""
    from inminban.common.errors import DomainError

    _, outside = _split(session, household)
    with nothing_written(), pytest.raises(DomainError) as error:
        services.session_sheet_save(actor=cast["leader-a1"], session=session, person_ids=[outside[0].pk])
    assert error.value.field == "reason"


def test_enter_in_a_field_saves_rather_than_marking_a_household(client_for, session, household):
    """The form's first submit button is the one Enter presses: it must be "save", not a "whole household" button."""
    html = client_for("leader-a1").get(f"/sessions/{session.pk}/").content.decode()
    form = html[html.index("data-sheet>") :]
    first = re.search(r"<button[^>]*>", form).group(0)
    assert 'name="save"' in first and 'name="whole"' not in first
