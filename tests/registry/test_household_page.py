"""The household page: members, dwelling, history, its audit entries, and the forms to change the head and move."""

from datetime import timedelta

import pytest

from inminban.audit.models import AccessLogEntry, AuditEntry
from inminban.registry import services
from inminban.registry.models import Dwelling, Membership, Move, Residence


def _state(household):
    household.refresh_from_db()
    return (
        AuditEntry.objects.count(),
        household.head_id,
        household.dwelling_id,
        household.unit_id,
        Residence.objects.filter(household=household).count(),
        Move.objects.count(),
    )


def test_shows_members_dwelling_history_and_audit_entries(client_for, household_a1):
    response = client_for("leader-a1").get(f"/households/{household_a1.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for membership in Membership.objects.filter(household=household_a1).select_related("person"):
        assert membership.person.full_name in html
    assert str(household_a1.dwelling) in html
    assert "Where the household lived" in html
    assert "household.register" not in html and "person.register" not in html  # sentences, not codes
    items = response.context["history"].items
    assert items and [item.entry.household_id for item in items] == [household_a1.pk] * len(items)
    assert 'name="form" value="head"' in html and 'name="form" value="move"' in html


def test_reading_the_page_is_in_the_access_log(client_for, cast, household_a1):
    before = AccessLogEntry.objects.filter(household=household_a1, actor=cast["leader-a1"]).count()
    assert client_for("leader-a1").get(f"/households/{household_a1.pk}/").status_code == 200
    entry = AccessLogEntry.objects.filter(household=household_a1, actor=cast["leader-a1"]).latest("at")
    assert AccessLogEntry.objects.filter(household=household_a1, actor=cast["leader-a1"]).count() == before + 1
    assert entry.channel == "web" and entry.person is None


def test_read_only_users_see_no_forms(client_for, household_a1):
    response = client_for("auditor").get(f"/households/{household_a1.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert household_a1.number in html
    assert 'name="form"' not in html


def test_leader_changes_the_head_and_it_is_audited(client_for, cast, household_a1):
    spouse = Membership.objects.get(household=household_a1, relation="spouse", until=None).person
    audit_before = AuditEntry.objects.count()
    client = client_for("leader-a1")
    response = client.post(f"/households/{household_a1.pk}/", {"form": "head", "head": spouse.pk})
    assert response.status_code == 302
    assert response["Location"] == f"/households/{household_a1.pk}/"
    household_a1.refresh_from_db()
    assert household_a1.head_id == spouse.pk
    assert AuditEntry.objects.count() == audit_before + 1
    entry = AuditEntry.objects.latest("seq")
    assert (entry.action, entry.actor_name, entry.household_id) == ("household.set_head", "leader-a1", household_a1.pk)
    assert entry.after["head"] == spouse.pk and entry.before["head"] != spouse.pk
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "is now the head of household; the members&#x27; relations were updated." in page.content.decode()


def test_a_head_from_another_household_is_refused(client_for, household_a1, other_household_a1):
    before = _state(household_a1)
    response = client_for("leader-a1").post(
        f"/households/{household_a1.pk}/", {"form": "head", "head": other_household_a1.head_id}
    )
    assert response.status_code == 400
    assert response.context["forms"]["head"].errors["head"]
    assert "Select a valid choice." in response.content.decode()
    assert _state(household_a1) == before


@pytest.fixture
def free_dwelling(cast, unit_a1) -> Dwelling:
    return services.dwelling_create(
        actor=cast["admin"], unit=unit_a1, address="빈집거리 7", kind=Dwelling.Kind.DETACHED
    )


def test_leader_moves_the_household_within_the_unit(client_for, household_a1, free_dwelling):
    old_dwelling = household_a1.dwelling
    audit_before = AuditEntry.objects.count()
    client = client_for("leader-a1")
    response = client.post(
        f"/households/{household_a1.pk}/",
        {"form": "move", "dwelling": free_dwelling.pk, "on": "2026-01-10", "note": "큰 집으로"},
    )
    assert response.status_code == 302
    household_a1.refresh_from_db()
    assert household_a1.dwelling == free_dwelling
    move = Move.objects.get(household=household_a1)
    assert (move.from_dwelling, move.to_dwelling, move.note) == (old_dwelling, free_dwelling, "큰 집으로")
    assert AuditEntry.objects.count() == audit_before + 1
    assert AuditEntry.objects.latest("seq").action == "household.move"
    page = client.get(f"/households/{household_a1.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "빈집거리 7" in html and "큰 집으로" in html
    assert len(Residence.objects.filter(household=household_a1)) == 2


def test_a_move_before_the_current_residence_is_a_field_error(client_for, household_a1, free_dwelling):
    before = _state(household_a1)
    too_early = (household_a1.registered_on - timedelta(days=1)).isoformat()
    response = client_for("leader-a1").post(
        f"/households/{household_a1.pk}/", {"form": "move", "dwelling": free_dwelling.pk, "on": too_early}
    )
    assert response.status_code == 400
    assert response.context["forms"]["move"].errors["on"] == ["A move must come after the current residence began."]
    assert "A move must come after the current residence began." in response.content.decode()
    assert _state(household_a1) == before


def test_a_move_without_a_dwelling_is_a_field_error(client_for, household_a1):
    before = _state(household_a1)
    response = client_for("leader-a1").post(f"/households/{household_a1.pk}/", {"form": "move", "on": "2026-01-10"})
    assert response.status_code == 400
    assert response.context["forms"]["move"].errors["dwelling"] == ["Choose a dwelling."]
    assert _state(household_a1) == before


def test_a_dwelling_in_another_district_is_not_offered_or_accepted(client_for, household_a1, household_b1):
    before = _state(household_a1)
    client = client_for("leader-a1")
    page = client.get(f"/households/{household_a1.pk}/")
    assert page.status_code == 200
    assert 'name="form" value="move"' in page.content.decode()
    assert f'value="{household_b1.dwelling_id}"' not in page.content.decode()
    response = client.post(
        f"/households/{household_a1.pk}/",
        {"form": "move", "other_dwelling": household_b1.dwelling_id, "on": "2026-01-10"},
    )
    assert response.status_code == 400
    assert response.context["forms"]["move"].errors["other_dwelling"] == [
        "There is no dwelling with this number that you may see."
    ]
    assert _state(household_a1) == before


def test_officer_moves_a_household_to_another_unit_by_dwelling_number(client_for, cast, household_a1, unit_a2):
    target = services.dwelling_create(actor=cast["admin"], unit=unit_a2, address="이사거리 3")
    response = client_for("officer-a").post(
        f"/households/{household_a1.pk}/", {"form": "move", "other_dwelling": target.pk, "on": "2026-01-10"}
    )
    assert response.status_code == 302
    household_a1.refresh_from_db()
    assert (household_a1.unit, household_a1.dwelling) == (unit_a2, target)


def test_leader_cannot_move_a_household_out_of_their_unit(client_for, cast, household_a1, unit_a2):
    """The dwelling in the other unit is not even visible to the leader: a field error, nothing written."""
    target = services.dwelling_create(actor=cast["admin"], unit=unit_a2, address="이사거리 4")
    before = _state(household_a1)
    response = client_for("leader-a1").post(
        f"/households/{household_a1.pk}/", {"form": "move", "other_dwelling": target.pk, "on": "2026-01-10"}
    )
    assert response.status_code == 400
    assert "other_dwelling" in response.context["forms"]["move"].errors
    assert _state(household_a1) == before


def test_unknown_form_is_a_bad_request(client_for, household_a1):
    before = _state(household_a1)
    assert client_for("leader-a1").post(f"/households/{household_a1.pk}/", {"form": "nope"}).status_code == 400
    assert _state(household_a1) == before


def test_household_ids_are_numbers(client_for):
    assert client_for("admin").get("/households/abc/").status_code == 404
