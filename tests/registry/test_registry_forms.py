"""The registry's forms in the web UI: register a dwelling, a household with its head, a birth; record a death or a
departure; correct a record with a required reason. Each success writes and audits; bad input is a field error with
the error summary, and neither the registry nor the audit log changes; other units' leaders and residents cannot."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.common.errors import DomainError
from inminban.registry import services
from inminban.registry.models import (
    DeclaredIncome,
    Dwelling,
    Household,
    Membership,
    Move,
    Occupation,
    Person,
    Residence,
)


def _counts():
    return {
        "audit": AuditEntry.objects.count(),
        "dwellings": Dwelling.objects.count(),
        "households": Household.objects.count(),
        "persons": Person.objects.count(),
        "memberships": Membership.objects.count(),
        "residences": Residence.objects.count(),
        "moves": Move.objects.count(),
    }


def _registry_state():
    """Everything the forms could change, to compare before and after a refused submission."""
    return (
        _counts(),
        list(Person.objects.order_by("pk").values_list("family_name", "given_name", "birth_date", "status")),
        list(Membership.objects.order_by("pk").values_list("relation", "since", "until")),
        list(Household.objects.order_by("pk").values_list("head_id", "dwelling_id")),
        list(Occupation.objects.order_by("pk").values_list("workplace", "job_title", "since", "until")),
        list(DeclaredIncome.objects.order_by("pk").values_list("since", "until")),
        list(Move.objects.order_by("pk").values_list("on")),
    )


def _delta(before: dict) -> dict:
    after = _counts()
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


def _refused(response, form_key=None):
    """A 400 with the error summary at the top and the errors of the form."""
    assert response.status_code == 400
    html = response.content.decode()
    assert "error-summary" in html
    form = response.context["form"] if form_key is None else response.context["forms"][form_key]
    return form.errors


def _last_entry():
    return AuditEntry.objects.latest("seq")


# The "Register" menu ---------------------------------------------------------------------------------------------


def test_the_unit_page_links_the_register_actions_for_its_leader(client_for, unit_a1):
    html = client_for("leader-a1").get(f"/units/{unit_a1.code}/").content.decode()
    assert f'href="/units/{unit_a1.code}/households/new/"' in html
    assert f'href="/units/{unit_a1.code}/dwellings/new/"' in html


def test_the_auditor_sees_no_register_actions(client_for, unit_a1):
    response = client_for("auditor").get(f"/units/{unit_a1.code}/")
    assert response.status_code == 200
    assert "/households/new/" not in response.content.decode()


def test_the_household_page_links_the_birth_form(client_for, household_a1):
    html = client_for("leader-a1").get(f"/households/{household_a1.pk}/").content.decode()
    assert f'href="/households/{household_a1.pk}/birth/"' in html


# Dwellings -------------------------------------------------------------------------------------------------------


def test_leader_registers_a_dwelling(client_for, unit_a1):
    client = client_for("leader-a1")
    assert client.get(f"/units/{unit_a1.code}/dwellings/new/").status_code == 200
    before = _counts()
    response = client.post(
        f"/units/{unit_a1.code}/dwellings/new/",
        {"address": "송후동 44", "building": "3동", "apartment": "12", "kind": "row", "floor_area_m2": "58"},
    )
    assert response.status_code == 302 and response["Location"] == f"/units/{unit_a1.code}/"
    assert _delta(before) == {"audit": 1, "dwellings": 1}
    dwelling = Dwelling.objects.latest("pk")
    assert (dwelling.unit, dwelling.address, dwelling.kind, dwelling.floor_area_m2) == (unit_a1, "송후동 44", "row", 58)
    entry = _last_entry()
    assert (entry.action, entry.actor_name, entry.target_id) == ("dwelling.create", "leader-a1", str(dwelling.pk))
    assert "The dwelling 송후동 44 3동 12 was registered." in client.get(response["Location"]).content.decode()


def test_a_dwelling_registered_for_a_new_household_returns_to_its_form(client_for, unit_a1):
    response = client_for("leader-a1").post(
        f"/units/{unit_a1.code}/dwellings/new/?then=household", {"address": "송후동 45", "kind": "apartment"}
    )
    assert response["Location"] == f"/units/{unit_a1.code}/households/new/"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"address": "  ", "kind": "row"}, "address"),
        ({"address": "송후동 44", "kind": "row", "floor_area_m2": "3"}, "floor_area_m2"),
        ({"address": "송후동 44", "kind": "castle"}, "kind"),
        ({"address": "송후동 44", "kind": "row", "apartment": "x" * 40}, "apartment"),
    ],
)
def test_a_bad_dwelling_is_a_field_error_and_nothing_is_written(client_for, unit_a1, data, field):
    before = _registry_state()
    errors = _refused(client_for("leader-a1").post(f"/units/{unit_a1.code}/dwellings/new/", data))
    assert field in errors
    assert _registry_state() == before


# Households ------------------------------------------------------------------------------------------------------


def _household_data(**changes):
    return {
        "number": "HS-A1-N01",
        "registered_on": "2026-01-15",
        "head_family_name": "리",
        "head_given_name": "영남",
        "head_birth_date": "1990-06-01",
        "head_sex": "M",
    } | changes


def test_leader_registers_a_household_with_a_new_head(client_for, unit_a1):
    dwelling = Dwelling.objects.filter(unit=unit_a1).first()
    client = client_for("leader-a1")
    assert client.get(f"/units/{unit_a1.code}/households/new/").status_code == 200
    before = _counts()
    response = client.post(f"/units/{unit_a1.code}/households/new/", _household_data(dwelling=dwelling.pk))
    household = Household.objects.get(number="HS-A1-N01")
    assert response.status_code == 302 and response["Location"] == f"/households/{household.pk}/"
    assert _delta(before) == {"audit": 2, "households": 1, "persons": 1, "memberships": 1, "residences": 1}
    assert (household.unit, household.dwelling, household.registered_on) == (unit_a1, dwelling, date(2026, 1, 15))
    head = household.head
    assert (head.family_name, head.given_name, head.birth_date) == ("리", "영남", date(1990, 6, 1))
    assert Membership.objects.get(person=head).relation == "head"
    actions = list(AuditEntry.objects.order_by("-seq").values_list("action", "actor_name")[:2])
    assert actions == [("person.register", "leader-a1"), ("household.register", "leader-a1")]
    page = client.get(response["Location"]).content.decode()
    assert "Household HS-A1-N01 was registered with its head." in page
    assert "리영남" in page


def test_leader_registers_a_household_headed_by_someone_of_the_unit(client_for, household_a1, unit_a1):
    son = Membership.objects.filter(household=household_a1, until=None).exclude(relation="head").first().person
    before = _counts()
    response = client_for("leader-a1").post(
        f"/units/{unit_a1.code}/households/new/",
        {"number": "HS-A1-N02", "registered_on": timezone.localdate().isoformat(), "head": son.pk},
    )
    assert response.status_code == 302
    household = Household.objects.get(number="HS-A1-N02")
    son.refresh_from_db()
    assert household.head == son and son.household == household
    assert Membership.objects.get(person=son, until=None).relation == "head"
    assert not Membership.objects.filter(person=son, household=household_a1, until=None).exists()
    # household.register, person.move (seen by both households), household.set_head
    assert _delta(before) == {"audit": 4, "households": 1, "memberships": 1, "residences": 1, "moves": 1}


def test_a_head_who_leaves_to_head_a_new_household_leaves_a_warning(client_for, household_a1, unit_a1):
    client = client_for("leader-a1")
    response = client.post(
        f"/units/{unit_a1.code}/households/new/",
        {"number": "HS-A1-N03", "registered_on": timezone.localdate().isoformat(), "head": household_a1.head_id},
    )
    assert response.status_code == 302
    household_a1.refresh_from_db()
    assert household_a1.head_id is None
    assert f"Household {household_a1.number} has no head now" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"number": ""}, "number"),
        ({"head_given_name": ""}, "head_given_name"),
        ({"head_birth_date": ""}, "head_birth_date"),
        ({"head_birth_date": "01/06/1990"}, "head_birth_date"),
        ({"head_sex": ""}, "head_sex"),
        ({"registered_on": (date.today() + timedelta(days=2)).isoformat()}, "registered_on"),
        ({"registered_on": "1989-01-01"}, "registered_on"),  # before the head was born
    ],
)
def test_a_bad_household_is_a_field_error_and_nothing_is_written(client_for, unit_a1, changes, field):
    before = _registry_state()
    errors = _refused(
        client_for("leader-a1").post(f"/units/{unit_a1.code}/households/new/", _household_data(**changes))
    )
    assert field in errors, errors
    assert _registry_state() == before


def test_a_household_number_already_registered_is_refused(client_for, unit_a1, household_a1):
    before = _registry_state()
    response = client_for("leader-a1").post(
        f"/units/{unit_a1.code}/households/new/", _household_data(number=household_a1.number)
    )
    assert "number" in _refused(response)
    assert _registry_state() == before


def test_a_chosen_head_and_a_new_one_together_are_refused(client_for, unit_a1, person_a1):
    before = _registry_state()
    response = client_for("leader-a1").post(
        f"/units/{unit_a1.code}/households/new/", _household_data(head=person_a1.pk)
    )
    assert "head" in _refused(response)
    assert _registry_state() == before


# Births ----------------------------------------------------------------------------------------------------------


def _birth(parent=None, **changes):
    data = {"family_name": "김", "given_name": "새별", "sex": "F", "birth_date": "2026-02-01"}
    if parent is not None:
        data["parent"] = parent.pk
    return data | changes


def test_leader_registers_a_birth_to_the_spouse_as_a_child(client_for, household_a1):
    spouse = Membership.objects.get(household=household_a1, relation="spouse", until=None).person
    client = client_for("leader-a1")
    assert client.get(f"/households/{household_a1.pk}/birth/").status_code == 200
    before = _counts()
    response = client.post(f"/households/{household_a1.pk}/birth/", _birth(parent=spouse))
    assert response.status_code == 302 and response["Location"] == f"/households/{household_a1.pk}/"
    assert _delta(before) == {"audit": 1, "persons": 1, "memberships": 1}
    baby = Person.objects.get(given_name="새별", household=household_a1)
    membership = Membership.objects.get(person=baby)
    assert (membership.relation, membership.since, membership.until) == ("child", date(2026, 2, 1), None)
    entry = _last_entry()
    assert (entry.action, entry.actor_name, entry.household_id) == ("person.register", "leader-a1", household_a1.pk)
    assert entry.after["birth"] is True and entry.after["parent"] == spouse.pk
    page = client.get(response["Location"]).content.decode()
    assert "The birth of 김새별 was registered in household" in page
    assert "김새별" in page


def test_a_child_of_a_son_is_a_grandchild(cast, client_for, household_a1):
    son = services.person_register(
        actor=cast["admin"],
        household=household_a1,
        family_name="김",
        given_name="아들",
        birth_date=date(1995, 1, 1),
        sex="M",
        relation="child",
        since=max(household_a1.registered_on, date(1995, 1, 1)),
    )
    response = client_for("leader-a1").post(f"/households/{household_a1.pk}/birth/", _birth(parent=son))
    assert response.status_code == 302
    assert Membership.objects.get(person__given_name="새별").relation == "grandchild"
    assert AuditEntry.objects.latest("seq").after["parent"] == son.pk


def test_the_relation_given_wins_over_the_parent(client_for, household_a1):
    response = client_for("leader-a1").post(f"/households/{household_a1.pk}/birth/", _birth(relation="other_relative"))
    assert response.status_code == 302
    assert Membership.objects.get(person__given_name="새별").relation == "other_relative"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({}, "relation"),  # neither a parent nor a relation
        ({"relation": "child", "given_name": " "}, "given_name"),
        ({"relation": "child", "birth_date": (date.today() + timedelta(days=1)).isoformat()}, "birth_date"),
        ({"relation": "child", "birth_date": ""}, "birth_date"),
        ({"relation": "child", "sex": ""}, "sex"),
        ({"relation": "head"}, "relation"),
        ({"relation": "child", "birth_date": "1950-01-01"}, "birth_date"),  # before the household was registered
    ],
)
def test_a_bad_birth_is_a_field_error_and_nothing_is_written(client_for, household_a1, changes, field):
    before = _registry_state()
    response = client_for("leader-a1").post(f"/households/{household_a1.pk}/birth/", _birth(**changes))
    assert field in _refused(response)
    assert _registry_state() == before


def test_a_parent_from_another_household_is_refused(client_for, household_a1, other_household_a1):
    before = _registry_state()
    response = client_for("leader-a1").post(
        f"/households/{household_a1.pk}/birth/", _birth(parent=other_household_a1.head)
    )
    assert "parent" in _refused(response)
    assert _registry_state() == before


# Permissions -----------------------------------------------------------------------------------------------------


def _register_posts(unit, household):
    return [
        (f"/units/{unit.code}/dwellings/new/", {"address": "송후동 99", "kind": "row"}),
        (f"/units/{unit.code}/households/new/", _household_data()),
        (f"/households/{household.pk}/birth/", _birth(relation="child")),
    ]


@pytest.mark.parametrize("username", ["leader-b1", "officer-b"])
def test_others_units_get_404_and_nothing_is_written(client_for, unit_a1, household_a1, username):
    client = client_for(username)
    before = _registry_state()
    for url, data in _register_posts(unit_a1, household_a1):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data).status_code == 404, url
    assert _registry_state() == before


@pytest.mark.parametrize("username", ["resident-a1", "auditor"])
def test_read_only_users_cannot_register_anything(client_for, unit_a1, household_a1, username):
    client = client_for(username)
    before = _registry_state()
    for url, data in _register_posts(unit_a1, household_a1):
        assert client.get(url).status_code in {403, 404}, url
        assert client.post(url, data).status_code in {403, 404}, url
    assert _registry_state() == before


def test_the_resident_gets_403_on_their_own_household(client_for, household_a1):
    client = client_for("resident-a1")
    assert client.post(f"/households/{household_a1.pk}/birth/", _birth(relation="child")).status_code == 403


def test_anonymous_is_sent_to_log_in(client_for, unit_a1):
    response = client_for(None).get(f"/units/{unit_a1.code}/dwellings/new/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# Deaths and departures -------------------------------------------------------------------------------------------


def test_leader_records_a_death(client_for, person_a1):
    client = client_for("leader-a1")
    before = _counts()
    response = client.post(f"/persons/{person_a1.pk}/", {"form": "death", "on": "2026-01-20"})
    assert response.status_code == 302
    person_a1.refresh_from_db()
    assert person_a1.status == Person.Status.DECEASED
    assert Membership.objects.filter(person=person_a1).latest("since").until == date(2026, 1, 20)
    assert _delta(before) == {"audit": 1}
    entry = _last_entry()
    assert (entry.action, entry.after["on"]) == ("person.deceased", "2026-01-20")
    assert "The death was recorded." in client.get(response["Location"]).content.decode()


def test_the_death_of_the_head_asks_for_a_new_head(client_for, household_a1):
    client = client_for("leader-a1")
    response = client.post(f"/persons/{household_a1.head_id}/", {"form": "death", "on": "2026-01-20"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    household_a1.refresh_from_db()
    assert household_a1.head_id is None
    assert f"Household {household_a1.number} has no head now" in page.content.decode()


@pytest.mark.parametrize("on", ["", "2099-01-01", "1899-12-31"])
def test_a_bad_date_of_death_is_refused(client_for, person_a1, on):
    before = _registry_state()
    response = client_for("leader-a1").post(f"/persons/{person_a1.pk}/", {"form": "death", "on": on})
    assert "on" in _refused(response, "death")
    assert _registry_state() == before


def test_leader_records_a_departure_from_the_area(client_for, person_a1):
    response = client_for("leader-a1").post(f"/persons/{person_a1.pk}/", {"form": "leave", "on": "2026-01-20"})
    assert response.status_code == 302
    person_a1.refresh_from_db()
    assert person_a1.status == Person.Status.MOVED_AWAY
    assert _last_entry().action == "person.moved_away"


def test_someone_who_died_cannot_die_again(cast, client_for, person_a1):
    client_for("leader-a1").post(f"/persons/{person_a1.pk}/", {"form": "death", "on": "2026-01-20"})
    person_a1.refresh_from_db()
    assert person_a1.status == Person.Status.DECEASED
    before = _registry_state()
    with pytest.raises(DomainError):
        services.person_death(actor=cast["leader-a1"], person=person_a1, on=date(2026, 1, 21))
    assert _registry_state() == before


@pytest.mark.parametrize("username, status", [("leader-b1", 404), ("auditor", 403)])
def test_others_cannot_record_a_death(client_for, person_a1, username, status):
    before = _registry_state()
    assert client_for(username).post(
        f"/persons/{person_a1.pk}/", {"form": "death", "on": "2026-01-20"}
    ).status_code == (status)
    assert _registry_state() == before


# Corrections need a reason ---------------------------------------------------------------------------------------


def _person_data(person, **changes):
    return {
        "form": "person",
        "family_name": person.family_name,
        "given_name": "고친이름",
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex,
        "national_id": person.national_id or "",
    } | changes


def test_a_correction_without_a_reason_is_refused(client_for, worker_a1):
    before = _registry_state()
    response = client_for("leader-a1").post(f"/persons/{worker_a1.pk}/", _person_data(worker_a1, reason=" "))
    assert _refused(response, "person") == {"reason": ["This field is required."]}
    assert _registry_state() == before


def test_the_reason_of_a_correction_is_kept_in_the_audit_entry(client_for, worker_a1):
    before = _counts()
    response = client_for("leader-a1").post(
        f"/persons/{worker_a1.pk}/", _person_data(worker_a1, reason="등록할 때 잘못 썼음")
    )
    assert response.status_code == 302
    assert _delta(before) == {"audit": 1}
    entry = _last_entry()
    assert entry.action == "person.update"
    assert entry.after["given_name"] == "고친이름" and entry.after["reason"] == "등록할 때 잘못 썼음"


def _corrections(person, household):
    job = Occupation.objects.filter(person=person, until=None).first()
    membership = Membership.objects.filter(person=person).order_by("-since").first()
    move = Move.objects.filter(household=household).order_by("-on").first()
    posts = [
        (
            f"/persons/{person.pk}/",
            {"form": "job_correct", "workplace": job.workplace, "job_title": "고친 직업"},
            "occupation.update",
        ),
        (
            f"/persons/{person.pk}/",
            {"form": "membership_dates", "membership": membership.pk, "since": membership.since.isoformat()},
            "membership.update",
        ),
    ]
    income = DeclaredIncome.objects.filter(person=person, until=None).first()
    if income is not None:
        posts.append(
            (f"/persons/{person.pk}/", {"form": "income_correct", "since": income.since.isoformat()}, "income.update")
        )
    if move is not None:
        posts.append(
            (
                f"/households/{household.pk}/",
                {"form": "move_date", "move": move.pk, "on": (move.on - timedelta(days=1)).isoformat()},
                "move.update",
            )
        )
    return posts


def test_every_correction_form_requires_a_reason_and_keeps_it(client_for, worker_a1):
    household = worker_a1.household
    client = client_for("leader-a1")
    for url, data, action in _corrections(worker_a1, household):
        before = _registry_state()
        response = client.post(url, data)
        assert response.status_code == 400, (data["form"], response.status_code)
        assert response.context["forms"][data["form"]].errors.get("reason") == ["This field is required."], data
        assert _registry_state() == before
        response = client.post(url, data | {"reason": "기록 잘못"})
        assert response.status_code == 302, (
            data["form"],
            response.context and response.context["forms"][data["form"]].errors,
        )
        entry = _last_entry()
        assert (entry.action, entry.after["reason"]) == (action, "기록 잘못")


# In Korean -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, heading, english",
    [
        ("/units/{unit}/dwellings/new/", "살림집 등록", ["Register", "Kind of dwelling", "optional"]),
        ("/units/{unit}/households/new/", "세대 등록", ["Register", "new head", "Someone new"]),
        ("/households/{household}/birth/", "출생 등록", ["Register", "Mother or father", "Work it out"]),
    ],
)
def test_the_forms_speak_korean(client_for, unit_a1, household_a1, path, heading, english):
    client = client_for("leader-a1")
    client.cookies["django_language"] = "ko"
    url = path.format(unit=unit_a1.code, household=household_a1.pk)
    html = client.get(url).content.decode()
    assert f"<h1>{heading}</h1>" in html
    for text in english:
        assert text not in html
    errors = client.post(url, {}).content.decode()
    assert "문제가 있습니다" in errors and "This field is required" not in errors


def test_a_service_error_is_shown_in_korean(client_for, household_a1):
    client = client_for("leader-a1")
    client.cookies["django_language"] = "ko"
    response = client.post(f"/households/{household_a1.pk}/birth/", _birth())
    assert response.context["form"].errors["relation"] == ["부모나 세대주와의 관계를 고르십시오."]
