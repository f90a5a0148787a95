"""The resident's own household, and who read or changed its records."""

from inminban.audit.models import AccessLogEntry
from inminban.registry.models import Membership


def test_shows_the_residents_household_and_members(client_for, household_a1, other_household_a1):
    response = client_for("resident-a1").get("/my-household/")
    assert response.status_code == 200
    assert response.context["household"] == household_a1
    html = response.content.decode()
    for membership in Membership.objects.filter(household=household_a1, until=None).select_related("person"):
        assert membership.person.full_name in html
    for membership in Membership.objects.filter(household=other_household_a1).select_related("person"):
        assert membership.person.full_name not in html


def test_shows_who_read_the_records_but_not_the_residents_own_visits(client_for, household_a1, person_a1):
    client_for("leader-a1").get(f"/households/{household_a1.pk}/")
    client_for("officer-a").get(f"/persons/{person_a1.pk}/")
    resident = client_for("resident-a1")
    resident.get("/my-household/")
    response = resident.get("/my-household/")
    reads = response.context["reads"]
    assert [read.actor_name for read in reads[:2]] == ["officer-a", "leader-a1"]
    assert reads[0].person == person_a1 and reads[1].person is None
    assert "resident-a1" not in {read.actor_name for read in reads}
    assert AccessLogEntry.objects.filter(household=household_a1, actor_name="resident-a1").count() == 2
    html = response.content.decode()
    assert f"read the record of {person_a1.full_name}" in html
    assert "read the household record" in html


def test_shows_who_changed_the_records(client_for, household_a1, person_a1):
    response = client_for("leader-a1").post(
        f"/persons/{person_a1.pk}/",
        {"form": "job", "workplace": "혜산방직공장", "job_title": "방직공", "since": "2026-01-02"},
    )
    assert response.status_code == 302
    page = client_for("resident-a1").get("/my-household/")
    changes = page.context["changes"]
    assert (changes[0].action, changes[0].actor_name) == ("occupation.set", "leader-a1")
    assert all(entry.household_id == household_a1.pk for entry in changes)
    assert "방직공" in page.content.decode()


def test_accounts_not_linked_to_a_person_have_no_own_household(client_for):
    assert client_for("officer-a").get("/my-household/").status_code == 404
    assert client_for("auditor").get("/my-household/").status_code == 404


def test_a_leader_sees_the_household_they_live_in(client_for):
    from inminban.areas.models import RoleAssignment

    leader = RoleAssignment.objects.get(user__username="leader-a1", role="leader")
    page = client_for("leader-a1").get("/my-household/")
    assert page.status_code == 200
    assert page.context["household"] == leader.person.household
