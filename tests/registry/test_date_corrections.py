"""Correcting a wrongly dated record: a move, a job or a declared income dated far ahead (as could be recorded before
the date horizon) locks its history, since every later record must come after it. The correction moves the date and
the periods that end and begin with it, is audited with before and after, and refuses a date that breaks the
history, writing nothing. Through the services, the API and the pages."""

import json
from datetime import date

import pytest

from inminban.audit.models import AuditEntry
from inminban.common.errors import DomainError
from inminban.registry import services
from inminban.registry.models import DeclaredIncome, Membership, Person, Residence

from .test_effective_dates import FAR, horizon_message, registry_state

CORRECT = date(2026, 11, 1)


@pytest.fixture
def newcomer(cast, household) -> Person:
    """A member with no job and no income yet."""
    return services.person_register(
        actor=cast["admin"],
        household=household,
        family_name="리",
        given_name="새별",
        birth_date=date(1990, 4, 1),
        sex="F",
        relation="other_relative",
        since=date(2020, 1, 1),
    )


@pytest.fixture
def dwellings(cast, unit_a1):
    return [services.dwelling_create(actor=cast["admin"], unit=unit_a1, address=f"시험거리 {n}") for n in (81, 82)]


@pytest.fixture
def legacy(settings):
    """Records as they could be written before the horizon existed: `with legacy(): ...`."""

    class Legacy:
        def __enter__(self):
            settings.DATE_HORIZON_DAYS = 10**7

        def __exit__(self, *exc):
            settings.DATE_HORIZON_DAYS = 365

    return Legacy


@pytest.fixture
def far_move(cast, household, dwellings, legacy):
    with legacy():
        return services.household_move(actor=cast["leader-a1"], household=household, dwelling=dwellings[0], on=FAR)


def test_a_move_dated_far_ahead_locks_the_history_until_corrected(cast, household, dwellings, far_move):
    leader = cast["leader-a1"]
    with pytest.raises(DomainError, match="after the current residence began"):
        services.household_move(actor=leader, household=household, dwelling=dwellings[1], on=date(2026, 12, 1))
    previous = Residence.objects.get(household=household, until=FAR)

    services.move_update(actor=leader, move=far_move, on=CORRECT)

    far_move.refresh_from_db()
    previous.refresh_from_db()
    assert far_move.on == CORRECT and previous.until == CORRECT
    assert Residence.objects.get(household=household, until=None).since == CORRECT
    entry = AuditEntry.objects.latest("seq")
    assert (entry.action, entry.target_id, entry.household_id) == ("move.update", str(far_move.pk), household.pk)
    assert (entry.before, entry.after) == ({"on": "9999-12-31"}, {"on": "2026-11-01"})
    services.household_move(actor=leader, household=household, dwelling=dwellings[1], on=date(2026, 12, 1))


def test_a_persons_move_correction_moves_both_memberships(cast, member, household, other_household, legacy):
    with legacy():
        move = services.person_move(
            actor=cast["leader-a1"], person=member, household=other_household, relation="lodger", on=FAR
        )
    services.move_update(actor=cast["leader-a1"], move=move, on=CORRECT)
    assert Membership.objects.get(person=member, household=household, until=CORRECT)
    assert Membership.objects.get(person=member, household=other_household, until=None).since == CORRECT
    entries = AuditEntry.objects.filter(action="move.update", target_id=str(move.pk))
    assert sorted(entries.values_list("household_id", flat=True)) == sorted([household.pk, other_household.pk])


@pytest.mark.parametrize(
    ("on", "message"),
    [
        (date(2000, 1, 1), "The move must come after the residence or membership it ended began."),
        (date(1899, 12, 31), "The date is before 1900."),
    ],
)
def test_a_bad_correction_is_refused_and_writes_nothing(on, message, cast, far_move):
    before = registry_state()
    with pytest.raises(DomainError) as error:
        services.move_update(actor=cast["leader-a1"], move=far_move, on=on)
    assert (error.value.field, error.value.message) == ("on", message)
    assert registry_state() == before


def test_a_correction_beyond_the_horizon_is_refused(cast, far_move):
    before = registry_state()
    with pytest.raises(DomainError) as error:
        services.move_update(actor=cast["leader-a1"], move=far_move, on=date(2100, 1, 1))
    assert error.value.message == horizon_message()
    assert registry_state() == before


def test_a_correction_cannot_pass_the_end_of_the_residence_the_move_began(cast, household, dwellings):
    leader = cast["leader-a1"]
    first = services.household_move(actor=leader, household=household, dwelling=dwellings[0], on=date(2026, 6, 1))
    services.household_move(actor=leader, household=household, dwelling=dwellings[1], on=date(2026, 8, 1))
    before = registry_state()
    with pytest.raises(DomainError) as error:
        services.move_update(actor=leader, move=first, on=date(2026, 8, 1))
    assert error.value.message == "The move must come before the residence or membership it began ends."
    assert registry_state() == before


def test_a_job_started_far_ahead_is_corrected_and_the_previous_job_ends_then(cast, newcomer, legacy):
    leader = cast["leader-a1"]
    first = services.occupation_set(
        actor=leader, person=newcomer, workplace="방직공장", job_title="기사", since=date(2024, 1, 1)
    )
    with legacy():
        job = services.occupation_set(actor=leader, person=newcomer, workplace="광산", job_title="채굴공", since=FAR)
    services.occupation_update(actor=leader, occupation=job, since=CORRECT)
    first.refresh_from_db()
    job.refresh_from_db()
    assert (first.until, job.since) == (CORRECT, CORRECT)
    entry = AuditEntry.objects.latest("seq")
    assert (entry.action, entry.target_id) == ("occupation.update", str(job.pk))
    assert (entry.before["since"], entry.after["since"]) == ("9999-12-31", "2026-11-01")


def test_a_job_cannot_be_moved_before_the_previous_one_began(cast, newcomer):
    leader = cast["leader-a1"]
    services.occupation_set(actor=leader, person=newcomer, workplace="광산", job_title="채굴공", since=date(2026, 1, 1))
    job = services.occupation_set(
        actor=leader, person=newcomer, workplace="역", job_title="역무원", since=date(2026, 5, 1)
    )
    before = registry_state()
    with pytest.raises(DomainError) as error:
        services.occupation_update(actor=leader, occupation=job, since=date(2025, 12, 1))
    assert (error.value.field, error.value.message) == ("since", "This must begin after the one before it began.")
    assert registry_state() == before


def test_a_declared_income_dated_far_ahead_is_corrected(cast, newcomer, legacy):
    leader = cast["leader-a1"]
    first = services.income_declare(
        actor=leader, person=newcomer, amount="2000", currency="KPW", period="month", since=date(2025, 1, 1)
    )
    with legacy():
        income = services.income_declare(
            actor=leader, person=newcomer, amount="3000", currency="KPW", period="month", since=FAR
        )
    services.income_update(actor=leader, income=income, since=CORRECT)
    first.refresh_from_db()
    income.refresh_from_db()
    assert (first.until, income.since) == (CORRECT, CORRECT)
    entry = AuditEntry.objects.latest("seq")
    assert (entry.action, entry.target_id) == ("income.update", str(income.pk))
    assert (entry.before["since"], entry.after["since"]) == ("9999-12-31", "2026-11-01")


# API --------------------------------------------------------------------------------------------------------------


def _patch(client, path, body):
    return client.patch("/api/v1" + path, data=json.dumps(body), content_type="application/json")


def test_api_corrects_the_date_of_a_move(client_for, far_move):
    response = _patch(client_for("leader-a1"), f"/moves/{far_move.pk}", {"on": "2026-11-01"})
    assert response.status_code == 200
    assert response.json()["on"] == "2026-11-01"
    assert AuditEntry.objects.latest("seq").action == "move.update"


def test_api_refuses_a_bad_move_correction_naming_the_field(client_for, far_move):
    before = registry_state()
    response = _patch(client_for("leader-a1"), f"/moves/{far_move.pk}", {"on": "2000-01-01"})
    assert response.status_code == 422
    assert response.json()["fields"] == {"on": ["The move must come after the residence or membership it ended began."]}
    assert registry_state() == before


@pytest.mark.parametrize(("username", "status"), [("leader-b1", 404), ("auditor", 403), ("resident-a1", 403)])
def test_only_those_who_may_change_the_unit_correct_a_move(username, status, client_for, far_move):
    before = registry_state()
    response = _patch(client_for(username), f"/moves/{far_move.pk}", {"on": "2026-11-01"})
    assert response.status_code == status
    assert registry_state() == before


def test_api_corrects_the_start_of_a_job_and_of_an_income(client_for, cast, newcomer, legacy):
    leader = cast["leader-a1"]
    with legacy():
        job = services.occupation_set(actor=leader, person=newcomer, workplace="광산", job_title="채굴공", since=FAR)
        income = services.income_declare(
            actor=leader, person=newcomer, amount="1", currency="KPW", period="month", since=FAR
        )
    client = client_for("leader-a1")
    response = _patch(client, f"/occupations/{job.pk}", {"since": "2026-11-01"})
    assert (response.status_code, response.json()["since"]) == (200, "2026-11-01")
    response = _patch(client, f"/incomes/{income.pk}", {"since": "2026-11-01"})
    assert (response.status_code, response.json()["since"]) == (200, "2026-11-01")
    assert DeclaredIncome.objects.get(pk=income.pk).since == CORRECT


# Pages ------------------------------------------------------------------------------------------------------------


def test_household_page_corrects_the_date_of_a_move(client_for, household, far_move):
    client = client_for("leader-a1")
    assert "Correct the date of a move" in client.get(f"/households/{household.pk}/").content.decode()
    response = client.post(
        f"/households/{household.pk}/",
        {"form": "move_date", "move": far_move.pk, "on": "2026-11-01", "reason": "날자를 잘못 썼음"},
    )
    assert response.status_code == 302
    far_move.refresh_from_db()
    assert far_move.on == CORRECT


def test_household_page_shows_a_bad_correction_beside_the_field(client_for, household, far_move):
    before = registry_state()
    response = client_for("leader-a1").post(
        f"/households/{household.pk}/", {"form": "move_date", "move": far_move.pk, "on": "2000-01-01"}
    )
    assert response.status_code == 400
    assert response.context["forms"]["move_date"].errors == {
        "on": ["The move must come after the residence or membership it ended began."]
    }
    assert registry_state() == before


def test_person_page_corrects_the_start_of_the_current_job_and_income(client_for, cast, newcomer, legacy):
    leader = cast["leader-a1"]
    with legacy():
        job = services.occupation_set(actor=leader, person=newcomer, workplace="광산", job_title="채굴공", since=FAR)
        income = services.income_declare(
            actor=leader, person=newcomer, amount="1", currency="KPW", period="month", since=FAR
        )
    client = client_for("leader-a1")
    response = client.post(
        f"/persons/{newcomer.pk}/",
        {"form": "job_correct", "workplace": "광산", "job_title": "채굴공", "since": "2026-11-01", "reason": "날자"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/persons/{newcomer.pk}/", {"form": "income_correct", "since": "2026-11-01", "reason": "날자"}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    income.refresh_from_db()
    assert (job.since, income.since) == (CORRECT, CORRECT)


def test_person_page_corrects_the_dates_of_a_membership(client_for, cast, member, household, legacy):
    membership = Membership.objects.get(person=member, until=None)
    with legacy():
        services.membership_update(actor=cast["leader-a1"], membership=membership, until=FAR, end=True)
    response = client_for("leader-a1").post(
        f"/persons/{member.pk}/",
        {
            "form": "membership_dates",
            "membership": membership.pk,
            "since": membership.since.isoformat(),
            "until": "2026-11-01",
            "reason": "날자를 잘못 썼음",
        },
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.until == CORRECT
