"""What the suspension, report and notification tests share: a running labour campaign in unit HS-A1 whose share is
fulfilled and stamped for resident-a1's household and still open for the others, a levy with a waiver and a
delivery, a petition against the campaign, and a snapshot of every row a refused request must leave alone."""

import json
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from inminban.api.tokens import token_create
from inminban.areas.models import Area, Office
from inminban.audit.models import AuditEntry
from inminban.duties import services as duty_services
from inminban.duties.models import AllocationRule, Campaign, Directive, Levy, Share
from inminban.governance.models import FeedbackReport, Notification, Petition, PetitionResponse
from inminban.registry.models import Membership

API = "/api/v1"


def call(client: Client, method: str, path: str, body=None):
    kwargs = {}
    if body is not None:
        kwargs = {"data": body if isinstance(body, str) else json.dumps(body), "content_type": "application/json"}
    return getattr(client, method.lower())(API + path, **kwargs)


def bearer(user: User | str) -> Client:
    if isinstance(user, str):
        user = User.objects.get(username=user)
    _, token = token_create(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {token}"})


def own_household(cast):
    return cast["resident-a1"].role_assignments.get(role="resident").person.household


def state() -> dict:
    """Everything a suspension or a report writes, as comparable values."""
    return {
        "shares": list(
            Share.objects.order_by("pk").values_list("pk", "quantity", "waived", "done", "cancelled_at", "confirmed_at")
        ),
        "standing": list(Campaign.objects.order_by("pk").values_list("pk", "standing", "standing_reason"))
        + list(Levy.objects.order_by("pk").values_list("pk", "standing", "standing_reason")),
        "directives": Directive.objects.count(),
        "petitions": list(Petition.objects.order_by("pk").values_list("pk", "status")),
        "responses": PetitionResponse.objects.count(),
        "notifications": Notification.objects.count(),
        "reports": FeedbackReport.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def keys(tmp_path, monkeypatch):
    """Stamps issued by a test are signed with keys in its own directory."""
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


@pytest.fixture
def office_a(db) -> Office:
    return Office.objects.get(code="HS-A-OFFICE")


@pytest.fixture
def river(cast, office_a, unit_a1, keys) -> Campaign:
    """A river cleanup in HS-A1, four hours a household, running; resident-a1's household worked its four hours and
    holds the stamp; another household worked one hour; the rest have not started."""
    today = timezone.localdate()
    campaign = duty_services.campaign_create(
        actor=cast["officer-a"],
        office=office_a,
        area=unit_a1,
        title_ko="강하천 정리",
        title_en="River cleanup",
        measure="person_hours",
        rule=AllocationRule.objects.get(code="equal"),
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=10),
    )
    households = unit_a1.households.filter(dissolved_on__isnull=True).count()
    duty_services.quota_set(
        actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity=Decimal(4 * households)
    )
    session = duty_services.session_create(
        actor=cast["leader-a1"],
        campaign=campaign,
        unit=unit_a1,
        on=today - timedelta(days=2),
        starts_at=time(7, 0),
        ends_at=time(11, 0),
    )
    own = own_household(cast)
    shares = list(Share.objects.filter(quota__campaign=campaign).order_by("household__number"))
    stamped = next(share for share in shares if share.household_id == own.pk)
    partial = next(share for share in shares if share.household_id != own.pk)
    for share, hours in ((stamped, None), (partial, Decimal("1"))):
        head = Membership.objects.filter(household=share.household, relation="head").first().person
        duty_services.attendance_record(actor=cast["leader-a1"], session=session, person=head, hours=hours)
    stamped.refresh_from_db()
    duty_services.share_confirm(actor=cast["leader-a1"], share=stamped)
    return campaign


@pytest.fixture
def river_petition(cast, river) -> Petition:
    from inminban.governance import petitions

    return petitions.petition_open(
        actor=cast["resident-a1"],
        subject="obligation",
        title="강하천 정리를 미뤄 주십시오",
        text="장마철에는 위험합니다.",
        campaign=river,
    )


@pytest.fixture
def unit_a1_area(db) -> Area:
    return Area.objects.get(code="HS-A1")


@pytest.fixture
def grain(cast, office_a, unit_a1, unit_a2, keys) -> Levy:
    """A food levy over district HS-A, 40 kg per unit: in HS-A1 one person is exempt (pregnancy) before the quota is
    divided, one household delivered 4 kg, one was let off 5 kg, one asks to be let off 2 kg; residents of HS-A1
    petition against it (two households sign) and complain about an official."""
    from inminban.duties.models import Waiver
    from inminban.governance import petitions

    from .petitioning import resident_of

    today = timezone.localdate()
    levy = duty_services.levy_create(
        actor=cast["officer-a"],
        office=office_a,
        area=unit_a1.parent,
        kind="food",
        title_ko="군량미 지원",
        title_en="Food for the army",
        measure="kg",
        rule=AllocationRule.objects.get(code="equal"),
        starts_on=today - timedelta(days=3),
        due_on=today + timedelta(days=20),
    )
    pregnant = (
        Membership.objects.current_on(today)
        .filter(household__unit=unit_a1, person__sex="F", person__birth_date__year__range=(1970, 2000))
        .order_by("person_id")
        .first()
    ).person
    duty_services.exemption_record(
        actor=cast["leader-a1"], person=pregnant, reason="pregnancy", since=today - timedelta(days=30)
    )
    for unit in (unit_a1, unit_a2):
        duty_services.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit, quantity="40")
    shares = list(Share.objects.filter(quota__levy=levy, quota__unit=unit_a1).order_by("household__number"))
    duty_services.delivery_record(
        actor=cast["leader-a1"], share=shares[0], quantity="4", measure="kg", delivered_on=today
    )
    waiver = duty_services.waiver_request(actor=cast["leader-a1"], share=shares[1], reason="병환", quantity="5")
    duty_services.waiver_decide(actor=cast["officer-a"], waiver=waiver, approve=True)
    duty_services.waiver_request(actor=cast["leader-a1"], share=shares[2], reason="흉작", quantity="2")
    assert Waiver.objects.filter(share__quota__levy=levy).count() == 2

    petition = petitions.petition_open(
        actor=cast["resident-a1"], subject="obligation", title="군량미를 줄여 주십시오", text="흉작입니다.", levy=levy
    )
    other = next(share.household for share in shares if share.household_id != own_household(cast).pk)
    petitions.petition_sign(actor=resident_of(other), petition=petition)
    petitions.petition_open(
        actor=cast["resident-a1"],
        subject="conduct",
        title="반장의 말버릇",
        text="반장이 주민에게 소리를 지릅니다.",
        official_name="김반장",
    )
    return levy
