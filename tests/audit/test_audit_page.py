"""The auditor's audit log: scoped to the audit area, newest first, filtered, paginated, verifiable on demand."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inminban.areas.models import Area
from inminban.audit.models import AuditEntry
from inminban.registry import services


def _entries(response):
    return list(response.context["page_obj"].object_list)


@pytest.mark.parametrize("username", ["leader-a1", "officer-a", "resident-a1"])
def test_only_auditors_and_admins_see_it(client_for, username):
    assert client_for(username).get("/audit/").status_code == 404


def test_newest_first_and_only_the_auditors_area(client_for):
    response = client_for("auditor").get("/audit/")
    assert response.status_code == 200
    entries = _entries(response)
    seqs = [entry.seq for entry in entries]
    assert seqs == sorted(seqs, reverse=True)
    city_path = Area.objects.get(code="HS").path
    in_scope = AuditEntry.objects.filter(area_path__startswith=city_path)
    assert seqs[0] == in_scope.latest("seq").seq
    assert response.context["page_obj"].paginator.count == in_scope.count()
    # Entries outside the city (the country and province being created) are not shown to the city's auditor.
    assert AuditEntry.objects.exclude(area_path__startswith=city_path).exists()
    assert not any(not entry.area_path.startswith(city_path) for entry in entries)


def test_admin_sees_everything(client_for):
    response = client_for("admin").get("/audit/")
    assert response.context["page_obj"].paginator.count == AuditEntry.objects.count()


def test_pages_hold_fifty_and_do_not_overlap(client_for):
    client = client_for("auditor")
    first, second = _entries(client.get("/audit/")), _entries(client.get("/audit/?page=2"))
    assert len(first) == 50
    assert first[-1].seq > second[0].seq


def test_filters(client_for, cast, worker_a1):
    services.occupation_set(
        actor=cast["leader-a1"],
        person=worker_a1,
        workplace="광산",
        job_title="채굴공",
        since=timezone.localdate(),
    )
    client = client_for("auditor")
    by_actor = _entries(client.get("/audit/?actor=leader-a1"))
    assert [entry.action for entry in by_actor] == ["occupation.set"]
    by_action = _entries(client.get("/audit/?action=occupation.set"))
    assert {entry.action for entry in by_action} == {"occupation.set"}
    assert len(by_action) == min(50, AuditEntry.objects.filter(action="occupation.set").count())
    target = by_actor[0]
    by_target = _entries(client.get(f"/audit/?target_type=registry.occupation&target_id={target.target_id}"))
    assert [entry.seq for entry in by_target] == [target.seq]
    by_area = client.get("/audit/?area=HS-B1")
    b1_path = Area.objects.get(code="HS-B1").path
    assert (
        by_area.context["page_obj"].paginator.count == AuditEntry.objects.filter(area_path__startswith=b1_path).count()
    )
    assert all(entry.area_path.startswith(b1_path) for entry in _entries(by_area))


def test_date_range_is_inclusive_of_whole_days(client_for):
    latest = AuditEntry.objects.latest("seq")
    day = timezone.localtime(latest.at).date()
    client = client_for("admin")
    same_day = _entries(client.get(f"/audit/?since={day}&until={day}"))
    assert latest.seq in [entry.seq for entry in same_day]
    before = client.get(f"/audit/?until={day - timedelta(days=1)}")
    assert latest.seq not in [entry.seq for entry in _entries(before)]
    after = client.get(f"/audit/?since={day + timedelta(days=1)}")
    assert after.context["page_obj"].paginator.count == 0
    assert "No entries match." in after.content.decode()


def test_an_area_outside_the_audit_scope_is_a_field_error(client_for):
    response = client_for("auditor").get("/audit/?area=KP")
    assert response.status_code == 400
    assert response.context["filter_form"].errors["area"] == ["There is no area with this name or code in your scope."]


def test_an_area_is_found_by_its_name_in_either_language(client_for):
    b1 = Area.objects.get(code="HS-B1")
    client = client_for("auditor")
    by_code = client.get("/audit/?area=HS-B1").context["page_obj"].paginator.count
    assert by_code > 0
    for name in (b1.name_en, b1.name_en.upper(), b1.name_ko):
        response = client.get("/audit/", {"area": name})
        assert response.status_code == 200
        assert response.context["page_obj"].paginator.count == by_code


def test_the_action_filter_offers_translated_labels_not_codes(client_for):
    html = client_for("auditor").get("/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<option value="share.confirm">Share confirmed</option>' in html
    korean = client_for("auditor")
    korean.cookies["django_language"] = "ko"
    html = korean.get("/audit/").content.decode()
    assert '<option value="share.confirm">분담량 확인</option>' in html
    response = client_for("auditor").get("/audit/?action=no.such_action")
    assert response.status_code == 400 and "action" in response.context["filter_form"].errors


def test_a_bad_date_is_a_field_error(client_for):
    response = client_for("auditor").get("/audit/?since=yesterday")
    assert response.status_code == 400
    assert response.context["filter_form"].errors["since"]


def test_entries_show_before_and_after(client_for, cast, worker_a1):
    job = worker_a1.occupations.get(until=None)
    old_title = job.job_title
    services.occupation_update(actor=cast["officer-a"], occupation=job, job_title="새 직함")
    html = client_for("auditor").get("/audit/?action=occupation.update").content.decode()
    assert f'The job of <a href="/persons/{worker_a1.pk}/">{worker_a1.full_name}</a> was corrected.' in html
    assert "<dt>Job title</dt>" in html
    assert f'<span class="before">{old_title}</span>' in html
    assert '<span class="after">새 직함</span>' in html
    assert "<dt>Workplace</dt>" not in html  # unchanged
    # The raw entry is one click away for the auditor: the code, the user name, the stored JSON.
    assert "<summary>Raw entry</summary>" in html and "<code>occupation.update</code>" in html
    assert "<dd>officer-a</dd>" in html and "&quot;job_title&quot;: &quot;새 직함&quot;" in html


def test_verify_on_demand(client_for):
    client = client_for("auditor")
    plain = client.get("/audit/").content.decode()
    assert "Verify the whole chain" in plain and "The chain verifies" not in plain
    assert plain.count("entry hash intact") == 50
    verified = client.get("/audit/?verify=1")
    assert verified.context["verification"].ok
    assert f"The chain verifies: {AuditEntry.objects.count()} entries checked" in verified.content.decode()


def test_a_tampered_entry_is_named(client_for):
    victim = AuditEntry.objects.filter(area_path__startswith=Area.objects.get(code="HS").path).latest("seq")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor_name = 'someone-else' WHERE seq = %s", [victim.seq])
    response = client_for("auditor").get(
        f"/audit/?verify=1&target_type={victim.target_type}&target_id={victim.target_id}"
    )
    html = response.content.decode()
    assert f"The chain is broken at entry {victim.seq}:" in html
    assert "entry altered: hash does not match" in html


@pytest.mark.parametrize("query", ["until=9999-12-31", "since=0001-01-01"])
def test_dates_at_the_ends_of_the_calendar_are_a_form_error_not_a_crash(client_for, query):
    response = client_for("auditor").get(f"/audit/?{query}")
    assert response.status_code == 400
    assert "1900" in response.content.decode()
