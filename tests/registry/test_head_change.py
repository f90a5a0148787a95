"""Changing the head of household: the new head's relation becomes "head", the others' relations follow (the form may
say otherwise for each), dated from the day of the change, in one audited transaction."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.common.errors import DomainError
from inminban.registry import services
from inminban.registry.models import Household, Membership

FORMED = date(2000, 3, 1)
CHANGED = date(2025, 5, 10)


@pytest.fixture
def family(cast, unit_a1):
    """A household of five: father (head), mother (spouse), son and daughter (children), the son's wife."""
    admin = cast["admin"]
    household = services.household_register(actor=admin, unit=unit_a1, number="HS-A1-T77", registered_on=FORMED)
    people = {}
    for key, given, born, sex, relation in [
        ("father", "철", date(1960, 1, 1), "M", "head"),
        ("mother", "순", date(1962, 2, 2), "F", "spouse"),
        ("son", "혁", date(1985, 3, 3), "M", "child"),
        ("daughter", "옥", date(1988, 4, 4), "F", "child"),
        ("wife", "미", date(1987, 5, 5), "F", "child_in_law"),
    ]:
        people[key] = services.person_register(
            actor=admin,
            household=household,
            family_name="김",
            given_name=given,
            birth_date=born,
            sex=sex,
            relation=relation,
            since=FORMED,
        )
    household.refresh_from_db()
    assert household.head == people["father"]
    return household, people


def _relations(household, on=None):
    members = Membership.objects.filter(household=household).current_on(on or timezone.localdate())
    return {m.person_id: m.relation for m in members}


def _state(household):
    household.refresh_from_db()
    return (
        AuditEntry.objects.count(),
        household.head_id,
        sorted(Membership.objects.filter(household=household).values_list("person_id", "relation", "since", "until")),
    )


def test_a_son_as_head_makes_his_parents_parents_and_his_sister_a_sibling(cast, family):
    household, p = family
    services.household_set_head(actor=cast["leader-a1"], household=household, person=p["son"], on=CHANGED)
    household.refresh_from_db()
    assert household.head == p["son"]
    assert _relations(household) == {
        p["son"].pk: "head",
        p["father"].pk: "parent",
        p["mother"].pk: "parent",
        p["daughter"].pk: "sibling",
        p["wife"].pk: "other_relative",  # his wife or his brother's? The rule cannot tell: the form can.
    }


def test_the_relations_are_dated_so_the_history_keeps_the_old_ones(cast, family):
    household, p = family
    services.household_set_head(actor=cast["leader-a1"], household=household, person=p["son"], on=CHANGED)
    before = _relations(household, on=CHANGED - timedelta(days=1))
    assert before[p["son"].pk] == "child" and before[p["father"].pk] == "head"
    periods = list(
        Membership.objects.filter(person=p["son"]).order_by("since").values_list("relation", "since", "until")
    )
    assert periods == [("child", FORMED, CHANGED), ("head", CHANGED, None)]
    assert Membership.objects.filter(household=household, relation="head", until=None).count() == 1


def test_relations_given_in_the_form_win_over_the_rule(cast, family):
    household, p = family
    services.household_set_head(
        actor=cast["leader-a1"],
        household=household,
        person=p["son"],
        on=CHANGED,
        relations={p["wife"].pk: "spouse", p["father"].pk: "other_relative"},
    )
    relations = _relations(household)
    assert relations[p["wife"].pk] == "spouse"
    assert relations[p["father"].pk] == "other_relative"
    assert relations[p["mother"].pk] == "parent"


def test_the_spouse_as_head_keeps_the_children_as_children(cast, family):
    household, p = family
    memberships_before = Membership.objects.count()
    services.household_set_head(actor=cast["leader-a1"], household=household, person=p["mother"], on=CHANGED)
    relations = _relations(household)
    assert relations[p["mother"].pk] == "head"
    assert relations[p["father"].pk] == "spouse"
    assert relations[p["son"].pk] == relations[p["daughter"].pk] == "child"
    assert relations[p["wife"].pk] == "child_in_law"
    # Only the two whose relation changed got a new period.
    assert Membership.objects.count() == memberships_before + 2


def test_the_change_is_one_audit_entry_with_the_relations_before_and_after(cast, family):
    household, p = family
    count = AuditEntry.objects.count()
    services.household_set_head(actor=cast["leader-a1"], household=household, person=p["mother"], on=CHANGED)
    assert AuditEntry.objects.count() == count + 1
    entry = AuditEntry.objects.latest("seq")
    assert (entry.action, entry.actor_name, entry.household_id) == ("household.set_head", "leader-a1", household.pk)
    assert entry.before == {
        "head": p["father"].pk,
        "relations": [{"person": p["father"].pk, "relation": "head"}, {"person": p["mother"].pk, "relation": "spouse"}],
    }
    assert entry.after == {
        "head": p["mother"].pk,
        "on": CHANGED.isoformat(),
        "relations": [{"person": p["father"].pk, "relation": "spouse"}, {"person": p["mother"].pk, "relation": "head"}],
    }


def test_a_change_on_the_day_a_member_joined_corrects_in_place(cast, family):
    household, p = family
    services.household_set_head(actor=cast["leader-a1"], household=household, person=p["mother"], on=FORMED)
    assert list(Membership.objects.filter(person=p["mother"]).values_list("relation", "since", "until")) == [
        ("head", FORMED, None)
    ]


def test_naming_the_head_again_changes_no_relation(cast, family):
    household, p = family
    memberships = sorted(Membership.objects.filter(household=household).values_list("pk", "relation", "until"))
    services.household_set_head(actor=cast["leader-a1"], household=household, person=p["father"])
    assert sorted(Membership.objects.filter(household=household).values_list("pk", "relation", "until")) == memberships


def test_without_a_date_the_change_is_today(cast, family):
    household, p = family
    services.household_set_head(actor=cast["leader-a1"], household=household, person=p["son"])
    assert Membership.objects.get(person=p["son"], until=None).since == timezone.localdate()


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda p: {"person": p["son"], "relations": {"wife": "head"}}, "relations"),
        (lambda p: {"person": p["son"], "relations": {"son": "spouse"}}, "relations"),
        (lambda p: {"person": p["son"], "relations": {"wife": "cousin"}}, "relations"),
        (lambda p: {"person": p["son"], "on": FORMED - timedelta(days=1)}, "on"),
        (lambda p: {"person": p["son"], "on": timezone.localdate() + timedelta(days=1)}, "on"),
    ],
)
def test_bad_changes_are_refused_and_nothing_changes(cast, family, change, field):
    household, p = family
    kwargs = change(p)
    if "relations" in kwargs:
        kwargs["relations"] = {p[key].pk: relation for key, relation in kwargs["relations"].items()}
    before = _state(household)
    with pytest.raises(DomainError) as error:
        services.household_set_head(actor=cast["leader-a1"], household=household, **kwargs)
    assert error.value.field == field
    assert _state(household) == before


def test_a_person_who_left_cannot_become_head(cast, family):
    household, p = family
    services.person_leave(actor=cast["leader-a1"], person=p["daughter"], on=CHANGED, status="moved_away")
    before = _state(household)
    with pytest.raises(DomainError) as error:
        services.household_set_head(actor=cast["leader-a1"], household=household, person=p["daughter"])
    assert error.value.field == "head"
    assert _state(household) == before


def test_after_the_head_died_the_spouse_becomes_head(cast, family):
    household, p = family
    services.person_death(actor=cast["leader-a1"], person=p["father"], on=CHANGED)
    household.refresh_from_db()
    assert household.head_id is None
    services.household_set_head(
        actor=cast["leader-a1"], household=household, person=p["mother"], on=CHANGED + timedelta(days=3)
    )
    relations = _relations(household)
    assert p["father"].pk not in relations
    assert relations[p["mother"].pk] == "head" and relations[p["son"].pk] == "child"


# The page --------------------------------------------------------------------------------------------------------


def test_the_page_shows_the_new_head_as_head_and_the_old_one_not(client_for, family):
    household, p = family
    client = client_for("leader-a1")
    response = client.post(
        f"/households/{household.pk}/",
        {"form": "head", "head": p["son"].pk, "on": CHANGED.isoformat(), f"relation_{p['wife'].pk}": "spouse"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    shown = {m.person_id: m.relation for m in page.context["members"]}
    assert shown[p["son"].pk] == "head"
    assert shown[p["father"].pk] == "parent"
    assert shown[p["wife"].pk] == "spouse"
    html = page.content.decode()
    assert "is now the head of household" in html


def test_the_page_refuses_head_as_a_relation_of_another_member(client_for, family):
    household, p = family
    before = _state(household)
    response = client_for("leader-a1").post(
        f"/households/{household.pk}/", {"form": "head", "head": p["son"].pk, f"relation_{p['wife'].pk}": "head"}
    )
    assert response.status_code == 400
    assert response.context["forms"]["head"].errors
    assert "error-summary" in response.content.decode()
    assert _state(household) == before


def test_the_page_refuses_a_change_before_a_member_joined(client_for, family):
    household, p = family
    before = _state(household)
    response = client_for("leader-a1").post(
        f"/households/{household.pk}/", {"form": "head", "head": p["son"].pk, "on": "1999-01-01"}
    )
    assert response.status_code == 400
    assert response.context["forms"]["head"].errors["on"]
    assert _state(household) == before


@pytest.mark.parametrize("username, status", [("leader-b1", 404), ("resident-a1", 404), ("auditor", 403)])
def test_others_may_not_change_the_head(client_for, family, username, status):
    household, p = family
    before = _state(household)
    response = client_for(username).post(f"/households/{household.pk}/", {"form": "head", "head": p["son"].pk})
    assert response.status_code == status
    assert _state(household) == before


def test_the_household_of_the_cast_changes_head_consistently(client_for, household_a1):
    """The demo's own household: the case the issue saw (new head still "Child", old head still "Head")."""
    spouse = Membership.objects.get(household=household_a1, relation="spouse", until=None).person
    old_head = household_a1.head
    response = client_for("leader-a1").post(f"/households/{household_a1.pk}/", {"form": "head", "head": spouse.pk})
    assert response.status_code == 302
    relations = _relations(Household.objects.get(pk=household_a1.pk))
    assert relations[spouse.pk] == "head"
    assert relations[old_head.pk] == "spouse"
    assert list(relations.values()).count("head") == 1
