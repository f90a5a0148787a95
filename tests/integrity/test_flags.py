"""Answering and deciding a flag, and setting the detection rules: who may, what each change writes (audited with
the status before and after, never the words), and bad input refused naming the field with nothing written."""

from decimal import Decimal

import pytest

from inminban.audit.models import AuditEntry
from inminban.integrity.models import DetectionRule, Flag, Pattern

from .building import office
from .conftest import call, state


def _explain(client, flag, text="손님은 제 사촌입니다. 등록을 잊었습니다."):
    return call(client, "POST", f"/integrity-flags/{flag.pk}/explanation", {"explanation": text})


def _decide(client, flag, status="dismissed", reason="사촌 방문으로 확인됨"):
    return call(client, "POST", f"/integrity-flags/{flag.pk}/decision", {"status": status, "reason": reason})


# Answering --------------------------------------------------------------------------------------------------------


def test_the_flagged_leader_answers_and_the_answer_is_audited_without_its_words(client_for, cast, flag_a):
    response = _explain(client_for("leader-a1"), flag_a)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "explained" and body["about_me"] and body["may_explain"] and not body["may_decide"]
    flag_a.refresh_from_db()
    assert flag_a.status == Flag.Status.EXPLAINED and flag_a.explained_by == cast["leader-a1"]
    entry = AuditEntry.objects.filter(action="flag.explain").latest("seq")
    assert entry.before == {"status": "open", "pattern": flag_a.pattern, "unit": flag_a.unit_id,
                            "office": flag_a.office_id}  # fmt: skip
    assert entry.after["status"] == "explained" and "사촌" not in str(entry.__dict__)
    # The answer may be reworded until the office decides.
    assert _explain(client_for("leader-a1"), flag_a, "다시 씁니다").status_code == 200


@pytest.mark.parametrize(
    ("username", "status"),
    [("leader-b1", 404), ("resident-a1", 404), ("health-a", 404), ("officer-b", 404), ("officer-a", 403),
     ("auditor", 403), ("admin", 403)],
)  # fmt: skip
def test_only_the_flagged_leader_answers(client_for, flag_a, username, status):
    before = state()
    assert _explain(client_for(username), flag_a).status_code == status
    assert state() == before


@pytest.mark.parametrize(("text", "message"), [("", "required"), ("   ", "required"), ("가" * 2001, "2000")])
def test_an_answer_must_be_given_and_not_too_long(client_for, flag_a, text, message):
    before = state()
    response = _explain(client_for("leader-a1"), flag_a, text)
    assert response.status_code == 422
    assert message in response.json()["fields"]["explanation"][0]
    assert state() == before


# Deciding ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["officer-a", "officer-a2", "officer-city", "admin"])
@pytest.mark.parametrize("decision", ["dismissed", "upheld"])
def test_the_office_or_one_above_decides_open_or_explained_flags(client_for, cast, flag_a, username, decision):
    response = _decide(client_for(username), flag_a, decision)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == decision and not response.json()["may_decide"]
    flag_a.refresh_from_db()
    assert flag_a.status == decision and flag_a.decided_by == cast[username]
    assert flag_a.decision_reason == "사촌 방문으로 확인됨"
    action = {"dismissed": "flag.dismiss", "upheld": "flag.uphold"}[decision]
    entry = AuditEntry.objects.filter(action=action).latest("seq")
    assert entry.before["status"] == "open" and entry.after["status"] == decision
    assert "사촌" not in str(entry.__dict__)


def test_an_explained_flag_can_be_decided_and_a_decision_is_final(client_for, flag_a):
    assert _explain(client_for("leader-a1"), flag_a).status_code == 200
    assert _decide(client_for("officer-a"), flag_a, "upheld").status_code == 200
    before = state()
    again = _decide(client_for("officer-city"), flag_a, "dismissed")
    assert again.status_code == 422 and "status" in again.json()["fields"]
    late = _explain(client_for("leader-a1"), flag_a)
    assert late.status_code == 422 and "status" in late.json()["fields"]
    assert state() == before


def test_a_decision_without_a_reason_is_refused_naming_the_reason(client_for, flag_a):
    before = state()
    for reason in ("", "   "):
        response = _decide(client_for("officer-a"), flag_a, reason=reason)
        assert response.status_code == 422
        assert list(response.json()["fields"]) == ["reason"]
    missing = call(client_for("officer-a"), "POST", f"/integrity-flags/{flag_a.pk}/decision", {"status": "upheld"})
    assert missing.status_code == 422 and "reason" in missing.json()["fields"]
    assert state() == before


@pytest.mark.parametrize(
    "body",
    [{"status": "maybe", "reason": "x"}, {"status": "open", "reason": "x"}, {"status": "upheld", "reason": 5},
     {"status": "upheld", "reason": "x", "extra": 1}, "not json"],
)  # fmt: skip
def test_a_bad_decision_is_refused_with_nothing_written(client_for, flag_a, body):
    before = state()
    response = call(client_for("officer-a"), "POST", f"/integrity-flags/{flag_a.pk}/decision", body)
    assert response.status_code in (400, 422)
    assert state() == before


@pytest.mark.parametrize(
    ("username", "status"),
    [("leader-a1", 403), ("auditor", 403), ("officer-b", 404), ("leader-b1", 404), ("resident-a1", 404),
     ("health-a", 404)],
)  # fmt: skip
def test_no_one_else_decides(client_for, flag_a, username, status):
    before = state()
    assert _decide(client_for(username), flag_a).status_code == status
    assert state() == before


def test_a_flagged_leader_who_is_also_an_officer_cannot_decide_their_own_flag(cast, flag_a):
    from inminban.areas.access import forget_scope
    from inminban.areas.models import Role, RoleAssignment
    from inminban.common.errors import NotPermitted
    from inminban.integrity import services

    leader = cast["leader-a1"]
    RoleAssignment.objects.create(
        user=leader, role=Role.OFFICER, area=office("HS-A-OFFICE").area, office=office("HS-A-OFFICE"),
        since=flag_a.occurred_on,
    )  # fmt: skip
    forget_scope(leader)
    assert not services.may_decide(leader, flag_a)
    with pytest.raises(NotPermitted):
        services.flag_decide(actor=leader, flag=flag_a, status="dismissed", reason="제 일입니다")


# Reading ----------------------------------------------------------------------------------------------------------


def test_officer_of_another_district_gets_404_and_sees_none_of_its_flags(client_for, flag_a, flag_b):
    client = client_for("officer-b")
    assert call(client, "GET", f"/integrity-flags/{flag_a.pk}").status_code == 404
    ids = {item["id"] for item in call(client, "GET", "/integrity-flags").json()["items"]}
    assert ids == {flag_b.pk}


def test_the_detail_shows_what_happened_and_the_evidence_never_the_guest_or_the_values(client_for, flag_a):
    from .building import GUEST

    for username in ("officer-a", "leader-a1", "auditor"):
        response = call(client_for(username), "GET", f"/integrity-flags/{flag_a.pk}")
        assert response.status_code == 200
        body = response.json()
        assert body["evidence"][0]["type"] == "healthcheck"
        assert "health check" in body["evidence"][0]["label"].lower()
        text = response.content.decode()
        assert GUEST not in text and "38.4" not in text and "기침" not in text
        assert body["summary"] and body["office"] == "HS-A-OFFICE"


# Detection rules --------------------------------------------------------------------------------------------------


def _put(client, pattern="late_attendance", office_code="HS-A-OFFICE", **body):
    return call(client, "PUT", f"/detection-rules/{office_code}/{pattern}", body)


@pytest.mark.parametrize("username", ["officer-city", "admin"])
def test_an_office_above_sets_the_rule_and_the_offices_below_inherit_it(client_for, username):
    response = _put(client_for(username), threshold=7, min_count=2, enabled=True)
    assert response.status_code == 200, response.content
    assert response.json()["threshold"] == 7 and response.json()["inherited_from"] == "HS-A-OFFICE"
    row = DetectionRule.objects.get(office=office("HS-A-OFFICE"), pattern=Pattern.LATE_ATTENDANCE)
    assert row.threshold == Decimal("7") and row.min_count == 2
    entry = AuditEntry.objects.filter(action="detection_rule.set").latest("seq")
    assert entry.before["threshold"] == "3.00" and entry.after["threshold"] == "7.00"
    rules = call(client_for("officer-a"), "GET", "/detection-rules?office=HS-A-OFFICE").json()
    late = next(rule for rule in rules["rules"] if rule["pattern"] == "late_attendance")
    assert late["threshold"] == 7 and not rules["may_change"]
    other = next(rule for rule in rules["rules"] if rule["pattern"] == "bulk_attendance")
    assert other["inherited_from"] is None and other["threshold"] == 80 and other["min_count"] == 5


def test_setting_what_the_office_already_works_by_changes_nothing(client_for):
    """The default unchanged: no row of the office's own (that would cut it off from what an office above sets
    later), no audit entry."""
    before = state()
    response = _put(client_for("officer-city"), threshold=3, enabled=True)
    assert response.status_code == 200 and response.json()["inherited_from"] is None
    assert state() == before
    assert _put(client_for("officer-city"), threshold=4).status_code == 200
    after_change = state()
    assert _put(client_for("officer-city"), threshold=4).status_code == 200
    assert state() == after_change


def test_what_is_not_sent_keeps_the_inherited_value(client_for):
    assert _put(client_for("admin"), office_code="HS-OFFICE", threshold=10).status_code == 200  # the city: admin
    response = _put(client_for("officer-city"), enabled=False)
    assert response.status_code == 200
    assert response.json()["threshold"] == 10 and response.json()["enabled"] is False


@pytest.mark.parametrize(
    ("username", "status"),
    [("officer-a", 403), ("auditor", 403), ("officer-b", 404), ("leader-a1", 404), ("resident-a1", 404),
     ("health-a", 404)],
)  # fmt: skip
def test_an_offices_own_officers_and_others_do_not_set_its_rules(client_for, username, status):
    before = state()
    assert _put(client_for(username), threshold=5).status_code == status
    assert state() == before


@pytest.mark.parametrize(
    ("pattern", "body", "field"),
    [
        ("late_attendance", {"threshold": -1}, "threshold"),
        ("late_attendance", {"threshold": 2.5}, "threshold"),
        ("late_attendance", {"threshold": 4000}, "threshold"),
        ("bulk_attendance", {"threshold": 100.5}, "threshold"),
        ("waiver_rate", {"threshold": 0}, "threshold"),  # "far above" the district's rate: at least the rate
        ("waiver_rate", {"threshold": 0.5}, "threshold"),
        ("waiver_rate", {"threshold": 1.234}, "threshold"),
        ("stay_unregistered", {"threshold": 1}, "threshold"),
        ("bulk_attendance", {"min_count": 0}, "min_count"),
        ("bulk_attendance", {"min_count": 1000001}, "min_count"),
        ("bulk_attendance", {"min_count": "5"}, "min_count"),
        ("bulk_attendance", {"threshold": "50"}, "threshold"),
        ("bulk_attendance", {"enabled": "yes"}, "enabled"),
        ("bulk_attendance", {}, "body"),
        ("bulk_attendance", {"threshold": 50, "colour": "red"}, "colour"),
        ("no_such_pattern", {"threshold": 1}, "pattern"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(client_for, pattern, body, field):
    before = state()
    response = _put(client_for("officer-city"), pattern=pattern, **body)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"], response.json()
    assert state() == before
