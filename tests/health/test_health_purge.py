"""The stays purge erases the names of unregistered guests recorded at checks too (the hook the health app
registers), in one UPDATE; the checks stay, so the counts do, and the audit chain stays verifiable."""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inminban.audit.services import audit_verify
from inminban.health.models import HealthCheck
from inminban.health.services import guest_names_purge
from inminban.registry import stays

from .conftest import record


def _guest_checks(cast, household, names, *, days_ago, note=""):
    made = [record(cast["health-a"], household, person=None, guest_name=name, note=note) for name in names]
    HealthCheck.objects.filter(pk__in=[c.pk for c in made]).update(
        checked_on=timezone.localdate() - timedelta(days=days_ago)
    )
    return made


def test_the_health_app_registers_its_hook():
    assert guest_names_purge in stays.STAY_PURGE_HOOKS
    assert stays.STAY_PURGE_HOOKS.count(guest_names_purge) == 1


def test_the_hook_blanks_old_guest_names_in_one_update(cast, household_a1):
    old = _guest_checks(cast, household_a1, ["오래된 손님 1", "오래된 손님 2"], days_ago=40)
    recent = _guest_checks(cast, household_a1, ["최근 손님"], days_ago=1)
    member = record(cast["health-a"], household_a1)
    cutoff = timezone.localdate() - timedelta(days=30)
    with CaptureQueriesContext(connection) as queries:
        assert guest_names_purge(cutoff) == 2
    assert len(queries) == 1
    assert set(HealthCheck.objects.filter(pk__in=[c.pk for c in old]).values_list("guest_name", flat=True)) == {""}
    assert HealthCheck.objects.get(pk=recent[0].pk).guest_name == "최근 손님"
    assert HealthCheck.objects.filter(pk__in=[c.pk for c in (*old, *recent, member)]).count() == 4
    assert guest_names_purge(cutoff) == 0  # safe to repeat


def test_stays_purge_leaves_no_guest_name_in_the_checks(cast, household_a1):
    days = settings.STAY_RETENTION_DAYS + 5
    _guest_checks(cast, household_a1, ["지워질 손님"], days_ago=days)
    stays.stays_purge(today=timezone.localdate())
    assert not HealthCheck.objects.filter(guest_name="지워질 손님").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM health_healthcheck WHERE guest_name LIKE %s", ["%지워질%"])
        assert cursor.fetchone()[0] == 0
        # The audit entry of the check never had the name.
        cursor.execute("SELECT COUNT(*) FROM audit_auditentry WHERE CAST(after AS TEXT) LIKE %s", ["%지워질%"])
        assert cursor.fetchone()[0] == 0
    assert HealthCheck.objects.filter(subject="unregistered_guest", guest_name="").exists()
    assert audit_verify().ok


def test_the_purge_blanks_the_notes_of_guests_checks_a_note_may_name_the_guest(cast, household_a1, person_a1):
    old = _guest_checks(cast, household_a1, ["메모 손님"], days_ago=40, note="메모 손님은 기침을 함")
    member = record(cast["health-a"], household_a1, person=person_a1, note="세대원 메모")
    HealthCheck.objects.filter(pk=member.pk).update(checked_on=timezone.localdate() - timedelta(days=40))
    assert guest_names_purge(timezone.localdate() - timedelta(days=30)) == 1
    assert HealthCheck.objects.get(pk=old[0].pk).note == ""
    assert HealthCheck.objects.get(pk=member.pk).note == "세대원 메모"  # a resident's own check keeps its note
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM health_healthcheck WHERE note LIKE %s", ["%메모 손님%"])
        assert cursor.fetchone()[0] == 0
