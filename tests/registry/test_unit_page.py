"""The leader's unit page: every household with its members, as it is now or was on a date, in O(1) queries."""

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inminban.registry import services
from inminban.registry.models import Dwelling, Household, Membership, Person


def test_lists_every_household_with_members_relation_age_and_job(client_for, unit_a1):
    response = client_for("leader-a1").get("/units/HS-A1/")
    assert response.status_code == 200
    html = response.content.decode()
    households = Household.objects.filter(unit=unit_a1)
    assert households.count() == 4
    for household in households:
        assert f"/households/{household.pk}/" in html
        assert household.number in html
    today = timezone.localdate()
    for membership in Membership.objects.filter(household__unit=unit_a1, until__isnull=True).select_related("person"):
        person = membership.person
        assert f'href="/persons/{person.pk}/">{person.full_name}</a>' in html
        age = (
            today.year
            - person.birth_date.year
            - ((today.month, today.day) < (person.birth_date.month, person.birth_date.day))
        )
        assert f"{age} y." in html
        job = person.occupations.filter(until__isnull=True).first()
        if job:
            assert f"{job.job_title}, {job.workplace}" in html
    assert response.context["person_count"] == Membership.objects.filter(household__unit=unit_a1, until=None).count()
    assert "Head" in html and "Spouse" in html


def test_no_household_of_another_unit_is_listed(client_for, unit_a1, unit_b1):
    response = client_for("leader-a1").get("/units/HS-A1/")
    assert response.status_code == 200
    html = response.content.decode()
    assert all(household.number in html for household in Household.objects.filter(unit=unit_a1))
    for household in Household.objects.filter(unit=unit_b1):
        assert household.number not in html


def test_on_a_date_shows_the_unit_as_it_was(client_for, cast, unit_a1, unit_a2):
    """A household that moved in is listed today but not on a day before the move; a job recorded later is not."""
    admin = cast["admin"]
    newcomer = Household.objects.filter(unit=unit_a2).order_by("number").last()
    worker = Person.objects.filter(household__unit=unit_a1, occupations__until__isnull=True).first()
    move_day = timezone.localdate() - timedelta(days=10)
    new_home = services.dwelling_create(actor=admin, unit=unit_a1, address="새거리 1")
    services.household_move(actor=admin, household=newcomer, dwelling=new_home, on=move_day)
    old_job = worker.occupations.get(until__isnull=True)
    services.occupation_set(actor=admin, person=worker, workplace="새 직장", job_title="새 직업", since=move_day)
    client = client_for("leader-a1")

    today = client.get("/units/HS-A1/")
    assert today.status_code == 200
    today_html = today.content.decode()
    assert newcomer.number in today_html
    assert "새 직업, 새 직장" in today_html

    day_before = move_day - timedelta(days=1)
    response = client.get(f"/units/HS-A1/?on={day_before.isoformat()}")
    assert response.status_code == 200
    html = response.content.decode()
    assert newcomer.number not in html
    assert f"{old_job.job_title}, {old_job.workplace}" in html
    assert "새 직업" not in html
    assert response.context["on"] == day_before
    assert len(response.context["households"]) == 4


def test_officer_sees_a_household_that_has_since_moved_out(client_for, cast, unit_a1, unit_a2):
    """The officer sees both units, so the unit as it was includes a household now living elsewhere.
    (A leader does not: their scope is the households in their unit now.)"""
    admin = cast["admin"]
    leaver = Household.objects.filter(unit=unit_a1).order_by("number").last()
    move_day = timezone.localdate() - timedelta(days=10)
    services.household_move(
        actor=admin,
        household=leaver,
        dwelling=services.dwelling_create(actor=admin, unit=unit_a2, address="새거리 2"),
        on=move_day,
    )
    client = client_for("officer-a")
    now = client.get("/units/HS-A1/")
    assert now.status_code == 200
    assert leaver.number not in now.content.decode()
    earlier = client.get(f"/units/HS-A1/?on={(move_day - timedelta(days=1)).isoformat()}")
    assert earlier.status_code == 200
    assert leaver.number in earlier.content.decode()


def test_a_date_before_the_registry_shows_no_households(client_for):
    response = client_for("leader-a1").get("/units/HS-A1/?on=1990-01-01")
    assert response.status_code == 200
    assert response.context["households"] == []
    assert "No households were registered in this unit on this date." in response.content.decode()


def test_a_bad_date_is_a_field_error(client_for):
    response = client_for("leader-a1").get("/units/HS-A1/?on=2020-13-45")
    assert response.status_code == 400
    assert "There is no such day: check the month and the day." in response.content.decode()
    assert response.context["date_form"].errors["on"]


def _add_households(admin, unit, how_many: int) -> None:
    for index in range(how_many):
        dwelling = services.dwelling_create(
            actor=admin, unit=unit, address=f"시험거리 {index}", kind=Dwelling.Kind.ROW_HOUSE
        )
        household = services.household_register(
            actor=admin, unit=unit, number=f"TEST-{index:03d}", registered_on=date(2020, 1, 1), dwelling=dwelling
        )
        for relation, given in (("head", "철"), ("spouse", "영"), ("child", "민")):
            person = services.person_register(
                actor=admin,
                household=household,
                family_name="시",
                given_name=f"{given}{index}",
                birth_date=date(1990, 1, 1),
                sex="M",
                relation=relation,
                since=date(2020, 1, 1),
            )
            services.occupation_set(
                actor=admin, person=person, workplace="공장", job_title="로동자", since=date(2021, 1, 1)
            )


def test_query_count_does_not_grow_with_the_households(client_for, cast, unit_a1, django_assert_max_num_queries):
    client = client_for("leader-a1")
    assert client.get("/units/HS-A1/").status_code == 200  # warm up: session, content types
    with CaptureQueriesContext(connection) as small:
        assert client.get("/units/HS-A1/").status_code == 200
    assert len(small) <= 18  # the roster, plus three grouped queries for the households' duty status

    _add_households(cast["admin"], unit_a1, 8)
    with django_assert_max_num_queries(len(small)):
        response = client.get("/units/HS-A1/")
    assert response.status_code == 200
    assert len(response.context["households"]) == 12

    with django_assert_max_num_queries(len(small)):
        response = client.get("/units/HS-A1/?on=2022-01-01")
    assert response.status_code == 200
    assert "TEST-007" in response.content.decode()
