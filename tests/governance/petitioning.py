"""What the petition tests share: resident accounts for more households, more units in a district (the small demo
has two units of four households per district), petitions opened through the services."""

from datetime import date
from itertools import count

from django.contrib.auth.models import User

from inminban.areas import services as area_services
from inminban.areas.models import Area, AreaLevel, Role, RoleAssignment
from inminban.governance import petitions
from inminban.registry import services as registry
from inminban.registry.models import Household

SINCE = date(2020, 1, 1)
_numbers = count(1)


def resident_of(household: Household) -> User:
    """The account of the household's head (made once, as a resident)."""
    head = household.head
    existing = RoleAssignment.objects.filter(role=Role.RESIDENT, person=head).select_related("user").first()
    if existing is not None:
        return existing.user
    user = User.objects.create_user(username=f"res-{household.number.lower()}", password="x" * 12)
    admin = User.objects.get(username="admin")
    area_services.role_assign(actor=admin, user=user, role=Role.RESIDENT, person=head, since=SINCE)
    return user


def add_units(district: Area, units: int, households: int = 2) -> list[Area]:
    """Extra units in `district`, each with `households` households of one person (their head)."""
    admin = User.objects.get(username="admin")
    level = AreaLevel.objects.get(is_unit=True)
    made = []
    for _ in range(units):
        n = next(_numbers)
        unit = area_services.area_create(
            actor=admin,
            parent=district,
            level=level,
            code=f"{district.code}X{n}",
            name_ko=f"시험 {n}반",
            name_en=f"Test unit {n}",
        )
        add_households(unit, households)
        made.append(unit)
    return made


def add_households(unit: Area, households: int) -> list[Household]:
    admin = User.objects.get(username="admin")
    made = []
    for _ in range(households):
        n = next(_numbers)
        household = registry.household_register_with_head(
            actor=admin,
            unit=unit,
            number=f"T-{unit.code}-{n:03d}",
            registered_on=SINCE,
            new_head={
                "family_name": "시",
                "given_name": f"험{n}",
                "birth_date": date(1970, 1, 1),
                "sex": "M",
                "national_id": f"700101-1{n:06d}",
            },
        )
        made.append(household)
    return made


def households_of(unit: Area) -> list[Household]:
    return list(Household.objects.filter(unit=unit, dissolved_on__isnull=True).order_by("number"))


def open_petition(actor: User, **kwargs):
    values = {"subject": "general", "title": "우물 수리", "text": "마을 우물이 망가졌습니다. 고쳐 주십시오."}
    return petitions.petition_open(actor=actor, **(values | kwargs))


def widen_district(district: Area, total_units: int = 5) -> list[Area]:
    """Make `district` hold `total_units` units (the small demo has two), so that one unit's signatures stay under
    the default 40% threshold."""
    have = Area.objects.filter(parent=district, level__is_unit=True).count()
    return add_units(district, max(0, total_units - have))


def levy_in(district_code: str, title: str = "군량미 지원"):
    """A levy of the district's office on the district (the small test demo has none)."""
    from datetime import timedelta

    from django.utils import timezone

    from inminban.areas.models import Office
    from inminban.duties import services as duties
    from inminban.duties.models import AllocationRule

    district = Area.objects.get(code=district_code)
    office = Office.objects.get(area=district)
    officer = User.objects.get(username=f"officer-{district_code[-1].lower()}")
    today = timezone.localdate()
    return duties.levy_create(
        actor=officer,
        office=office,
        area=district,
        kind="food",
        measure="kg",
        rule=AllocationRule.objects.get(code="equal"),
        starts_on=today,
        due_on=today + timedelta(days=14),
        title_ko=title,
        title_en="Rice for the army",
    )


def snapshot() -> dict[str, int]:
    """Row counts of what petitions write, and the audit log: for "nothing changed"."""
    from inminban.audit.models import AuditEntry
    from inminban.governance.models import Escalation, Notification, Petition, PetitionResponse, Signature

    models = [Petition, Signature, Escalation, PetitionResponse, Notification, AuditEntry]
    return {model.__name__: model.objects.count() for model in models} | {
        "signature_count": sum(Petition.objects.values_list("signature_count", flat=True)),
        "withdrawn": Signature.objects.filter(withdrawn_at__isnull=False).count(),
    }


API = "/api/v1"


def call(client, method: str, path: str, body=None):
    """One JSON API request (as tests/api/conftest.py's `call`)."""
    import json

    kwargs = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method.lower())(API + path, **kwargs)


def error_fields(response) -> dict:
    payload = response.json()
    assert set(payload) == {"error", "detail", "fields"}, payload
    return payload["fields"]


def client_of(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
