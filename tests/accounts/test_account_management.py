"""Accounts in the web UI: officers and administrators create accounts for their area, give and end roles, link a
resident account to a person and reset a password with a one-time code. Bad input writes nothing, audits nothing."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from inminban.accounts.models import LoginSession, PasswordCode
from inminban.api.tokens import token_create
from inminban.areas.models import Role, RoleAssignment
from inminban.audit.models import AuditEntry
from inminban.registry.models import Person

from .conftest import field_error

STRONG = "Hyesan-Office-Key7"


def state() -> tuple[int, int, int, int]:
    return (
        User.objects.count(),
        RoleAssignment.objects.count(),
        PasswordCode.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def person_a1(unit_a1) -> Person:
    """A resident of unit A1 with a national ID and no account yet."""
    linked = RoleAssignment.objects.exclude(person=None).values("person_id")
    return (
        Person.objects.filter(household__unit=unit_a1, status="resident")
        .exclude(national_id=None)
        .exclude(pk__in=linked)
        .order_by("pk")
        .first()
    )


@pytest.fixture
def person_b1(unit_b1) -> Person:
    return Person.objects.filter(household__unit=unit_b1).exclude(national_id=None).order_by("pk").first()


def code_from(client: Client, response) -> str:
    assert response.status_code == 302 and re.fullmatch(r"/accounts/\d+/code/", response["Location"])
    page = client.get(response["Location"]).content.decode()
    return re.search(r'id="one-time-code">([A-Z0-9-]+)<', page).group(1)


def create(client: Client, **data):
    return client.post("/accounts/new/", {"since": timezone.localdate().isoformat()} | data)


def test_officer_creates_a_leader_account_who_sets_a_password_with_the_code(
    client_for, person_a1, unit_a1, audit_actions
):
    officer = client_for("officer-a")
    response = create(officer, username="leader-new", full_name="", role="leader", person=person_a1.national_id)
    code = code_from(officer, response)
    user = User.objects.get(username="leader-new")
    assert not user.has_usable_password()
    assignment = user.role_assignments.get()
    assert (assignment.role, assignment.area, assignment.person) == (Role.LEADER, unit_a1, person_a1)
    assert audit_actions() == ["account.create", "role.assign"]
    assert "password" not in str(AuditEntry.objects.order_by("-seq").first().after)

    # The code is shown once: the page does not show it again.
    again = officer.get(f"/accounts/{user.pk}/code/").content.decode()
    assert code not in again and "shown once" in again

    newcomer = Client()
    response = newcomer.post(
        "/account/code/",
        {"username": "leader-new", "code": code.lower(), "new_password": STRONG, "new_password_again": STRONG},
    )
    assert response.status_code == 302
    assert newcomer.get("/").headers["Location"] == f"/units/{unit_a1.code}/"
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert audit_actions()[-1] == "account.password_set"


def test_the_code_works_only_once(client_for, person_a1):
    officer = client_for("officer-a")
    code = code_from(officer, create(officer, username="once", role="resident", person=person_a1.national_id))
    data = {"username": "once", "code": code, "new_password": STRONG, "new_password_again": STRONG}
    assert Client().post("/account/code/", data).status_code == 302
    before = state()
    response = Client().post(
        "/account/code/", data | {"new_password": STRONG + "x", "new_password_again": STRONG + "x"}
    )
    assert response.status_code == 400
    assert "This code is not valid for this user name." in response.content.decode()
    assert state() == before
    assert User.objects.get(username="once").check_password(STRONG)


def test_a_weak_password_keeps_the_code_unused(client_for, person_a1):
    officer = client_for("officer-a")
    code = code_from(officer, create(officer, username="weak", role="resident", person=person_a1.national_id))
    before = state()
    response = Client().post(
        "/account/code/", {"username": "weak", "code": code, "new_password": "12345", "new_password_again": "12345"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "new_password") and "too short" in html
    assert state() == before
    assert PasswordCode.objects.get(user__username="weak").used_at is None


def test_wrong_codes_count_as_failed_logins_and_lock_out(client_for, person_a1, settings):
    officer = client_for("officer-a")
    code = code_from(officer, create(officer, username="guessed", role="resident", person=person_a1.national_id))
    guesser = Client()
    wrong = {"username": "guessed", "code": "AAAA-AAAA-AAAA", "new_password": STRONG, "new_password_again": STRONG}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert guesser.post("/account/code/", wrong, REMOTE_ADDR="10.0.0.9").status_code == 400
    assert guesser.post("/account/code/", wrong, REMOTE_ADDR="10.0.0.9").status_code == 429
    # Locked: even the right code is refused now.
    right = wrong | {"code": code}
    assert Client().post("/account/code/", right, REMOTE_ADDR="10.0.0.10").status_code == 429
    assert not User.objects.get(username="guessed").has_usable_password()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"username": ""}, "username", "Give a user name."),
        ({"username": "leader-a1"}, "username", "There is already an account with this user name."),
        ({"username": "bad name!"}, "username", "Enter a valid username."),
        ({"role": "resident", "person": ""}, "person", "A resident account is linked to a person in a household."),
        ({"role": "resident", "person": "no-such-id"}, "person", "No resident with this national ID"),
        ({"role": "leader", "person": "", "area": "HS-A"}, "area", "A leader is assigned to a unit."),
        ({"role": "officer", "person": ""}, "office", "An officer is assigned to an office."),
        (
            {"role": "auditor", "person": "", "area": "HS-B1"},
            "area",
            "There is no area with this code within your area.",
        ),
        ({"role": "admin"}, "role", "Select a valid choice."),
        ({"since": "2026-02-30"}, "since", ""),  # the message is the date field's own
    ],
    ids=[
        "no-name",
        "taken",
        "bad-name",
        "no-person",
        "unknown-person",
        "leader-not-unit",
        "no-office",
        "area-b",
        "admin-by-officer",
        "bad-date",
    ],
)
def test_bad_input_in_the_create_form_writes_nothing(client_for, person_a1, data, field, message):
    before = state()
    base = {"username": "someone-new", "role": "resident", "person": person_a1.national_id}
    response = create(client_for("officer-a"), **(base | data))
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, field), html
    assert message in html
    assert state() == before


def test_officer_of_district_a_cannot_create_accounts_in_district_b(client_for, person_b1):
    before = state()
    response = create(client_for("officer-a"), username="b-person", role="resident", person=person_b1.national_id)
    assert response.status_code == 400
    assert "No resident with this national ID lives within your area." in response.content.decode()
    assert state() == before


def test_a_leader_cannot_create_accounts(client_for, person_a1):
    before = state()
    leader = client_for("leader-a1")
    assert leader.get("/accounts/").status_code == 403
    assert leader.get("/accounts/new/").status_code == 403
    assert create(leader, username="x-new", role="resident", person=person_a1.national_id).status_code == 403
    assert state() == before
    for username in ("resident-a1", "auditor"):
        assert client_for(username).get("/accounts/new/").status_code == 403


def test_officer_sees_only_accounts_of_their_district(client_for, cast):
    page = client_for("officer-a").get("/accounts/").content.decode()
    assert "leader-a1" in page and "resident-a1" in page
    assert "leader-b1" not in page and "officer-b" not in page and ">admin<" not in page
    assert client_for("officer-a").get(f"/accounts/{cast['leader-b1'].pk}/").status_code == 404
    assert client_for("admin").get(f"/accounts/{cast['leader-b1'].pk}/").status_code == 200
    assert "leader-a1" in client_for("officer-a").get("/accounts/", {"q": "leader-a"}).content.decode()
    assert "resident-a1" not in client_for("officer-a").get("/accounts/", {"q": "leader-a"}).content.decode()


def test_officer_of_district_a_cannot_change_an_account_of_district_b(client_for, cast, unit_a1):
    before = state()
    target = cast["leader-b1"]
    officer = client_for("officer-a")
    page = f"/accounts/{target.pk}/"
    assert officer.post(page, {"form": "reset"}).status_code == 404
    assert officer.post(page, {"form": "assign", "role": "auditor", "area": unit_a1.code}).status_code == 404
    assert state() == before
    assert target.has_usable_password()


def test_an_account_with_roles_elsewhere_is_shown_but_not_changed(client_for, cast, unit_a1):
    # The auditor reads the whole city; give them a role in A too, so officer-a sees the account.
    auditor = cast["auditor"]
    RoleAssignment.objects.create(user=auditor, role=Role.AUDITOR, area=unit_a1, since=timezone.localdate())
    officer = client_for("officer-a")
    page = officer.get(f"/accounts/{auditor.pk}/").content.decode()
    assert "you can look at it but not change it" in page and 'value="reset"' not in page
    before = state()
    assert officer.post(f"/accounts/{auditor.pk}/", {"form": "reset"}).status_code == 403
    assert state() == before


def test_officer_resets_a_password_the_old_one_stops_and_sessions_end(client_for, cast, audit_actions):
    resident = cast["resident-a1"]
    resident.set_password("Old-Password-42")
    resident.save()
    logged_in = client_for("resident-a1")
    assert LoginSession.objects.filter(user=resident).exists()
    token, secret = token_create(actor=resident, user=resident, name="phone")
    assert Client().get("/api/v1/households", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    officer = client_for("officer-a")
    code = code_from(officer, officer.post(f"/accounts/{resident.pk}/", {"form": "reset"}))
    assert audit_actions()[-1] == "account.password_reset"
    resident.refresh_from_db()
    assert not resident.has_usable_password() and not resident.check_password("Old-Password-42")
    assert logged_in.get("/my-household/").status_code == 302  # logged out
    assert not LoginSession.objects.filter(user=resident).exists()
    # The API tokens end with the password: a reset is often asked for because it leaked.
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/v1/households", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    # A second reset replaces the first code.
    second = code_from(officer, officer.post(f"/accounts/{resident.pk}/", {"form": "reset"}))
    data = {"username": "resident-a1", "code": code, "new_password": STRONG, "new_password_again": STRONG}
    assert Client().post("/account/code/", data).status_code == 400
    assert Client().post("/account/code/", data | {"code": second}).status_code == 302


def test_officer_cannot_reset_their_own_password_here(client_for, cast):
    before = state()
    response = client_for("officer-a").post(f"/accounts/{cast['officer-a'].pk}/", {"form": "reset"})
    assert response.status_code == 400
    assert "Change your own password on the Your account page." in response.content.decode()
    assert state() == before


def test_give_and_end_a_role(client_for, cast, unit_a1, audit_actions):
    resident = cast["resident-a1"]
    officer = client_for("officer-a")
    response = officer.post(
        f"/accounts/{resident.pk}/", {"form": "assign", "role": "auditor", "area": unit_a1.code, "person": ""}
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=resident, role=Role.AUDITOR)
    assert assignment.area == unit_a1 and assignment.until is None
    response = officer.post(f"/accounts/{resident.pk}/", {"form": "end", "assignment": assignment.pk, "until": ""})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.until == timezone.localdate()
    assert audit_actions() == ["role.assign", "role.end"]
    page = officer.get(f"/accounts/{resident.pk}/").content.decode()
    assert "1 ended role" in page


def test_bad_input_in_the_role_forms_writes_nothing(client_for, cast, unit_a1):
    resident = cast["resident-a1"]
    current = RoleAssignment.objects.get(user=resident)
    officer = client_for("officer-a")
    page = f"/accounts/{resident.pk}/"
    cases = [
        ({"form": "assign", "role": "leader", "area": "HS-B1"}, "area"),
        ({"form": "assign", "role": "officer"}, "office"),
        ({"form": "link", "person": ""}, "person"),
        ({"form": "link", "person": "nobody"}, "person"),
        ({"form": "end", "assignment": current.pk, "until": "1899-12-31"}, "until"),
        ({"form": "end", "assignment": current.pk, "until": "2000-01-01"}, "until"),
        ({"form": "end", "assignment": 999999}, "assignment"),
    ]
    for data, field in cases:
        before = state()
        response = officer.post(page, data)
        assert response.status_code == 400, data
        assert field_error(response.content.decode(), field), data
        assert state() == before, data
    current.refresh_from_db()
    assert current.until is None


def test_link_a_resident_account_to_a_person(client_for, person_a1, cast, audit_actions):
    auditor_like = User.objects.create(username="plain-account")
    RoleAssignment.objects.create(
        user=auditor_like, role=Role.AUDITOR, area=person_a1.household.unit, since=timezone.localdate()
    )
    officer = client_for("officer-a")
    response = officer.post(f"/accounts/{auditor_like.pk}/", {"form": "link", "person": person_a1.national_id})
    assert response.status_code == 302
    link = RoleAssignment.objects.get(user=auditor_like, role=Role.RESIDENT)
    assert link.person == person_a1 and link.area == person_a1.household.unit
    assert audit_actions() == ["role.assign"]


def test_pages_render_in_korean(client_for, cast):
    officer = client_for("officer-a")
    officer.cookies["django_language"] = "ko"
    for url in ("/accounts/", "/accounts/new/", f"/accounts/{cast['leader-a1'].pk}/"):
        response = officer.get(url, HTTP_ACCEPT_LANGUAGE="ko")
        assert response.status_code == 200
        assert '<html lang="ko">' in response.content.decode()
