"""What the entitlements tests share: bearer-token API clients, a second officer of district A's office (the
checker of maker–checker), program and cycle builders, and a snapshot of every row a refused request must leave
alone."""

import json
from contextlib import contextmanager
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from inminban.api.tokens import token_create
from inminban.areas import services as area_services
from inminban.areas.models import Office, Role
from inminban.audit.models import AuditEntry
from inminban.duties import services as duty_services
from inminban.duties.models import AllocationRule, Share
from inminban.entitlements import services
from inminban.entitlements.models import Cycle, Entitlement, Program, ProgramVersion
from inminban.jobs.models import Job
from inminban.registry.models import Membership

API = "/api/v1"


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    """Stamps issued by a test are signed with keys in its own directory, never the shared data directory."""
    path = tmp_path / "keys"
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(path))
    return path


def call(client: Client, method: str, path: str, body=None):
    """One API request; `body` is sent as JSON unless it is already a string."""
    kwargs = {}
    if body is not None:
        kwargs = {"data": body if isinstance(body, str) else json.dumps(body), "content_type": "application/json"}
    return getattr(client, method.lower())(API + path, **kwargs)


def fields_of(response, status: int = 422) -> dict[str, list[str]]:
    """The `fields` of an error answer, after checking its status and the error format."""
    assert response.status_code == status, response.content
    payload = response.json()
    assert set(payload) == {"error", "detail", "fields"}, payload
    return payload["fields"]


@pytest.fixture
def bearer(db):
    """`bearer("officer-a")`: an API client authenticated with a fresh bearer token (no session cookie)."""

    def make(user: str | User) -> Client:
        if isinstance(user, str):
            user = User.objects.get(username=user)
        _, token = token_create(actor=None, user=user)
        return Client(headers={"Authorization": f"Bearer {token}"})

    return make


@pytest.fixture
def office_a(db) -> Office:
    return Office.objects.get(code="HS-A-OFFICE")


@pytest.fixture
def office_b(db) -> Office:
    return Office.objects.get(code="HS-B-OFFICE")


@pytest.fixture
def checker(cast, office_a) -> User:
    """A second officer of HS-A-OFFICE, who may approve what officer-a computed."""
    user = User.objects.create_user("checker-a", password="x")
    area_services.role_assign(
        actor=cast["admin"], user=user, role=Role.OFFICER, office=office_a, since=date(2015, 1, 1)
    )
    return user


def month_start(day: date, months_ahead: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_ahead
    return date(index // 12, index % 12 + 1, 1)


@pytest.fixture
def make_program(cast, office_a):
    """A program over district HS-A (unless told otherwise), made by officer-a through the service."""

    def make(**overrides) -> Program:
        from inminban.areas.models import Area

        values = {
            "actor": cast["officer-a"],
            "office": office_a,
            "area": Area.objects.get(code="HS-A"),
            "kind": Program.Kind.GRAIN_RATION,
            "rule": {"resident": {}},
            "norms": "nine_levels",
            "name_en": "Grain ration",
        }
        return services.program_create(**(values | overrides))

    return make


def rows_of(cycle: Cycle) -> list[tuple]:
    """Every entitlement of a cycle as comparable tuples, in household order."""
    names = ("household_id", "unit_id", "eligible", "quantity", "members_counted", "leaders", "members", "outcomes")
    return list(Entitlement.objects.filter(cycle=cycle).order_by("household_id").values_list(*names, "stamps"))


def state() -> dict:
    """Row counts, statuses and versions of everything entitlements write, and the audit log's length."""
    return {
        "programs": list(Program.objects.order_by("pk").values_list("pk", "current_version_id", "name_en")),
        "versions": ProgramVersion.objects.count(),
        "cycles": list(Cycle.objects.order_by("pk").values_list("pk", "status", "version_id", "households")),
        "entitlements": Entitlement.objects.count(),
        "jobs": Job.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def nothing_written(db):
    """`with nothing_written(): ...` asserts that no entitlements row, job or audit entry was added or changed."""

    @contextmanager
    def check():
        before = state()
        yield
        assert state() == before, "a refused request wrote something"

    return check


@pytest.fixture
def street(cast, office_a, unit_a1):
    """Street cleaning in unit A1, four hours a household; only resident-a1's household is stamped."""
    today = timezone.localdate()
    campaign = duty_services.campaign_create(
        actor=cast["officer-a"],
        office=office_a,
        area=unit_a1,
        title_ko="거리 청소",
        title_en="Street cleaning",
        measure="person_hours",
        rule=AllocationRule.objects.get(code="equal"),
        starts_on=today - timedelta(days=10),
        ends_on=today - timedelta(days=1),
    )
    households = unit_a1.households.count()
    duty_services.quota_set(
        actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity=Decimal(4 * households)
    )
    session = duty_services.session_create(
        actor=cast["leader-a1"],
        campaign=campaign,
        unit=unit_a1,
        on=today - timedelta(days=5),
        starts_at=time(7, 0),
        ends_at=time(11, 0),
    )
    own = cast["resident-a1"].role_assignments.get(role="resident").person.household
    share = Share.objects.get(quota__campaign=campaign, household=own)
    head = Membership.objects.filter(household=share.household, relation="head").first().person
    duty_services.attendance_record(actor=cast["leader-a1"], session=session, person=head)
    share.refresh_from_db()
    duty_services.share_confirm(actor=cast["leader-a1"], share=share)
    return campaign


@pytest.fixture
def street_ration(cast, office_a, street, unit_a1) -> Program:
    """The district's monthly ration, gated on residence and the street-cleaning stamp."""
    return services.program_create(
        actor=cast["officer-a"],
        office=office_a,
        area=unit_a1.parent,
        kind="grain_ration",
        name_ko="월 식량 배급",
        name_en="Monthly grain ration",
        rule={"all": [{"resident": {}}, {"stamp": street.ref}]},
    )
