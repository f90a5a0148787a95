"""The demo's stays, health checks and integrity flags: built through the services on the demo city, idempotent,
the flags the seed's story calls for raised for unit A1, and no guest's name in the audit log."""

from django.contrib.auth.models import User

from inminban.audit.models import AuditEntry
from inminban.audit.services import audit_verify
from inminban.health.models import HealthCheck
from inminban.integrity.models import Flag, Pattern
from inminban.registry.models import Stay
from inminban.stamps.models import Stamp
from inminban.synth.demo_duties import build_demo_duties
from inminban.synth.demo_integrity import (
    LATE_GUEST,
    ON_TIME_GUEST,
    UNREGISTERED_GUEST,
    build_demo_integrity,
    ensure_health_workers,
)


def _state() -> dict[str, int]:
    return {
        "stays": Stay.objects.count(),
        "checks": HealthCheck.objects.count(),
        "flags": Flag.objects.count(),
        "stamps": Stamp.objects.count(),
        "audit": AuditEntry.objects.count(),
        "users": User.objects.count(),
    }


def test_demo_has_an_on_time_and_a_late_stay_and_the_seeds_flags(cast, unit_a1):
    build_demo_duties(cast)
    assert build_demo_integrity(cast) is True

    stays = Stay.objects.filter(unit=unit_a1)
    assert stays.get(guest_name=ON_TIME_GUEST).late is False
    assert stays.get(guest_name=LATE_GUEST).late is True

    unregistered = HealthCheck.objects.get(unit=unit_a1, subject=HealthCheck.Subject.UNREGISTERED_GUEST)
    assert unregistered.guest_name == UNREGISTERED_GUEST and unregistered.fever
    assert HealthCheck.objects.filter(unit=unit_a1, subject=HealthCheck.Subject.RESIDENT).count() >= 2

    flags = Flag.objects.filter(unit=unit_a1)
    seen = flags.get(pattern=Pattern.STAY_UNREGISTERED)
    assert seen.status == Flag.Status.OPEN and seen.office.code == "HS-A-OFFICE"
    assert {"type": "healthcheck", "id": unregistered.pk} in seen.evidence
    leader = cast["leader-a1"]
    about_leader = set(flags.filter(leader=leader).values_list("pattern", flat=True))
    assert Pattern.LEADER_OWN_CONFIRMATION in about_leader
    assert Pattern.STAMP_UNFULFILLED in about_leader

    # Flags carry records and numbers, never a guest's name; nor does the audit log.
    names = (ON_TIME_GUEST, LATE_GUEST, UNREGISTERED_GUEST)
    for flag in flags:
        assert not any(name in str(flag.evidence) + str(flag.facts) for name in names)
    for entry in AuditEntry.objects.all():
        text = str(entry.__dict__)
        assert not any(name in text for name in names), entry.pk
    assert audit_verify().ok


def test_demo_integrity_is_built_once(cast):
    build_demo_duties(cast)
    build_demo_integrity(cast)
    before = _state()
    assert build_demo_integrity(cast) is False
    assert _state() == before


def test_an_older_demo_gains_its_health_workers(cast):
    User.objects.filter(username="health-b").update(username="health-b-old")
    workers = ensure_health_workers()
    assert set(workers) == {"health-a", "health-b"}
    assert workers["health-b"].role_assignments.get().area.code == "HS-B"
    assert ensure_health_workers()["health-b"] == workers["health-b"]
