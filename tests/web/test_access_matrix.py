"""Every page for every member of the cast: who sees what, and who may write."""

import pytest

from inminban.audit.models import AuditEntry
from inminban.registry.models import Household, Occupation, Person

PAGES = ["unit_a1", "unit_b1", "household_a1", "other_household_a1", "household_b1", "person_a1", "person_b1"]
PAGES += ["area_a", "area_b", "audit", "my_household"]

# What each user gets for each page; anything not listed is a 404.
ALLOWED = {
    "admin": set(PAGES) - {"my_household"},
    "auditor": set(PAGES) - {"my_household"},
    "officer-a": {"unit_a1", "household_a1", "other_household_a1", "person_a1", "area_a"},
    "officer-b": {"unit_b1", "household_b1", "person_b1", "area_b"},
    # Leaders are residents of their unit too (their account is linked to the person they are).
    "leader-a1": {"unit_a1", "household_a1", "other_household_a1", "person_a1", "my_household"},
    "leader-b1": {"unit_b1", "household_b1", "person_b1", "my_household"},
    "resident-a1": {"household_a1", "person_a1", "my_household"},
}


@pytest.fixture
def urls(household_a1, other_household_a1, household_b1, person_a1, person_b1) -> dict[str, str]:
    return {
        "unit_a1": "/units/HS-A1/",
        "unit_b1": "/units/HS-B1/",
        "household_a1": f"/households/{household_a1.pk}/",
        "other_household_a1": f"/households/{other_household_a1.pk}/",
        "household_b1": f"/households/{household_b1.pk}/",
        "person_a1": f"/persons/{person_a1.pk}/",
        "person_b1": f"/persons/{person_b1.pk}/",
        "area_a": "/areas/HS-A/",
        "area_b": "/areas/HS-B/",
        "audit": "/audit/",
        "my_household": "/my-household/",
    }


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_log_in(client_for, urls, page):
    response = client_for(None).get(urls[page])
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={urls[page]}"


@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_each_user_sees_exactly_their_pages(client_for, urls, username):
    client = client_for(username)
    got = {page: client.get(urls[page]).status_code for page in PAGES}
    expected = {page: 200 if page in ALLOWED[username] else 404 for page in PAGES}
    assert got == expected


def test_unknown_objects_are_404(client_for):
    client = client_for("admin")
    assert client.get("/units/NO-SUCH/").status_code == 404
    assert client.get("/areas/NO-SUCH/").status_code == 404
    assert client.get("/households/999999/").status_code == 404
    assert client.get("/persons/999999/").status_code == 404


def test_a_district_is_not_a_unit_page(client_for):
    assert client_for("officer-a").get("/units/HS-A/").status_code == 404


def _forms(household, person, other_household):
    """One valid-looking submission of every form on the household and person pages."""
    head = Person.objects.filter(household=household).exclude(pk=household.head_id).first()
    return [
        (f"/households/{household.pk}/", {"form": "head", "head": head.pk}),
        (f"/households/{household.pk}/", {"form": "move", "dwelling": other_household.dwelling_id, "on": "2025-06-01"}),
        (
            f"/persons/{person.pk}/",
            {"form": "person", "family_name": "김", "given_name": "철수", "birth_date": "1980-01-01", "sex": "M"},
        ),
        (
            f"/persons/{person.pk}/",
            {"form": "job", "workplace": "혜산역", "job_title": "역무원", "since": "2025-06-01"},
        ),
        (f"/persons/{person.pk}/", {"form": "job_correct", "workplace": "혜산역", "job_title": "역무원"}),
        (
            f"/persons/{person.pk}/",
            {"form": "income", "amount": "5000", "currency": "KPW", "period": "month", "since": "2025-06-01"},
        ),
        (
            f"/persons/{person.pk}/",
            {
                "form": "person_move",
                "household_number": other_household.number,
                "relation": "lodger",
                "on": "2025-06-01",
            },
        ),
        (f"/persons/{person.pk}/", {"form": "leave", "status": "moved_away", "on": "2025-06-01"}),
    ]


def _registry_state():
    return (
        AuditEntry.objects.count(),
        list(Household.objects.order_by("pk").values_list("head_id", "dwelling_id", "unit_id")),
        list(Person.objects.order_by("pk").values_list("given_name", "household_id", "status")),
        Occupation.objects.count(),
    )


@pytest.mark.parametrize("username", ["auditor", "resident-a1"])
def test_read_only_users_get_403_for_every_form(client_for, username, household_a1, other_household_a1):
    """The auditor sees the whole city and the resident their own household, but neither may change anything."""
    person = Person.objects.filter(household=household_a1, occupations__until__isnull=True).first()
    before = _registry_state()
    client = client_for(username)
    for url, data in _forms(household_a1, person, other_household_a1):
        response = client.post(url, data)
        assert response.status_code == 403, (url, data["form"])
    assert _registry_state() == before


def test_leader_of_other_unit_gets_404_for_every_form(client_for, household_a1, worker_a1, other_household_a1):
    before = _registry_state()
    client = client_for("leader-b1")
    for url, data in _forms(household_a1, worker_a1, other_household_a1):
        assert client.post(url, data).status_code == 404, (url, data["form"])
    assert _registry_state() == before


def test_officer_of_other_district_gets_404_for_every_form(client_for, household_a1, worker_a1, other_household_a1):
    before = _registry_state()
    client = client_for("officer-b")
    for url, data in _forms(household_a1, worker_a1, other_household_a1):
        assert client.post(url, data).status_code == 404, (url, data["form"])
    assert _registry_state() == before


def test_forms_need_the_csrf_token(household_a1, worker_a1, other_household_a1):
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="leader-a1"))
    before = _registry_state()
    for url, data in _forms(household_a1, worker_a1, other_household_a1):
        assert client.post(url, data).status_code == 403
    assert _registry_state() == before
