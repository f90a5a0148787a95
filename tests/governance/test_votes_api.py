"""Consent votes held through the public API: the acceptance case of issue 10 (a unit of 25 households, 18 ballots,
a nominee rejected and another approved), and every refusal with its reason, nothing written."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from api.conftest import call, error_fields
from inminban.areas.models import Role, RoleAssignment
from inminban.governance import votes
from inminban.governance.models import Appointment, ConsentVote, Nomination, Notification
from inminban.registry.models import Household

from .voting import move_window_to_past, snapshot, voting_unit


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def place(db):
    return voting_unit(households=25, accounts=18)


def nominate(client, place, nominee, **extra):
    body = {"unit": place.unit.code, "nominee": nominee.pk, "statement": "성실하고 믿음직한 이웃입니다."} | extra
    response = call(client, "POST", "/nominations", body)
    assert response.status_code == 201, response.content
    return response.json()


def cast_all(place, vote_id: int, choices: list[str]) -> None:
    for user, choice in zip(place.residents, choices, strict=False):
        response = call(client_of(user), "POST", f"/votes/{vote_id}/ballots", {"choice": choice})
        assert response.status_code == 201, response.content
        assert response.json() == {"vote": vote_id, "voted": True}


def test_a_unit_rejects_one_nominee_and_approves_the_next(place, client_for):
    officer = client_for("officer-a")
    previous = place.leader_assignment
    roles_before = RoleAssignment.objects.count()

    first = nominate(officer, place, place.heads[19])
    vote_id = first["vote"]
    opened = call(officer, "GET", f"/votes/{vote_id}").json()
    assert (opened["status"], opened["electorate_size"], opened["result"]) == ("open", 25, None)
    assert (opened["quorum_percent"], opened["approval_percent"]) == (50.0, 50.0)
    assert Notification.objects.filter(kind="vote_opened").count() >= 19  # 18 residents and the leader

    cast_all(place, vote_id, ["yes"] * 5 + ["no"] * 10 + ["abstain"] * 3)
    during = call(client_of(place.residents[0]), "GET", f"/votes/{vote_id}").json()
    assert during["participated"] == 18 and during["result"] is None  # counts are published only at closing
    assert during["my_household_voted"] is True and during["may_vote"] is False

    refused = call(officer, "POST", f"/votes/{vote_id}/close")
    assert refused.status_code == 422 and "closes_at" in error_fields(refused)
    move_window_to_past(ConsentVote.objects.get(pk=vote_id))
    closed = call(officer, "POST", f"/votes/{vote_id}/close")
    assert closed.status_code == 200, closed.content
    result = closed.json()["result"]
    assert (result["ballots"], result["total"]["yes"], result["total"]["no"], result["total"]["abstain"]) == (
        18,
        5,
        10,
        3,
    )
    assert result["turnout_percent"] == 72.0
    assert (result["quorum_met"], result["approval_met"], result["passed"]) == (True, False, False)
    assert result["online"] == {"yes": 5, "no": 10, "abstain": 3, "total": 18}
    assert result["paper"] == {"yes": 0, "no": 0, "abstain": 0, "total": 0}
    assert Nomination.objects.get(pk=first["id"]).status == "rejected"
    assert RoleAssignment.objects.count() == roles_before
    assert not Appointment.objects.filter(unit=place.unit).exists()
    seen = call(client_of(place.residents[3]), "GET", f"/votes/{vote_id}").json()
    assert seen["result"]["passed"] is False

    # The rejected nominee cannot be nominated again for the unit within the rules' period.
    again = call(
        officer, "POST", "/nominations", {"unit": place.unit.code, "nominee": place.heads[19].pk, "statement": "다시"}
    )
    assert again.status_code == 422 and "nominee" in error_fields(again)

    second = nominate(officer, place, place.heads[20])
    vote_id = second["vote"]
    cast_all(place, vote_id, ["yes"] * 14 + ["no"] * 3 + ["abstain"])
    move_window_to_past(ConsentVote.objects.get(pk=vote_id))
    closed = call(client_for("officer-a2"), "POST", f"/votes/{vote_id}/close")
    assert closed.status_code == 200, closed.content
    result = closed.json()["result"]
    assert (result["ballots"], result["total"]["yes"], result["passed"]) == (18, 14, True)

    vote = ConsentVote.objects.get(pk=vote_id)
    starts_on = timezone.localtime(vote.closed_at).date() + timedelta(days=1)
    appointment = Appointment.objects.get(unit=place.unit)
    assert (appointment.person, appointment.starts_on) == (place.heads[20], starts_on)
    assert appointment.ends_on == votes.add_months(starts_on, 24)
    new_role = appointment.role_assignment
    assert (new_role.role, new_role.area, new_role.person, new_role.since) == (
        Role.LEADER,
        place.unit,
        place.heads[20],
        starts_on,
    )
    assert not new_role.user.has_usable_password()  # a new account: the office gives its holder a code
    previous.refresh_from_db()
    assert previous.until == starts_on
    assert appointment.ended_assignment == previous
    listed = call(officer, "GET", "/appointments").json()
    assert any(item["id"] == appointment.pk and item["starts_on"] == starts_on.isoformat() for item in listed["items"])
    assert Nomination.objects.get(pk=second["id"]).status == "approved"
    assert Notification.objects.filter(kind="vote_result", user=place.residents[0]).count() == 2


# Refusals: a clear reason, nothing written ---------------------------------------------------------------------------


@pytest.fixture
def open_vote(place, cast):
    nomination = votes.nomination_create(
        actor=cast["officer-a"], unit=place.unit, nominee=place.heads[19], statement="이웃을 잘 돌봅니다."
    )
    return nomination.vote


def refused(client, vote, body, field="vote", status=422):
    before = snapshot()
    response = call(client, "POST", f"/votes/{vote.pk}/ballots", body)
    assert response.status_code == status, response.content
    fields = error_fields(response)
    if status == 422:
        assert field in fields, fields
    assert snapshot() == before, "a refused ballot wrote something"
    return fields


def test_a_second_account_of_the_same_household_cannot_vote_again(place, open_vote, cast):
    from django.contrib.auth.models import User

    from inminban.areas import services as area_services
    from inminban.registry import services as registry

    household = place.households[0]
    spouse = registry.person_register(
        actor=cast["admin"],
        household=household,
        family_name="배",
        given_name="우자",
        birth_date=household.head.birth_date,
        sex="F",
        relation="spouse",
        since=household.registered_on,
    )
    second = User.objects.create_user("v-spouse")
    area_services.role_assign(actor=cast["admin"], user=second, role=Role.RESIDENT, person=spouse)
    assert (
        call(client_of(place.residents[0]), "POST", f"/votes/{open_vote.pk}/ballots", {"choice": "no"}).status_code
        == 201
    )
    fields = refused(client_of(second), open_vote, {"choice": "yes"})
    assert "already voted" in fields["vote"][0]


def test_online_after_a_paper_tally_counted_the_household_is_refused(place, open_vote, client_for):
    response = call(
        client_for("officer-a2"),
        "POST",
        f"/votes/{open_vote.pk}/paper-tallies",
        {
            "sheet_number": "7-1",
            "yes": 1,
            "no": 1,
            "abstain": 0,
            "households": [place.households[0].pk, place.households[20].pk],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["counted"] == 2
    fields = refused(client_of(place.residents[0]), open_vote, {"choice": "yes"})
    assert "unit meeting" in fields["vote"][0]


def test_a_ballot_after_the_window_is_refused(place, open_vote):
    move_window_to_past(open_vote)
    fields = refused(client_of(place.residents[0]), open_vote, {"choice": "yes"})
    assert fields["vote"] == ["The vote has closed."]


def test_a_ballot_before_the_window_opens_is_refused(place, cast):
    later = timezone.now() + timedelta(days=2)
    nomination = votes.nomination_create(
        actor=cast["officer-a"], unit=place.unit, nominee=place.heads[19], statement="곧 열립니다.", opens_at=later
    )
    fields = refused(client_of(place.residents[0]), nomination.vote, {"choice": "yes"})
    assert fields["vote"] == ["The vote has not opened yet."]


def test_a_household_registered_after_the_vote_opened_is_not_on_its_roll(place, open_vote):
    household = place.households[0]
    Household.objects.filter(pk=household.pk).update(registered_on=timezone.localdate() + timedelta(days=1))
    fields = refused(client_of(place.residents[0]), open_vote, {"choice": "yes"})
    assert fields["vote"] == ["Your household was registered after the vote opened."]


def test_a_resident_of_another_unit_gets_404(place, open_vote, client_for):
    refused(client_for("resident-a1"), open_vote, {"choice": "yes"}, status=404)
    assert call(client_for("resident-a1"), "GET", f"/votes/{open_vote.pk}").status_code == 404


def test_the_nominee_cannot_vote(place, cast):
    nominee_account = place.residents[4]
    nomination = votes.nomination_create(
        actor=cast["officer-a"], unit=place.unit, nominee=place.heads[4], statement="스스로에게는 투표할 수 없습니다."
    )
    fields = refused(client_of(nominee_account), nomination.vote, {"choice": "yes"})
    assert "nominee" in fields["vote"][0]


def test_the_sitting_leader_cannot_vote(place, open_vote):
    fields = refused(client_of(place.leader), open_vote, {"choice": "no"})
    assert "leader" in fields["vote"][0]


def test_the_nominating_officer_cannot_enter_a_paper_tally(place, open_vote, client_for):
    before = snapshot()
    response = call(
        client_for("officer-a"),
        "POST",
        f"/votes/{open_vote.pk}/paper-tallies",
        {"sheet_number": "1", "yes": 1, "no": 0, "abstain": 0, "households": [place.households[20].pk]},
    )
    assert response.status_code == 422 and "vote" in error_fields(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"sheet_number": "2", "yes": 2, "no": 0, "abstain": 0, "households": "one"}, "households"),
        ({"sheet_number": "2", "yes": 2, "no": 0, "abstain": 0, "households": "wrong total"}, "households"),
        ({"sheet_number": "", "yes": 1, "no": 0, "abstain": 0, "households": "one"}, "sheet_number"),
        ({"sheet_number": "2", "yes": 1, "no": 0, "abstain": 0, "households": "other unit"}, "households"),
        ({"sheet_number": "2", "yes": 1, "no": 0, "abstain": 0, "households": "voted"}, "households"),
    ],
)
def test_bad_paper_tallies_name_the_field(place, open_vote, client_for, household_b1, body, field):
    call(client_of(place.residents[0]), "POST", f"/votes/{open_vote.pk}/ballots", {"choice": "yes"})
    listed = {
        "one": [place.households[20].pk],
        "wrong total": [place.households[20].pk],
        "other unit": [household_b1.pk],
        "voted": [place.households[0].pk],
    }[body["households"]]
    before = snapshot()
    response = call(
        client_for("officer-a2"), "POST", f"/votes/{open_vote.pk}/paper-tallies", body | {"households": listed}
    )
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert snapshot() == before


def test_a_sheet_number_is_entered_once(place, open_vote, client_for):
    path = f"/votes/{open_vote.pk}/paper-tallies"
    first = {"sheet_number": "9", "yes": 1, "no": 0, "abstain": 0, "households": [place.households[20].pk]}
    assert call(client_for("officer-a2"), "POST", path, first).status_code == 201
    before = snapshot()
    response = call(client_for("officer-a2"), "POST", path, first | {"households": [place.households[21].pk]})
    assert response.status_code == 422 and "sheet_number" in error_fields(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"quorum_percent": 101}, "quorum_percent"),
        ({"approval_percent": -1}, "approval_percent"),
        ({"recall_signature_percent": 100.5}, "recall_signature_percent"),
        ({"window_days": 0}, "window_days"),
        ({"electorate": "everyone"}, "electorate"),
    ],
)
def test_rules_outside_their_bounds_are_refused(client_for, body, field):
    before = snapshot()
    response = call(client_for("officer-city"), "PUT", "/offices/HS-A-OFFICE/governance-rules", body)
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert snapshot() == before


def test_rules_are_set_and_inherited(client_for, cast):
    response = call(
        client_for("admin"),  # nothing above the city has an office: an administrator sets the city's rules
        "PUT",
        "/offices/HS-OFFICE/governance-rules",
        {"quorum_percent": 60, "window_days": 10},
    )
    assert response.status_code == 200, response.content
    district = call(client_for("officer-a"), "GET", "/offices/HS-A-OFFICE/governance-rules").json()
    assert (district["quorum_percent"], district["window_days"], district["inherited_from"]) == (60.0, 10, "HS-OFFICE")
    # The district's own officers do not set the bar their nominees must clear: the city does.
    assert (
        call(client_for("officer-a"), "PUT", "/offices/HS-A-OFFICE/governance-rules", {"approval_percent": 1})
    ).status_code == 403
    own = call(client_for("officer-city"), "PUT", "/offices/HS-A-OFFICE/governance-rules", {"approval_percent": 66.67})
    assert own.json() | {} == own.json() and own.json()["approval_percent"] == 66.67
    assert own.json()["quorum_percent"] == 60.0 and own.json()["inherited_from"] == "HS-A-OFFICE"
    # A district officer cannot change the city's rules.
    assert (
        call(client_for("officer-a"), "PUT", "/offices/HS-OFFICE/governance-rules", {"quorum_percent": 10}).status_code
        == 404
    )


def _nomination_refused(client, body, field):
    before = snapshot()
    response = call(client, "POST", "/nominations", body)
    assert response.status_code == 422, response.content
    assert field in error_fields(response), error_fields(response)
    assert snapshot() == before


def test_a_window_ending_before_it_starts_is_refused(place, client_for):
    opens = (timezone.now() + timedelta(days=3)).isoformat()
    closes = (timezone.now() + timedelta(days=2)).isoformat()
    body = {
        "unit": place.unit.code,
        "nominee": place.heads[19].pk,
        "statement": "좋은 사람",
        "opens_at": opens,
        "closes_at": closes,
    }
    _nomination_refused(client_for("officer-a"), body, "closes_at")


def test_a_window_longer_than_sixty_days_is_refused(place, client_for):
    closes = (timezone.now() + timedelta(days=61)).isoformat()
    body = {"unit": place.unit.code, "nominee": place.heads[19].pk, "statement": "좋은 사람", "closes_at": closes}
    _nomination_refused(client_for("officer-a"), body, "closes_at")


def test_a_nominee_from_another_unit_is_refused(place, client_for, person_a1):
    body = {"unit": place.unit.code, "nominee": person_a1.pk, "statement": "좋은 사람"}
    _nomination_refused(client_for("officer-a"), body, "nominee")


def test_an_empty_statement_is_refused(place, client_for):
    for statement in ("", "   "):
        body = {"unit": place.unit.code, "nominee": place.heads[19].pk, "statement": statement}
        _nomination_refused(client_for("officer-a"), body, "statement")


def test_a_second_open_nomination_in_the_unit_is_refused(place, open_vote, client_for):
    body = {"unit": place.unit.code, "nominee": place.heads[20].pk, "statement": "또 다른 사람"}
    _nomination_refused(client_for("officer-a"), body, "unit")


def test_a_bad_choice_names_the_field(place, open_vote):
    refused(client_of(place.residents[0]), open_vote, {"choice": "maybe"}, field="choice")


def test_withdrawing_a_vote_ends_its_nomination(place, open_vote, client_for):
    response = call(client_for("officer-a"), "POST", f"/votes/{open_vote.pk}/withdraw", {"reason": "후보가 사퇴함"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"
    assert Nomination.objects.get(pk=open_vote.nomination_id).status == "withdrawn"
    refused(client_of(place.residents[0]), open_vote, {"choice": "yes"})


def test_a_retried_ballot_is_counted_once_and_its_key_keeps_no_trace_of_the_choice(place, open_vote):
    from inminban.api.models import IdempotencyRecord
    from inminban.governance.models import Participation, Tally

    client = client_of(place.residents[0])
    path = f"/votes/{open_vote.pk}/ballots"
    first = call(client, "POST", path, {"choice": "no"}, **{"Idempotency-Key": "ballot-1"})
    again = call(client, "POST", path, {"choice": "no"}, **{"Idempotency-Key": "ballot-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert Participation.objects.filter(vote=open_vote).count() == 1
    assert sum(Tally.objects.filter(vote=open_vote).values_list("count", flat=True)) == 1
    record = IdempotencyRecord.objects.get(key="ballot-1")
    hashes = {
        hashlib.sha256(f"POST/api/v1{path}\n".encode() + body.encode()).hexdigest()
        for body in (json.dumps({"choice": c}) for c in ("yes", "no", "abstain"))
    }
    assert record.request_hash not in hashes
    assert b"no" not in bytes(record.body).replace(b"null", b"")
