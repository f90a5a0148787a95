"""Builders for duties tests, on the small demo city (units HS-A1, HS-A2 under office HS-A-OFFICE; HS-B1, HS-B2
under HS-B-OFFICE; four households each)."""

from contextlib import contextmanager
from datetime import time, timedelta

import pytest
from django.utils import timezone

from inminban.areas.models import Office
from inminban.audit.models import AuditEntry
from inminban.duties import models as duty_models
from inminban.duties import services
from inminban.duties.models import AllocationRule

COUNTED = [
    duty_models.AllocationRule,
    duty_models.DutyExemption,
    duty_models.Directive,
    duty_models.DirectiveAttachment,
    duty_models.DirectiveAcknowledgement,
    duty_models.Campaign,
    duty_models.Levy,
    duty_models.Quota,
    duty_models.Share,
    duty_models.Waiver,
    duty_models.Session,
    duty_models.Attendance,
    duty_models.Delivery,
    AuditEntry,
]


def _state():
    state = {model.__name__: model.objects.count() for model in COUNTED}
    state["share_sums"] = list(duty_models.Share.objects.order_by("pk").values_list("quantity", "waived", "done"))
    state["confirmed"] = duty_models.Share.objects.filter(confirmed_at__isnull=False).count()
    return state


@contextmanager
def _unchanged():
    before = _state()
    yield
    assert _state() == before, "a rejected request wrote something"


@pytest.fixture
def nothing_written(db):
    """`with nothing_written(): ...` asserts that no duties row and no audit entry was added or changed."""
    return _unchanged


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def office_a(db) -> Office:
    return Office.objects.get(code="HS-A-OFFICE")


@pytest.fixture
def office_b(db) -> Office:
    return Office.objects.get(code="HS-B-OFFICE")


@pytest.fixture
def equal_rule(db) -> AllocationRule:
    return AllocationRule.objects.get(code="equal")


@pytest.fixture
def make_directive(cast, office_a, today):
    def make(area, **overrides):
        values = {
            "actor": cast["officer-a"],
            "office": office_a,
            "area": area,
            "title_ko": "겨울철 화재 예방",
            "title_en": "Fire safety in winter",
            "text_en": "Check stoves and chimneys before the cold sets in.",
            "effective_on": today,
            "due_on": today + timedelta(days=7),
        }
        return services.directive_issue(**(values | overrides))

    return make


@pytest.fixture
def make_campaign(cast, office_a, equal_rule, today):
    def make(area, **overrides):
        values = {
            "actor": cast["officer-a"],
            "office": office_a,
            "area": area,
            "title_ko": "강하천 정리",
            "title_en": "River cleanup",
            "measure": "person_hours",
            "rule": equal_rule,
            "place": "압록강 기슭",
            "starts_on": today - timedelta(days=3),
            "ends_on": today + timedelta(days=10),
        }
        return services.campaign_create(**(values | overrides))

    return make


@pytest.fixture
def make_levy(cast, office_a, equal_rule, today):
    def make(area, **overrides):
        values = {
            "actor": cast["officer-a"],
            "office": office_a,
            "area": area,
            "kind": "food",
            "title_ko": "군량미 지원",
            "title_en": "Food for the army",
            "measure": "kg",
            "rule": equal_rule,
            "place": "동사무소 창고",
            "starts_on": today - timedelta(days=3),
            "due_on": today + timedelta(days=20),
        }
        return services.levy_create(**(values | overrides))

    return make


@pytest.fixture
def make_session(cast, today):
    def make(campaign, unit, **overrides):
        values = {
            "actor": cast["officer-a"],
            "campaign": campaign,
            "unit": unit,
            "on": today,
            "starts_at": time(8, 0),
            "ends_at": time(12, 0),
        }
        return services.session_create(**(values | overrides))

    return make
