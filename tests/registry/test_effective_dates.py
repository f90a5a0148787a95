"""One policy for every effective date of the registry (moves, memberships, jobs, incomes): 1900 at the earliest and
at most INMINBAN_DATE_HORIZON_DAYS ahead, refused with the same message by every service, the API (a 422 naming the
field) and the pages, with nothing written."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.common.errors import DomainError
from inminban.registry import services
from inminban.registry.models import DeclaredIncome, Household, Membership, Move, Occupation, Person, Residence

FAR = date(9999, 12, 31)


def horizon_message(days: int = 365) -> str:
    latest = timezone.localdate() + timedelta(days=days)
    return f"The date is more than {days} days ahead; the latest date accepted today is {latest.isoformat()}."


def registry_state() -> dict:
    """Every row count and every date of the dated records, and the audit log's length."""
    state = {model.__name__: model.objects.count() for model in (Household, Person, Move, AuditEntry)}
    for model in (Residence, Membership, Occupation, DeclaredIncome):
        state[model.__name__] = list(model.objects.order_by("pk").values_list("pk", "since", "until"))
    state["moves"] = list(Move.objects.order_by("pk").values_list("pk", "on"))
    return state


@pytest.fixture
def unchanged(db):
    before = registry_state()
    yield
    assert registry_state() == before


@pytest.fixture
def spare_dwelling(cast, unit_a1):
    return services.dwelling_create(actor=cast["admin"], unit=unit_a1, address="시험거리 77")


def _calls(cast, household, other_household, member, spare_dwelling, on):
    """Every registry write that takes an effective date, given `on` for that date: (field, call)."""
    leader = cast["leader-a1"]
    membership = Membership.objects.get(person=member, until=None)
    return {
        "household move": (
            "on",
            lambda: services.household_move(actor=leader, household=household, dwelling=spare_dwelling, on=on),
        ),
        "person move": (
            "on",
            lambda: services.person_move(
                actor=leader, person=member, household=other_household, relation="lodger", on=on
            ),
        ),
        "person register": (
            "since",
            lambda: services.person_register(
                actor=leader,
                household=household,
                family_name="리",
                given_name="별",
                birth_date=date(2020, 1, 1),
                sex="F",
                relation="grandchild",
                since=on,
            ),
        ),
        "membership add (until)": (
            "until",
            lambda: services.membership_add(
                actor=leader,
                household=other_household,
                person=member,
                relation="lodger",
                since=member.birth_date,
                until=on,
            ),
        ),
        "membership correction (since)": (
            "since",
            lambda: services.membership_update(actor=leader, membership=membership, since=on),
        ),
        "membership end (until)": (
            "until",
            lambda: services.membership_update(actor=leader, membership=membership, until=on, end=True),
        ),
        "new job": (
            "since",
            lambda: services.occupation_set(
                actor=leader, person=member, workplace="혜산 방직공장", job_title="기사", since=on
            ),
        ),
        "declared income": (
            "since",
            lambda: services.income_declare(
                actor=leader, person=member, amount="3000", currency="KPW", period="month", since=on
            ),
        ),
    }


CASES = [
    "household move",
    "person move",
    "person register",
    "membership add (until)",
    "membership correction (since)",
    "membership end (until)",
    "new job",
    "declared income",
]


@pytest.mark.parametrize("case", CASES)
def test_a_date_far_ahead_is_refused_with_the_shared_message(
    case, cast, household, other_household, member, spare_dwelling
):
    field, call = _calls(cast, household, other_household, member, spare_dwelling, FAR)[case]
    before = registry_state()
    with pytest.raises(DomainError) as error:
        call()
    assert (error.value.field, error.value.message) == (field, horizon_message())
    assert registry_state() == before


@pytest.mark.parametrize("case", ["household move", "new job", "declared income", "person register"])
def test_the_last_day_of_the_horizon_is_accepted_and_the_next_refused(
    case, cast, household, other_household, member, spare_dwelling
):
    latest = timezone.localdate() + timedelta(days=365)
    field, call = _calls(cast, household, other_household, member, spare_dwelling, latest + timedelta(days=1))[case]
    with pytest.raises(DomainError, match="more than 365 days ahead"):
        call()
    _, call = _calls(cast, household, other_household, member, spare_dwelling, latest)[case]
    call()
    assert AuditEntry.objects.latest("seq").after is not None


def test_the_horizon_is_configurable(settings, cast, household, spare_dwelling, unchanged):
    settings.DATE_HORIZON_DAYS = 30
    with pytest.raises(DomainError) as error:
        services.household_move(
            actor=cast["leader-a1"],
            household=household,
            dwelling=spare_dwelling,
            on=timezone.localdate() + timedelta(days=31),
        )
    assert error.value.message == horizon_message(30)


def test_api_answers_422_naming_the_field_and_writes_nothing(client_for, household, spare_dwelling, unchanged):
    response = client_for("leader-a1").post(
        f"/api/v1/households/{household.pk}/move",
        data=json.dumps({"dwelling": spare_dwelling.pk, "on": "9999-12-31"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"on": [horizon_message()]}


def _api_calls(member, other_household) -> dict:
    """(method, path, body, field) of the registry endpoints that take an effective date."""
    membership = Membership.objects.get(person=member, until=None)
    return {
        "new job": (
            "post",
            f"/persons/{member.pk}/occupations",
            {"workplace": "광산", "job_title": "공", "since": FAR},
            "since",
        ),
        "declared income": ("post", f"/persons/{member.pk}/incomes", {"amount": "1", "since": FAR}, "since"),
        "membership end": ("patch", f"/memberships/{membership.pk}", {"until": FAR}, "until"),
        "person move": (
            "post",
            f"/persons/{member.pk}/move",
            {"household": other_household.pk, "relation": "lodger", "on": FAR},
            "on",
        ),
    }


@pytest.mark.parametrize("case", ["new job", "declared income", "membership end", "person move"])
def test_every_registry_endpoint_refuses_a_date_far_ahead(case, client_for, member, other_household, unchanged):
    method, path, body, field = _api_calls(member, other_household)[case]
    response = getattr(client_for("leader-a1"), method)(
        "/api/v1" + path, data=json.dumps(body, default=str), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {field: [horizon_message()]}


def test_the_page_shows_the_message_beside_the_field(client_for, household, spare_dwelling, unchanged):
    response = client_for("leader-a1").post(
        f"/households/{household.pk}/",
        {"form": "move", "dwelling": spare_dwelling.pk, "on": "9999-12-31", "note": ""},
    )
    assert response.status_code == 400
    assert response.context["forms"]["move"].errors == {"on": [horizon_message()]}


def test_the_page_shows_the_message_in_korean(client_for, household, spare_dwelling, unchanged):
    client = client_for("leader-a1")
    client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    response = client.post(
        f"/households/{household.pk}/",
        {"form": "move", "dwelling": spare_dwelling.pk, "on": "9999-12-31", "note": ""},
    )
    latest = (timezone.localdate() + timedelta(days=365)).isoformat()
    assert response.context["forms"]["move"].errors == {
        "on": [f"365일보다 더 앞의 날짜입니다. 오늘 받을 수 있는 가장 늦은 날짜는 {latest}입니다."]
    }
