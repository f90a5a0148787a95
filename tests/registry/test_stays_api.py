"""Overnight stays through the public API: on time or late by the office's deadline, overstayed, confirmed by the
leader, extended and ended; out of scope is a 404; the audit keeps dates, never the guest."""

from datetime import time, timedelta

import pytest

from inminban.areas.access import scope_for
from inminban.areas.models import Office
from inminban.audit.models import AccessLogEntry, AuditEntry
from inminban.registry import stays
from inminban.registry.models import Household, Stay, StayRules
from inminban.registry.stay_rules import stay_deadline

from .stays_world import at, body_for, call, client_of, local_moment, members_of, register, resident_of, today


@pytest.fixture
def resident(cast):
    return client_of(cast["resident-a1"])


def test_a_guest_registered_before_the_deadline_is_on_time_and_after_it_late(cast, household_a1, monkeypatch):
    """The default rule: by 22:00 on the day of arrival (Pyongyang time)."""
    resident = client_of(cast["resident-a1"])
    day = today()
    at(monkeypatch, local_moment(day, 21, 59))
    on_time = call(resident, "post", "/stays", body_for(household_a1, guest_name="제때 온 손님"))
    assert on_time.status_code == 201, on_time.json()
    at(monkeypatch, local_moment(day, 22, 1))
    late = call(resident, "post", "/stays", body_for(household_a1, guest_name="늦게 알린 손님"))
    assert late.status_code == 201, late.json()
    assert on_time.json()["late"] is False and late.json()["late"] is True
    deadline = local_moment(day, 22, 0)
    assert Stay.objects.get(pk=on_time.json()["id"]).deadline == deadline
    # The lists say the same, and filter on it.
    listed = call(resident, "get", "/stays?late=true").json()
    assert [item["guest_name"] for item in listed["items"]] == ["늦게 알린 손님"]
    assert call(resident, "get", "/stays?late=false").json()["items"][0]["guest_name"] == "제때 온 손님"


def test_registering_ahead_is_on_time_and_after_the_night_late_without_moving_the_clock(cast, household_a1):
    resident = client_of(cast["resident-a1"])
    tomorrow = (today() + timedelta(days=1)).isoformat()
    ahead = call(resident, "post", "/stays", body_for(household_a1, arrives_on=tomorrow, departs_on=tomorrow))
    yesterday = (today() - timedelta(days=1)).isoformat()
    after = call(resident, "post", "/stays", body_for(household_a1, arrives_on=yesterday, departs_on=tomorrow))
    assert (ahead.status_code, ahead.json()["late"]) == (201, False)
    assert (after.status_code, after.json()["late"]) == (201, True)


def test_the_office_rule_sets_the_deadline_and_stays_keep_theirs(cast, household_a1, monkeypatch):
    office = Office.objects.get(area=household_a1.unit.parent)
    day = today()
    at(monkeypatch, local_moment(day, 21, 0))
    before = register(cast["resident-a1"], household_a1)
    assert before.late is False
    stays.stay_rules_set(actor=cast["officer-city"], office=office, deadline_time=time(20, 0), deadline_days=0)
    now_late = register(cast["resident-a1"], household_a1)
    assert now_late.late is True and now_late.deadline == local_moment(day, 20, 0)
    before.refresh_from_db()
    assert before.deadline == local_moment(day, 22, 0) and before.late is False
    # A day more to register: on time again.
    officer = client_of(cast["officer-city"])
    put = call(officer, "put", f"/stay-rules/{office.code}", {"deadline_time": "20:00", "deadline_days": 1})
    assert put.status_code == 200 and put.json() == {
        "office": office.code,
        "inherited_from": office.code,
        "deadline_time": "20:00",
        "deadline_days": 1,
    }
    assert register(cast["resident-a1"], household_a1).late is False


def test_a_stay_past_its_departure_with_none_recorded_is_overstayed_until_it_is_settled(cast, household_a1):
    resident = client_of(cast["resident-a1"])
    arrived = (today() - timedelta(days=5)).isoformat()
    expected = (today() - timedelta(days=1)).isoformat()
    stay = call(resident, "post", "/stays", body_for(household_a1, arrives_on=arrived, departs_on=expected)).json()
    assert stay["overstayed"] is True
    assert [item["id"] for item in call(resident, "get", "/stays?overstayed=true").json()["items"]] == [stay["id"]]
    # Extended: no longer overstayed.
    later = (today() + timedelta(days=3)).isoformat()
    extended = call(resident, "patch", f"/stays/{stay['id']}", {"departs_on": later})
    assert extended.status_code == 200 and extended.json()["overstayed"] is False
    # Then the departure recorded.
    left = call(resident, "patch", f"/stays/{stay['id']}", {"departed_on": today().isoformat()})
    assert left.status_code == 200 and left.json()["departed_on"] == today().isoformat()
    assert call(resident, "get", "/stays?overstayed=true").json()["count"] == 0


def test_the_leader_sees_tonights_guests_and_confirms_them(cast, household_a1, other_household_a1, household_b1):
    own = register(cast["resident-a1"], household_a1, guest_name="오늘 밤 손님")
    register(cast["leader-a1"], other_household_a1, guest_name="옆집 손님", arrives_on=today() + timedelta(days=3),
             departs_on=today() + timedelta(days=4))  # fmt: skip
    register(cast["leader-b1"], household_b1, guest_name="다른 반 손님")
    leader = client_of(cast["leader-a1"])
    tonight = call(leader, "get", f"/stays?unit=HS-A1&day={today().isoformat()}").json()
    assert [item["guest_name"] for item in tonight["items"]] == ["오늘 밤 손님"]
    assert tonight["items"][0]["may_confirm"] is True and tonight["items"][0]["confirmed"] is False
    confirmed = call(leader, "post", f"/stays/{own.pk}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["confirmed"] is True
    assert confirmed.json()["may_confirm"] is False
    again = call(leader, "post", f"/stays/{own.pk}/confirm")
    assert again.status_code == 422 and "stay" in again.json()["fields"]
    # A resident cannot confirm their own registration.
    other = register(cast["resident-a1"], household_a1)
    assert call(client_of(cast["resident-a1"]), "post", f"/stays/{other.pk}/confirm").status_code == 403
    # The leader of another unit sees nothing of it.
    leader_b = client_of(cast["leader-b1"])
    assert call(leader_b, "get", f"/stays/{own.pk}").status_code == 404
    assert call(leader_b, "post", f"/stays/{other.pk}/confirm").status_code == 404
    assert call(leader_b, "patch", f"/stays/{other.pk}", {"departed_on": today().isoformat()}).status_code == 404
    assert [item["guest_name"] for item in call(leader_b, "get", "/stays").json()["items"]] == ["다른 반 손님"]


def test_a_resident_of_another_household_gets_404(cast, household_a1, other_household_a1, audit_count):
    stay = register(cast["resident-a1"], household_a1)
    neighbour = client_of(resident_of(other_household_a1))
    count = audit_count()
    assert call(neighbour, "get", f"/stays/{stay.pk}").status_code == 404
    assert call(neighbour, "patch", f"/stays/{stay.pk}", {"departed_on": today().isoformat()}).status_code == 404
    assert call(neighbour, "post", f"/stays/{stay.pk}/confirm").status_code == 404
    assert call(neighbour, "get", "/stays").json()["count"] == 0
    # Registering for a household that is not theirs: the household is not one they can see.
    answer = call(neighbour, "post", "/stays", body_for(household_a1))
    assert answer.status_code == 422 and "household" in answer.json()["fields"]
    assert audit_count() == count


def test_guest_details_are_answered_to_those_who_may_read_them(cast, household_a1):
    stay = register(cast["resident-a1"], household_a1, guest_name="박손님", document_number="AB-12")
    for username in ("resident-a1", "leader-a1", "officer-a", "auditor", "admin"):
        body = call(client_of(cast[username]), "get", f"/stays/{stay.pk}").json()
        assert (body["guest_name"], body["document_number"], body["purged"]) == ("박손님", "AB-12", False), username
    assert call(client_of(cast["health-a"]), "get", f"/stays/{stay.pk}").status_code == 404
    assert call(client_of(cast["officer-b"]), "get", f"/stays/{stay.pk}").status_code == 404


def test_an_officials_read_is_in_the_households_access_log(cast, household_a1):
    stay = register(cast["resident-a1"], household_a1)
    before = AccessLogEntry.objects.filter(household=household_a1).count()
    call(client_of(cast["resident-a1"]), "get", f"/stays/{stay.pk}")
    assert AccessLogEntry.objects.filter(household=household_a1).count() == before
    call(client_of(cast["officer-a"]), "get", f"/stays/{stay.pk}")
    assert AccessLogEntry.objects.filter(household=household_a1, actor=cast["officer-a"]).count() == 1


def test_the_audit_keeps_the_dates_never_the_guest(cast, household_a1):
    stay = register(
        cast["resident-a1"],
        household_a1,
        guest_name="감사에없는이름",
        document_number="ZX-999",
        origin_address="비밀주소",
        purpose_note="비밀메모",
    )
    stays.stay_update(actor=cast["resident-a1"], stay=stay, departs_on=today() + timedelta(days=5))
    stays.stay_confirm(actor=cast["leader-a1"], stay=stay)
    entries = list(AuditEntry.objects.filter(target_type="registry.stay", target_id=str(stay.pk)).order_by("seq"))
    assert [entry.action for entry in entries] == ["stay.register", "stay.update", "stay.confirm"]
    allowed = {"arrives_on", "departs_on", "departed_on", "late", "confirmed"}
    for entry in entries:
        for values in (entry.before or {}, entry.after or {}):
            assert set(values) <= allowed, entry.action
        text = f"{entry.before} {entry.after} {entry.target_repr}"
        assert not any(secret in text for secret in ("감사에없는이름", "ZX-999", "비밀주소", "비밀메모"))
    assert entries[0].household_id == household_a1.pk and entries[0].after["late"] is False


def test_hosts_are_the_households_members_by_name(cast, household_a1):
    resident = client_of(cast["resident-a1"])
    members = members_of(household_a1)
    stay = call(resident, "post", "/stays", body_for(household_a1, hosts=members[:2])).json()
    assert [host["person"] for host in stay["hosts"]] == members[:2]
    assert all(host["name"] for host in stay["hosts"])


def test_a_retry_with_the_same_idempotency_key_registers_once(cast, household_a1):
    resident = client_of(cast["resident-a1"])
    body = body_for(household_a1)
    first = call(resident, "post", "/stays", body, **{"Idempotency-Key": "stay-1"})
    second = call(resident, "post", "/stays", body, **{"Idempotency-Key": "stay-1"})
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true" and first.json()["id"] == second.json()["id"]
    assert Stay.objects.filter(household=household_a1).count() == 1


def test_the_same_guest_twice_for_the_same_nights_is_refused(cast, household_a1, audit_count):
    """A double submission without a key (a second tap, a reload) names the guest field and changes nothing; the
    same guest on other nights, or another guest the same nights, is fine."""
    resident = client_of(cast["resident-a1"])
    body = body_for(household_a1)
    assert call(resident, "post", "/stays", body).status_code == 201
    stays_before, audit_before = Stay.objects.count(), audit_count()
    again = call(resident, "post", "/stays", body | {"arrives_on": (today() + timedelta(days=1)).isoformat()})
    assert again.status_code == 422 and list(again.json()["fields"]) == ["guest_name"]
    assert "already registered" in again.json()["fields"]["guest_name"][0]
    assert (Stay.objects.count(), audit_count()) == (stays_before, audit_before)
    later = (today() + timedelta(days=3)).isoformat()
    assert call(resident, "post", "/stays", body | {"arrives_on": later, "departs_on": later}).status_code == 201
    assert call(resident, "post", "/stays", body | {"guest_name": "다른 손님"}).status_code == 201


def test_a_leader_does_not_confirm_their_own_households_guest(cast, household_a1):
    """leader-a1 lives in one of the unit's households: an officer confirms that household's guests."""
    leader = cast["leader-a1"]
    home = Household.objects.get(pk=scope_for(leader).home_household_ids[0])
    stay = register(leader, home)
    client = client_of(leader)
    assert call(client, "get", f"/stays/{stay.pk}").json()["may_confirm"] is False
    refused = call(client, "post", f"/stays/{stay.pk}/confirm")
    assert refused.status_code == 403
    stay.refresh_from_db()
    assert stay.confirmed_at is None
    officer = client_of(cast["officer-a"])
    assert call(officer, "get", f"/stays/{stay.pk}").json()["may_confirm"] is True
    assert call(officer, "post", f"/stays/{stay.pk}/confirm").status_code == 200


def test_the_list_filters_by_household(cast, household_a1, other_household_a1):
    register(cast["resident-a1"], household_a1)
    register(cast["leader-a1"], other_household_a1)
    listed = call(client_of(cast["officer-a"]), "get", f"/stays?household={household_a1.pk}")
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert listed.json()["items"][0]["household"] == household_a1.pk


def test_the_office_summary_counts_per_unit(cast, household_a1, other_household_a1, household_b1, monkeypatch):
    register(cast["resident-a1"], household_a1)  # on time
    register(
        cast["leader-a1"],
        other_household_a1,
        arrives_on=today() - timedelta(days=4),
        departs_on=today() - timedelta(days=2),
    )  # fmt: skip  (late, and overstayed)
    stay = register(cast["leader-b1"], household_b1, arrives_on=today() - timedelta(days=1))  # late
    stays.stay_confirm(actor=cast["leader-b1"], stay=stay)
    officer = client_of(cast["officer-a"])
    summary = call(officer, "get", "/stays/summary?area=HS-A").json()
    rows = {row["unit"]: row for row in summary["units"]}
    assert rows["HS-A1"] == {
        "unit": "HS-A1",
        "unit_name": rows["HS-A1"]["unit_name"],
        "registered": 2,
        "late": 1,
        "overstayed": 1,
        "unconfirmed": 2,
    }
    assert "HS-B1" not in rows and summary["registered"] == 2
    city = call(client_of(cast["auditor"]), "get", "/stays/summary?area=HS").json()
    assert {row["unit"]: row["late"] for row in city["units"]}["HS-B1"] == 1 and city["late"] == 2
    assert city["unconfirmed"] == 2
    # The period is the arrival's.
    old = call(officer, "get", f"/stays/summary?area=HS-A&until={(today() - timedelta(days=3)).isoformat()}").json()
    assert old["registered"] == 1
    assert call(officer, "get", "/stays/summary?area=HS-B").status_code == 422
    bad = call(officer, "get", f"/stays/summary?area=HS-A&since={today().isoformat()}&until=2020-01-01")
    assert bad.status_code == 422 and "since" in bad.json()["fields"]


def test_stay_rules_are_inherited_from_the_office_above_and_set_only_from_above(cast, unit_a1, audit_count):
    district, city = Office.objects.get(code="HS-A-OFFICE"), Office.objects.get(code="HS-OFFICE")
    officer_a, officer_city = client_of(cast["officer-a"]), client_of(cast["officer-city"])
    assert call(officer_a, "get", "/stay-rules/HS-A-OFFICE").json() == {
        "office": "HS-A-OFFICE",
        "inherited_from": None,
        "deadline_time": "22:00",
        "deadline_days": 0,
    }
    count = audit_count()
    # The district office does not set its own bar.
    refused = call(officer_a, "put", "/stay-rules/HS-A-OFFICE", {"deadline_time": "23:00", "deadline_days": 0})
    assert refused.status_code == 403 and audit_count() == count
    rule = {"deadline_time": "21:30", "deadline_days": 1}
    assert call(officer_city, "put", "/stay-rules/HS-OFFICE", rule).status_code == 403
    stays.stay_rules_set(actor=cast["admin"], office=city, deadline_time=time(21, 30), deadline_days=1)
    inherited = call(officer_a, "get", "/stay-rules/HS-A-OFFICE").json()
    assert inherited["inherited_from"] == "HS-OFFICE" and inherited["deadline_time"] == "21:30"
    assert stay_deadline(unit_a1, today()) == local_moment(today() + timedelta(days=1), 21, 30)
    rule = {"deadline_time": "22:00", "deadline_days": 2}
    assert call(officer_city, "put", "/stay-rules/HS-A-OFFICE", rule).status_code == 200
    assert stay_deadline(unit_a1, today()) == local_moment(today() + timedelta(days=2), 22, 0)
    entry = AuditEntry.objects.filter(action="stay_rules.set").order_by("-seq").first()
    assert entry.after == {"deadline_time": "22:00:00", "deadline_days": 2, "office": district.pk}
    # Bad rules: named.
    for body, field in (
        ({"deadline_time": "24:00", "deadline_days": 0}, "deadline_time"),
        ({"deadline_time": "22:00", "deadline_days": 8}, "deadline_days"),
        ({"deadline_time": "22:00", "deadline_days": "1"}, "deadline_days"),
        ({"deadline_time": "22:00"}, "deadline_days"),
        ({"deadline_time": "22:00", "deadline_days": 0, "extra": 1}, "extra"),
        ({"deadline_time": "00:00", "deadline_days": 0}, "deadline_time"),  # every guest would be late
    ):
        count = audit_count()
        answer = call(officer_city, "put", "/stay-rules/HS-A-OFFICE", body)
        assert answer.status_code == 422 and field in answer.json()["fields"], (body, answer.json())
        assert audit_count() == count


def test_setting_the_rule_an_office_already_works_by_changes_nothing(cast, audit_count):
    """Saving the inherited deadline unchanged writes no row of the office's own (which would cut it off from the
    office above) and no audit entry; the same for an office's own row."""
    officer_city = client_of(cast["officer-city"])
    count = audit_count()
    same = call(officer_city, "put", "/stay-rules/HS-A-OFFICE", {"deadline_time": "22:00", "deadline_days": 0})
    assert same.status_code == 200 and same.json()["inherited_from"] is None
    assert audit_count() == count and not StayRules.objects.exists()
    changed = {"deadline_time": "21:00", "deadline_days": 1}
    assert call(officer_city, "put", "/stay-rules/HS-A-OFFICE", changed).status_code == 200
    assert audit_count() == count + 1
    assert call(officer_city, "put", "/stay-rules/HS-A-OFFICE", changed).status_code == 200
    assert audit_count() == count + 1 and StayRules.objects.count() == 1


def test_the_same_guest_written_otherwise_is_the_same_guest(cast, household_a1, audit_count):
    """Spaces inside the name, or the decomposed form of the same letters, are the same guest; an invisible
    zero-width space is refused outright."""
    import unicodedata

    resident = client_of(cast["resident-a1"])
    body = body_for(household_a1, guest_name="박순희")
    assert call(resident, "post", "/stays", body).status_code == 201
    count = (Stay.objects.count(), audit_count())
    for name in ("박 순희", unicodedata.normalize("NFD", "박순희"), " 박순희 "):
        again = call(resident, "post", "/stays", body | {"guest_name": name})
        assert again.status_code == 422 and "already registered" in again.json()["fields"]["guest_name"][0], name
    hidden = call(resident, "post", "/stays", body | {"guest_name": "박순희\u200b"})
    assert hidden.status_code == 422 and list(hidden.json()["fields"]) == ["guest_name"]
    assert (Stay.objects.count(), audit_count()) == count


def test_a_health_worker_of_the_area_gets_only_that_nights_guests_by_name_and_dates(cast, household_a1):
    from inminban.registry.stay_selectors import stays_for_health_check

    tonight = register(cast["resident-a1"], household_a1, guest_name="검진받을손님", document_number="DOC-9")
    register(
        cast["resident-a1"],
        household_a1,
        arrives_on=today() + timedelta(days=3),
        departs_on=today() + timedelta(days=4),
    )
    found = list(stays_for_health_check(actor=cast["health-a"], household=household_a1, day=today()))
    assert [stay.pk for stay in found] == [tonight.pk] and found[0].guest_name == "검진받을손님"
    assert "document_number" in found[0].get_deferred_fields()
    for username in ("health-b", "leader-a1", "officer-a", "resident-a1"):
        assert list(stays_for_health_check(actor=cast[username], household=household_a1, day=today())) == [], username
