"""Consent votes through the services: the secret ballot proven from the database rows, closing once however often
it runs, recall, votes by adult, rules copied at opening."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.conftest import call
from inminban.areas.models import RoleAssignment
from inminban.audit.models import AuditEntry
from inminban.governance import votes
from inminban.governance.jobs import votes_close
from inminban.governance.models import (
    Appointment,
    ConsentVote,
    Nomination,
    Participation,
    Petition,
    Tally,
)
from inminban.jobs.registry import declared_schedules

from .voting import move_window_to_past, snapshot, voting_unit

CHOICES = {"yes", "no", "abstain"}


@pytest.fixture
def place(db):
    return voting_unit(households=8, accounts=6)


@pytest.fixture
def open_vote(place, cast):
    return votes.nomination_create(
        actor=cast["officer-a"], unit=place.unit, nominee=place.heads[6], statement="책임감이 강합니다."
    ).vote


# Secrecy ---------------------------------------------------------------------------------------------------------


def _rows_of_every_governance_table() -> dict[str, tuple[list[str], list[tuple]]]:
    tables = {}
    with connection.cursor() as cursor:
        for model in apps.get_app_config("governance").get_models():
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own table names
            columns = [column[0] for column in cursor.description]
            tables[table] = (columns, cursor.fetchall())
    return tables


def test_no_row_of_any_governance_table_links_a_household_to_a_choice(place, open_vote, cast, client_for):
    choices = ["yes", "no", "yes", "abstain", "no", "yes"]
    for user, choice in zip(place.residents, choices, strict=True):
        votes.ballot_cast(actor=user, vote=open_vote, choice=choice)
    votes.paper_tally_enter(
        actor=cast["officer-a2"], vote=open_vote, sheet_number="A-1", yes=1, no=0, abstain=0,
        households=[place.households[7]],
    )  # fmt: skip

    tables = _rows_of_every_governance_table()
    person_or_household = {"household_id", "person_id", "household", "person"}
    for table, (columns, rows) in tables.items():
        names = {c.lower() for c in columns}
        references = names & person_or_household
        for row in rows:
            values = {str(value).lower() for value in row if value is not None}
            has_choice = bool(values & CHOICES)
            assert not (references and has_choice), f"{table} links a household or person to a choice: {row}"
    participation_columns = {c.lower() for c in tables["governance_participation"][0]}
    assert participation_columns == {"id", "vote_id", "household_id", "person_id", "channel", "paper_tally_id"}
    assert not {c for c in participation_columns if c.endswith(("_at", "_on", "time", "date"))}
    tally_columns = {c.lower() for c in tables["governance_tally"][0]}
    assert tally_columns == {"id", "vote_id", "channel", "choice", "count"}  # no time, no household, no ballot order
    # The counters hold the choices, only as counts; the participations only who took part.
    assert Participation.objects.filter(vote=open_vote).count() == 7
    counted = {(t.channel, t.choice): t.count for t in Tally.objects.filter(vote=open_vote)}
    assert counted[("online", "yes")] == 3 and counted[("online", "no")] == 2 and counted[("paper", "yes")] == 1

    ballots = AuditEntry.objects.filter(action="vote.participate", target_id=str(open_vote.pk))
    assert ballots.count() == 6
    for entry in ballots:
        assert entry.household_id is not None
        text = f"{entry.before} {entry.after} {entry.target_repr} {entry.target_type}".lower()
        assert not any(f"'{choice}'" in text or f'"{choice}"' in text for choice in CHOICES), text
        assert entry.target_type == "governance.consentvote"

    # Neither an administrator nor an auditor can read one household's choice through the API.
    for role in ("admin", "auditor"):
        body = call(client_for(role), "GET", f"/votes/{open_vote.pk}").content.decode().lower()
        assert '"result": null' in body  # nothing counted is shown while the vote is open
        assert str(place.households[0].pk) not in body.split('"paper_tallies"')[0].split('"nominee"')[0]
    move_window_to_past(open_vote)
    votes.vote_close(vote=open_vote)
    for role in ("admin", "auditor"):
        body = call(client_for(role), "GET", f"/votes/{open_vote.pk}").json()
        assert body["result"]["total"] == {"yes": 4, "no": 2, "abstain": 1, "total": 7}
        assert "household" not in str(body["result"]) and "households" not in body


def test_a_ballot_changes_every_counter_of_its_channel_alike(place, open_vote):
    """All three online counters are written by each ballot (the chosen one +1, the others +0): no counter's row
    version marks the transaction of a single choice."""
    with CaptureQueriesContext(connection) as queries:
        votes.ballot_cast(actor=place.residents[0], vote=open_vote, choice="no")
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "governance_tally"')]
    assert len(updates) == 1
    assert "choice" not in updates[0].split("WHERE", 1)[1]  # the statement picks the channel's rows, not the choice's
    counts = dict(Tally.objects.filter(vote=open_vote, channel="online").values_list("choice", "count"))
    assert counts == {"yes": 0, "no": 1, "abstain": 0}
    if connection.vendor == "postgresql":  # and each counter's row version is that one transaction's
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT xmin::text FROM governance_tally WHERE vote_id = %s AND channel = 'online'",
                [open_vote.pk],
            )
            assert len(cursor.fetchall()) == 1


# Closing ---------------------------------------------------------------------------------------------------------


def test_closing_twice_closes_once(place, open_vote):
    for user in place.residents[:5]:
        votes.ballot_cast(actor=user, vote=open_vote, choice="yes")
    move_window_to_past(open_vote)
    audit_before = AuditEntry.objects.count()
    assert votes.votes_close_due() == 1
    audit_after = AuditEntry.objects.count()
    assert votes.votes_close_due() == 0
    votes.vote_close(vote=open_vote)
    assert AuditEntry.objects.count() == audit_after > audit_before
    assert Appointment.objects.filter(unit=place.unit).count() == 1
    assert RoleAssignment.objects.filter(area=place.unit, role="leader").count() == 2


def test_the_close_job_is_declared_and_closes_due_votes(place, open_vote):
    import inminban.governance.jobs as governance_jobs
    from inminban.jobs import registry

    registry.schedule_declare("governance.votes_close", interval_seconds=300)
    assert any(s.kind == "governance.votes_close" and s.interval_seconds == 300 for s in declared_schedules())
    assert registry.handler_for("governance.votes_close") is governance_jobs.votes_close
    move_window_to_past(open_vote)
    reports = []
    assert votes_close(None, lambda *args: reports.append(args)) == {"closed": 1}
    assert votes_close(None, lambda *args: reports.append(args)) == {"closed": 0}


# Rules, electorate, recall ---------------------------------------------------------------------------------------


def test_rules_are_copied_when_the_vote_opens(place, cast):
    office = votes.district_office(place.unit)
    votes.rules_set(actor=cast["officer-city"], office=office, quorum_percent=Decimal("60"), window_days=3)
    vote = votes.nomination_create(
        actor=cast["officer-a"], unit=place.unit, nominee=place.heads[6], statement="규칙 복사"
    ).vote
    votes.rules_set(actor=cast["officer-city"], office=office, quorum_percent=Decimal("10"))
    vote.refresh_from_db()
    assert vote.quorum_percent == Decimal("60") and vote.closes_at - vote.opens_at == timedelta(days=3)
    entry = AuditEntry.objects.filter(action="governance_rules.set").latest("seq")
    assert entry.before["quorum_percent"] == "60.00" and entry.after["quorum_percent"] == "10.00"


def test_an_office_cannot_set_its_own_rules(place, cast):
    from inminban.common.errors import NotPermitted

    before = snapshot()
    with pytest.raises(NotPermitted):
        votes.rules_set(actor=cast["officer-a"], office=votes.district_office(place.unit), quorum_percent=10)
    assert snapshot() == before


def test_a_leader_cannot_set_rules(place, cast):
    from inminban.common.errors import NotVisible

    with pytest.raises(NotVisible):  # the district's office is outside a unit leader's view
        votes.rules_set(actor=cast["leader-a1"], office=votes.district_office(place.unit), quorum_percent=10)


def test_votes_by_adult_count_adults_and_refuse_children(place, cast):
    from django.contrib.auth.models import User

    from inminban.areas import services as area_services
    from inminban.registry import services as registry

    office = votes.district_office(place.unit)
    votes.rules_set(actor=cast["officer-city"], office=office, electorate="adult")
    household = place.households[0]
    child = registry.person_register(
        actor=cast["admin"], household=household, family_name="주", given_name="아이", birth_date=timezone.localdate()
        - timedelta(days=365 * 10), sex="M", relation="child", since=timezone.localdate() - timedelta(days=365 * 10),
    )  # fmt: skip
    spouse = registry.person_register(
        actor=cast["admin"], household=household, family_name="배", given_name="우자",
        birth_date=household.head.birth_date, sex="F", relation="spouse", since=household.registered_on,
    )  # fmt: skip
    child_user, spouse_user = User.objects.create_user("v-child"), User.objects.create_user("v-spouse2")
    area_services.role_assign(actor=cast["admin"], user=child_user, role="resident", person=child)
    area_services.role_assign(actor=cast["admin"], user=spouse_user, role="resident", person=spouse)
    vote = votes.nomination_create(
        actor=cast["officer-a"], unit=place.unit, nominee=place.heads[6], statement="어른마다 한 표"
    ).vote
    assert vote.electorate == "adult" and vote.electorate_size == 9  # 8 heads and the spouse; not the child
    votes.ballot_cast(actor=place.residents[0], vote=vote, choice="yes")
    votes.ballot_cast(actor=spouse_user, vote=vote, choice="no")  # another adult of the same household
    with pytest.raises(votes.DomainError) as refused:
        votes.ballot_cast(actor=child_user, vote=vote, choice="yes")
    assert refused.value.field == "vote"
    with pytest.raises(votes.DomainError):
        votes.ballot_cast(actor=spouse_user, vote=vote, choice="yes")
    assert Participation.objects.filter(vote=vote).count() == 2


def test_a_successful_recall_ends_the_leaders_role(place, cast):
    petition = Petition.objects.create(
        subject=Petition.Subject.RECALL, title="반장 소환", text="소환합니다", unit=place.unit,
        household=place.households[0], opened_by=place.residents[0], opened_at=timezone.now(),
        office=votes.district_office(place.unit), addressed_at=timezone.now(),
        due_at=timezone.now() + timedelta(days=14),
    )  # fmt: skip
    vote = votes.recall_vote_open(petition=petition)
    assert votes.recall_vote_open(petition=petition) == vote  # asked twice: the same vote
    assert (vote.kind, vote.leader_assignment, vote.electorate_size) == ("recall", place.leader_assignment, 8)
    assert AuditEntry.objects.filter(action="vote.recall_open", actor__isnull=True).exists()
    with pytest.raises(votes.DomainError):
        votes.ballot_cast(actor=place.leader, vote=vote, choice="no")
    for user in place.residents[:5]:
        votes.ballot_cast(actor=user, vote=vote, choice="yes")
    move_window_to_past(vote)
    vote = votes.vote_close(vote=vote)
    assert vote.passed
    place.leader_assignment.refresh_from_db()
    assert place.leader_assignment.until == timezone.localtime(vote.closed_at).date() + timedelta(days=1)


def test_abstentions_count_as_ballots_cast(place, open_vote):
    for user, choice in zip(place.residents, ["yes", "yes", "yes", "no", "no", "abstain"], strict=True):
        votes.ballot_cast(actor=user, vote=open_vote, choice=choice)
    move_window_to_past(open_vote)
    vote = votes.vote_close(vote=open_vote)
    # 3 yes of 6 ballots is not more than 50%: the abstention weighs like a no.
    assert (vote.ballots, vote.yes, vote.quorum_met, vote.approval_met, vote.passed) == (6, 3, True, False, False)
    assert Nomination.objects.get(pk=vote.nomination_id).status == "rejected"


def test_a_nominee_without_an_account_gets_one_without_a_password(place, open_vote):
    for user in place.residents:
        votes.ballot_cast(actor=user, vote=open_vote, choice="yes")
    move_window_to_past(open_vote)
    votes.vote_close(vote=open_vote)
    appointment = Appointment.objects.get(unit=place.unit)
    account = appointment.role_assignment.user
    assert not account.has_usable_password()
    assert AuditEntry.objects.filter(action="account.create", target_id=str(account.pk)).exists()


def test_a_vote_in_a_closed_state_is_not_reopened(place, open_vote):
    move_window_to_past(open_vote)
    votes.vote_close(vote=open_vote)
    assert ConsentVote.objects.get(pk=open_vote.pk).status == "closed"
    with pytest.raises(votes.DomainError):
        votes.ballot_cast(actor=place.residents[0], vote=open_vote, choice="yes")
