"""The person page: details, jobs, income, memberships, audit entries; forms that call the registry services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inminban.audit.models import AccessLogEntry, AuditEntry
from inminban.registry.models import DeclaredIncome, Membership, Occupation, Person


def _state(person):
    person.refresh_from_db()
    return (
        AuditEntry.objects.count(),
        (person.family_name, person.given_name, person.birth_date, person.sex, person.national_id, person.status),
        person.household_id,
        list(Occupation.objects.filter(person=person).order_by("pk").values_list("workplace", "job_title", "until")),
        list(DeclaredIncome.objects.filter(person=person).values_list("amount", "until")),
        list(Membership.objects.filter(person=person).order_by("pk").values_list("household_id", "until")),
    )


@pytest.fixture
def url(worker_a1) -> str:
    return f"/persons/{worker_a1.pk}/"


def test_shows_details_history_and_audit_entries(client_for, worker_a1, url):
    response = client_for("leader-a1").get(url)
    assert response.status_code == 200
    html = response.content.decode()
    job = worker_a1.occupations.get(until=None)
    assert worker_a1.full_name in html and worker_a1.national_id in html
    assert job.job_title in html and job.workplace in html
    assert worker_a1.household.number in html
    actions = [item.entry.action for item in response.context["history"].items]
    assert "person.register" in actions and "occupation.set" in actions
    for form in ("person", "job", "job_correct", "income", "person_move", "leave"):
        assert f'name="form" value="{form}"' in html


def test_reading_the_page_is_in_the_access_log(client_for, cast, worker_a1, url):
    client_for("officer-a").get(url)
    entry = AccessLogEntry.objects.filter(actor=cast["officer-a"]).latest("at")
    assert (entry.person_id, entry.household_id) == (worker_a1.pk, worker_a1.household_id)


def test_audit_entries_are_only_about_this_person(client_for, worker_a1, url):
    entries = [item.entry for item in client_for("leader-a1").get(url).context["history"].items]
    own = {("registry.person", str(worker_a1.pk))}
    own |= {("registry.occupation", str(pk)) for pk in worker_a1.occupations.values_list("pk", flat=True)}
    own |= {("registry.membership", str(pk)) for pk in worker_a1.memberships.values_list("pk", flat=True)}
    assert entries
    assert {(entry.target_type, entry.target_id) for entry in entries} <= own
    assert ("registry.person", str(worker_a1.pk)) in {(entry.target_type, entry.target_id) for entry in entries}


def test_leader_corrects_the_details(client_for, worker_a1, url):
    audit_before = AuditEntry.objects.count()
    data = {
        "form": "person",
        "family_name": worker_a1.family_name,
        "given_name": "새이름",
        "birth_date": worker_a1.birth_date.isoformat(),
        "sex": worker_a1.sex,
        "national_id": worker_a1.national_id,
        "reason": "이름을 잘못 썼음",
    }
    client = client_for("leader-a1")
    response = client.post(url, data)
    assert response.status_code == 302
    worker_a1.refresh_from_db()
    assert worker_a1.given_name == "새이름"
    assert AuditEntry.objects.count() == audit_before + 1
    entry = AuditEntry.objects.latest("seq")
    assert entry.action == "person.update" and entry.after["given_name"] == "새이름"
    assert entry.before["given_name"] != "새이름"
    page = client.get(url).content.decode()
    assert "The person&#x27;s details were saved." in page


def test_a_birth_date_in_the_future_is_a_field_error(client_for, worker_a1, url):
    before = _state(worker_a1)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    data = {
        "form": "person",
        "family_name": worker_a1.family_name,
        "given_name": "다른이름",
        "birth_date": tomorrow,
        "sex": worker_a1.sex,
    }
    response = client_for("leader-a1").post(url, data)
    assert response.status_code == 400
    assert response.context["forms"]["person"].errors == {"birth_date": ["The date is in the future."]}
    html = response.content.decode()
    assert "The date is in the future." in html
    assert 'value="다른이름"' in html  # what was typed is kept
    assert _state(worker_a1) == before


def test_an_empty_family_name_is_a_field_error(client_for, worker_a1, url):
    before = _state(worker_a1)
    data = {"form": "person", "family_name": "  ", "given_name": "이름", "birth_date": "1980-01-01", "sex": "F"}
    response = client_for("leader-a1").post(url, data)
    assert response.status_code == 400
    assert response.context["forms"]["person"].errors == {"family_name": ["This field is required."]}
    assert _state(worker_a1) == before


def test_a_national_id_of_someone_else_is_a_field_error(client_for, worker_a1, url):
    other = Person.objects.exclude(pk=worker_a1.pk).exclude(national_id=None).first()
    before = _state(worker_a1)
    data = {
        "form": "person",
        "family_name": worker_a1.family_name,
        "given_name": worker_a1.given_name,
        "birth_date": worker_a1.birth_date.isoformat(),
        "sex": worker_a1.sex,
        "national_id": other.national_id,
    }
    response = client_for("leader-a1").post(url, data)
    assert response.status_code == 400
    assert response.context["forms"]["person"].errors == {
        "national_id": ["Another person already has this national ID."]
    }
    assert _state(worker_a1) == before


def test_leader_records_a_new_job(client_for, worker_a1, url):
    old = worker_a1.occupations.get(until=None)
    audit_before = AuditEntry.objects.count()
    client = client_for("leader-a1")
    since = timezone.localdate().isoformat()
    response = client.post(url, {"form": "job", "workplace": "혜산광산", "job_title": "채굴공", "since": since})
    assert response.status_code == 302
    new = worker_a1.occupations.get(until=None)
    assert (new.workplace, new.job_title, new.since.isoformat()) == ("혜산광산", "채굴공", since)
    old.refresh_from_db()
    assert old.until == new.since
    assert AuditEntry.objects.count() == audit_before + 1
    response = client.get(url)
    assert response.context["history"].items[0].entry.action == "occupation.set"
    assert response.context["history"].items[0].entry.actor_name == "leader-a1"
    html = response.content.decode()
    assert "채굴공" in html and "The new job was recorded." in html


def test_an_empty_workplace_is_a_field_error(client_for, worker_a1, url):
    before = _state(worker_a1)
    response = client_for("leader-a1").post(
        url, {"form": "job", "workplace": "", "job_title": "채굴공", "since": timezone.localdate().isoformat()}
    )
    assert response.status_code == 400
    assert response.context["forms"]["job"].errors == {"workplace": ["This field is required."]}
    assert "This field is required." in response.content.decode()
    assert _state(worker_a1) == before


def test_a_job_before_the_current_one_is_a_field_error(client_for, worker_a1, url):
    current = worker_a1.occupations.get(until=None)
    before = _state(worker_a1)
    response = client_for("leader-a1").post(
        url, {"form": "job", "workplace": "광산", "job_title": "채굴공", "since": current.since.isoformat()}
    )
    assert response.status_code == 400
    assert response.context["forms"]["job"].errors == {"since": ["The new job must begin after the current one began."]}
    assert _state(worker_a1) == before


def test_a_bad_date_is_a_field_error(client_for, worker_a1, url):
    before = _state(worker_a1)
    response = client_for("leader-a1").post(
        url, {"form": "job", "workplace": "광산", "job_title": "공", "since": "어제"}
    )
    assert response.status_code == 400
    assert response.context["forms"]["job"].errors == {
        "since": ["Write the date as year-month-day, for example 2026-12-01."]
    }
    assert _state(worker_a1) == before


def test_leader_corrects_the_current_job(client_for, worker_a1, url):
    job = worker_a1.occupations.get(until=None)
    old_title = job.job_title
    response = client_for("leader-a1").post(
        url, {"form": "job_correct", "workplace": job.workplace, "job_title": "고친 직업", "reason": "잘못 씀"}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.job_title == "고친 직업"
    entry = AuditEntry.objects.latest("seq")
    assert (entry.action, entry.target_id) == ("occupation.update", str(job.pk))
    assert (entry.before["job_title"], entry.after["job_title"]) == (old_title, "고친 직업")


def test_correcting_with_an_empty_title_is_a_field_error(client_for, worker_a1, url):
    before = _state(worker_a1)
    response = client_for("leader-a1").post(url, {"form": "job_correct", "workplace": "어딘가", "job_title": ""})
    assert response.status_code == 400
    assert response.context["forms"]["job_correct"].errors == {"job_title": ["This field is required."]}
    assert _state(worker_a1) == before


def test_leader_declares_an_income(client_for, worker_a1, url):
    response = client_for("leader-a1").post(
        url, {"form": "income", "amount": "35000", "currency": "kpw", "period": "month", "since": "2026-01-01"}
    )
    assert response.status_code == 302
    income = DeclaredIncome.objects.get(person=worker_a1, until=None)
    assert (income.amount, income.currency, income.period) == (Decimal("35000.00"), "KPW", "month")
    assert AuditEntry.objects.latest("seq").action == "income.declare"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"amount": "-5"},
            "amount",
            "The amount must be zero or more, and less than a million million (1,000,000,000,000).",
        ),
        ({"amount": "many"}, "amount", "Enter a number."),
        ({"currency": "WON1"}, "currency", "A three-letter currency code, such as KPW."),
        ({"since": "1850-01-01"}, "since", "The date is before 1900."),
    ],
)
def test_bad_income_is_a_field_error(client_for, worker_a1, url, data, field, message):
    before = _state(worker_a1)
    post = {"form": "income", "amount": "100", "currency": "KPW", "period": "month", "since": "2026-01-01"} | data
    response = client_for("leader-a1").post(url, post)
    assert response.status_code == 400
    assert response.context["forms"]["income"].errors == {field: [message]}
    assert _state(worker_a1) == before


def test_leader_moves_a_person_to_another_household(client_for, worker_a1, other_household_a1, url):
    response = client_for("leader-a1").post(
        url,
        {
            "form": "person_move",
            "household_number": other_household_a1.number,
            "relation": "lodger",
            "on": "2026-01-05",
        },
    )
    assert response.status_code == 302
    worker_a1.refresh_from_db()
    assert worker_a1.household == other_household_a1
    assert Membership.objects.get(person=worker_a1, until=None).relation == "lodger"
    assert AuditEntry.objects.latest("seq").action == "person.move"


def test_moving_to_an_unknown_household_is_a_field_error(client_for, worker_a1, household_b1, url):
    before = _state(worker_a1)
    for number in ("NO-SUCH-1", household_b1.number):  # the other unit's household is as unknown as a missing one
        response = client_for("leader-a1").post(
            url, {"form": "person_move", "household_number": number, "relation": "lodger", "on": "2026-01-05"}
        )
        assert response.status_code == 400
        assert response.context["forms"]["person_move"].errors == {
            "household_number": ["There is no household with this number."]
        }
    assert _state(worker_a1) == before


def test_moving_into_the_same_household_is_a_field_error(client_for, worker_a1, url):
    before = _state(worker_a1)
    response = client_for("leader-a1").post(
        url,
        {
            "form": "person_move",
            "household_number": worker_a1.household.number,
            "relation": "child",
            "on": "2026-01-05",
        },
    )
    assert response.status_code == 400
    assert response.context["forms"]["person_move"].errors == {
        "household_number": ["The person already belongs to this household."]
    }
    assert _state(worker_a1) == before


def test_leader_records_a_departure(client_for, worker_a1, url):
    response = client_for("leader-a1").post(url, {"form": "leave", "status": "moved_away", "on": "2026-01-05"})
    assert response.status_code == 302
    worker_a1.refresh_from_db()
    assert worker_a1.status == Person.Status.MOVED_AWAY
    assert not Membership.objects.filter(person=worker_a1, until=None).exists()


def test_a_departure_in_the_future_is_a_field_error(client_for, worker_a1, url):
    before = _state(worker_a1)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client_for("leader-a1").post(url, {"form": "leave", "status": "deceased", "on": tomorrow})
    assert response.status_code == 400
    assert response.context["forms"]["leave"].errors == {"on": ["The date is in the future."]}
    assert _state(worker_a1) == before
