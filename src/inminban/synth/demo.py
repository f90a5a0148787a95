"""The demo district: a city with two districts of units, households, persons and one account per role.

Built through the services, so every demo record is attributable in the audit log like any other. Repeatable:
the same seed gives the same people, and a second run finds the demo in place and adds nothing."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.db import transaction

from inminban.areas import services as area_services
from inminban.areas.models import Area, AreaLevel, Office, Role
from inminban.registry import services as registry
from inminban.registry.models import Dwelling, Membership

from .names import (
    GIVEN_FIRST_F,
    GIVEN_FIRST_M,
    GIVEN_SECOND_F,
    GIVEN_SECOND_M,
    STREETS,
    WORKPLACES,
    weighted_family_names,
)

DEMO_PASSWORD = "inminban-demo"
CITY_CODE = "HS"
# Dates are fixed, not relative to today, so the demo is the same whenever it is built.
REGISTRY_START = date(2015, 3, 1)
REFERENCE_DATE = date(2026, 1, 1)


@dataclass
class DemoSize:
    districts: int = 2
    units_per_district: int = 6
    households_per_unit: int = 25


SMALL = DemoSize(districts=2, units_per_district=2, households_per_unit=4)


def demo_exists() -> bool:
    return Area.objects.filter(code=CITY_CODE).exists()


def _user(username: str, *, superuser: bool = False) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"is_superuser": superuser, "is_staff": superuser}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


class _People:
    """Deterministic names, ages and jobs."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.family_names = weighted_family_names()
        self.issued_ids = 0

    def national_id(self, birth: date, sex: str) -> str:
        self.issued_ids += 1
        return f"{birth:%y%m%d}-{1 if sex == 'M' else 2}{self.issued_ids:06d}"

    def given_name(self, sex: str) -> str:
        first, second = (GIVEN_FIRST_M, GIVEN_SECOND_M) if sex == "M" else (GIVEN_FIRST_F, GIVEN_SECOND_F)
        return self.rng.choice(first) + self.rng.choice(second)

    def birth_date(self, age_from: int, age_to: int) -> date:
        age_days = self.rng.randint(age_from * 365, age_to * 365 + 364)
        return REFERENCE_DATE - timedelta(days=age_days)

    def household_shape(self) -> list[tuple[str, str, int, int]]:
        """(relation, sex, min age, max age) for each member; about four people per household."""
        rng = self.rng
        head_sex = "M" if rng.random() < 0.8 else "F"
        members = [("head", head_sex, 28, 62)]
        if head_sex == "M" and rng.random() < 0.9:
            members.append(("spouse", "F", 26, 60))
        for _ in range(rng.choices([0, 1, 2, 3], weights=[5, 25, 45, 25])[0]):
            members.append(("child", rng.choice("MF"), 0, 24))
        if rng.random() < 0.35:
            members.append(("parent", rng.choice("MF"), 63, 85))
        return members


def _office_for(district: Area) -> Office:
    return Office.objects.get(area=district)


@transaction.atomic
def build_demo(*, size: DemoSize | None = None, seed: int = 2008) -> dict[str, User]:
    """Create the demo city and its accounts unless they exist; return the cast by username."""
    size = size or DemoSize()
    if demo_exists():
        return {user.username: user for user in User.objects.filter(username__in=CAST)}
    rng = random.Random(seed)
    people = _People(rng)
    levels = {level.code: level for level in AreaLevel.objects.all()}
    admin = _user("admin", superuser=True)

    country = Area.objects.filter(code="KP").first() or area_services.area_create(
        actor=admin, parent=None, level=levels["country"], code="KP", name_ko="조선", name_en="Korea (DPR)"
    )
    area_services.role_assign(actor=admin, user=admin, role=Role.ADMIN, area=country, since=REGISTRY_START)
    province = area_services.area_create(
        actor=admin, parent=country, level=levels["province"], code="RG", name_ko="량강도", name_en="Ryanggang"
    )
    city = area_services.area_create(
        actor=admin, parent=province, level=levels["city"], code=CITY_CODE, name_ko="혜산시", name_en="Hyesan"
    )
    # The city's people's committee: petitions that outgrow a district, or that a district leaves unanswered, go here.
    city_office = area_services.office_create(
        actor=admin, area=city, code=f"{CITY_CODE}-OFFICE", name_ko="혜산시 인민위원회", name_en="Hyesan city committee"
    )
    city_officer = _user("officer-city")
    area_services.role_assign(
        actor=admin, user=city_officer, role=Role.OFFICER, office=city_office, since=REGISTRY_START
    )
    district_names = [("A", "성후동", "Songhu-dong"), ("B", "연봉동", "Yonbong-dong"), ("C", "혜화동", "Hyehwa-dong")]
    cast: dict[str, User] = {"admin": admin, "officer-city": city_officer}
    household_counter = 0
    for letter, name_ko, name_en in district_names[: size.districts]:
        district = area_services.area_create(
            actor=admin,
            parent=city,
            level=levels["district"],
            code=f"{CITY_CODE}-{letter}",
            name_ko=name_ko,
            name_en=name_en,
        )
        office = area_services.office_create(
            actor=admin,
            area=district,
            code=f"{CITY_CODE}-{letter}-OFFICE",
            name_ko=f"{name_ko} 사무소",
            name_en=f"{name_en} office",
        )
        officer = _user(f"officer-{letter.lower()}")
        area_services.role_assign(actor=admin, user=officer, role=Role.OFFICER, office=office, since=REGISTRY_START)
        cast[officer.username] = officer
        if letter == "A":
            # A second officer of the same office, who approves what officer-a computes (maker–checker).
            checker = _user("officer-a2")
            area_services.role_assign(actor=admin, user=checker, role=Role.OFFICER, office=office, since=REGISTRY_START)
            cast[checker.username] = checker
        # The district's health worker, who records fever checks in its units.
        health_worker = _user(f"health-{letter.lower()}")
        area_services.role_assign(
            actor=admin, user=health_worker, role=Role.HEALTH_WORKER, area=district, since=REGISTRY_START
        )
        cast[health_worker.username] = health_worker
        for number in range(1, size.units_per_district + 1):
            unit = area_services.area_create(
                actor=admin,
                parent=district,
                level=levels["unit"],
                code=f"{CITY_CODE}-{letter}{number}",
                name_ko=f"{name_ko} {number}인민반",
                name_en=f"{name_en} unit {number}",
            )
            street = STREETS[((ord(letter) - ord("A")) * size.units_per_district + number - 1) % len(STREETS)]
            for index in range(size.households_per_unit):
                household_counter += 1
                _build_household(admin, unit, people, street, index, household_counter)
            # The leader is a resident of the unit: the head of its second household (the first is resident-a1's).
            heads = Membership.objects.filter(household__unit=unit, relation="head").order_by("household__number")
            leader_person = heads[1 if heads.count() > 1 else 0].person
            leader = _user(f"leader-{letter.lower()}{number}")
            area_services.role_assign(
                actor=admin, user=leader, role=Role.LEADER, area=unit, person=leader_person, since=REGISTRY_START
            )
            cast[leader.username] = leader
        if letter == "A":
            a1 = Area.objects.get(code=f"{CITY_CODE}-A1")
            first = Membership.objects.filter(household__unit=a1, relation="head").order_by("household__number").first()
            resident = _user("resident-a1")
            area_services.role_assign(
                actor=admin, user=resident, role=Role.RESIDENT, person=first.person, since=REGISTRY_START
            )
            cast[resident.username] = resident
    auditor = _user("auditor")
    area_services.role_assign(actor=admin, user=auditor, role=Role.AUDITOR, area=city, since=REGISTRY_START)
    cast[auditor.username] = auditor
    return cast


def _build_household(admin: User, unit: Area, people: _People, street: str, index: int, counter: int) -> None:
    rng = people.rng
    kind = rng.choices(
        [Dwelling.Kind.ROW_HOUSE, Dwelling.Kind.DETACHED, Dwelling.Kind.APARTMENT], weights=[43, 34, 21]
    )[0]
    building = f"{index // 8 + 1}동" if kind == Dwelling.Kind.APARTMENT else ""
    dwelling = registry.dwelling_create(
        actor=admin,
        unit=unit,
        address=f"{street} {index + 1}",
        building=building,
        apartment=f"{index % 8 + 1}호" if building else "",
        kind=kind,
        floor_area_m2=rng.randint(50, 75),
    )
    registered_on = REGISTRY_START + timedelta(days=rng.randint(0, 3000))
    household = registry.household_register(
        actor=admin,
        unit=unit,
        number=f"{unit.code}-{index + 1:03d}",
        registered_on=registered_on,
        dwelling=dwelling,
    )
    family_name = rng.choice(people.family_names)
    for relation, sex, age_from, age_to in people.household_shape():
        birth = people.birth_date(age_from, age_to)
        # A married-in spouse keeps her own family name, as Korean custom has it.
        name = family_name if relation in ("head", "child") else rng.choice(people.family_names)
        person = registry.person_register(
            actor=admin,
            household=household,
            family_name=name,
            given_name=people.given_name(sex),
            birth_date=birth,
            sex=sex,
            relation=relation,
            since=max(birth, registered_on),
            national_id=people.national_id(birth, sex),
        )
        age = (REFERENCE_DATE - birth).days // 365
        if 17 <= age <= 60:
            workplace, titles = rng.choice(WORKPLACES)
            registry.occupation_set(
                actor=admin,
                person=person,
                workplace=workplace,
                job_title=rng.choice(titles),
                since=max(registered_on, birth + timedelta(days=17 * 365)),
            )


CAST = [
    "admin",
    "officer-city",
    "officer-a",
    "officer-a2",
    "officer-b",
    "leader-a1",
    "leader-b1",
    "resident-a1",
    "auditor",
    "health-a",
    "health-b",
]
# Made by the distribution part of the demo (demo_distribution.py), after the cycle it hands out.
CAST_DISTRIBUTION = ["clerk-a", "school-a"]
