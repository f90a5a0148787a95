"""What the stays tests share: JSON calls to the API, stays registered through the service, resident accounts for
more households, moving the clock of registrations."""

import json
from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from inminban.areas import services as area_services
from inminban.areas.models import Role, RoleAssignment
from inminban.registry import stays
from inminban.registry.models import Household, Membership, Stay

API = "/api/v1"
SINCE = date(2020, 1, 1)


def call(client: Client, method: str, path: str, body=None, **headers):
    kwargs = {}
    if body is not None:
        kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method.lower())(API + path, headers=headers or None, **kwargs)


def client_of(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def today() -> date:
    return timezone.localdate()


def resident_of(household: Household) -> User:
    """The account of the household's head, as a resident (made once)."""
    head = household.head
    existing = RoleAssignment.objects.filter(role=Role.RESIDENT, person=head).select_related("user").first()
    if existing is not None:
        return existing.user
    user = User.objects.create_user(username=f"stay-res-{household.number.lower()}", password="x" * 12)
    admin = User.objects.get(username="admin")
    area_services.role_assign(actor=admin, user=user, role=Role.RESIDENT, person=head, since=SINCE)
    return user


def members_of(household: Household) -> list[int]:
    return list(
        Membership.objects.current_on(today())
        .filter(household=household)
        .order_by("person_id")
        .values_list("person_id", flat=True)
    )


def another_guest(household: Household, name: str) -> str:
    """`name` for the household's first guest of that name, then `name 2`, `name 3`…: the same guest is registered
    once for a night, so each helper call is another guest unless the test names one."""
    registered = Stay.objects.filter(household=household, guest_name__startswith=name).count()
    return name if not registered else f"{name} {registered + 1}"


def body_for(household: Household, **overrides) -> dict:
    """A valid registration body: a guest arriving today, leaving in two days, hosted by the first member."""
    body = {
        "household": household.pk,
        "guest_name": another_guest(household, "리영호"),
        "arrives_on": today().isoformat(),
        "departs_on": (today() + timedelta(days=2)).isoformat(),
        "purpose": "family",
        "hosts": members_of(household)[:1],
        "origin_address": "평양시 중구역 2동",
        "document_number": "PS-1234567",
    }
    return body | overrides


def register(actor: User, household: Household, **overrides) -> Stay:
    """A stay registered through the service (a guest arriving today unless told otherwise)."""
    values = {
        "guest_name": another_guest(household, "김영수"),
        "arrives_on": today(),
        "departs_on": today() + timedelta(days=2),
        "purpose": "family",
        "origin_address": "함흥시 회상구역",
    }
    return stays.stay_register(actor=actor, household=household, **(values | overrides))


def at(monkeypatch, moment: datetime) -> None:
    """Registrations and changes from now on happen at `moment` (an aware datetime)."""
    monkeypatch.setattr(stays, "_now", lambda: moment)


def local_moment(day: date, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute), timezone.get_default_timezone())
