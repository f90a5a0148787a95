"""Response deadlines: an unanswered petition goes to the office above when the scheduled work runs past its due time
(time simulated), once, however often and from however many processes the work runs; one at the top stays overdue.
The officers' digest reaches each officer once a day."""

import subprocess
import time
from datetime import timedelta

from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.governance import petitions
from inminban.governance.models import Escalation, Notification, Petition
from inminban.jobs.registry import handler_for

from .petitioning import open_petition

SECOND = timedelta(seconds=1)


def test_an_unanswered_petition_goes_up_at_its_deadline_once(cast, wide_a):
    petition = open_petition(cast["resident-a1"])
    assert petitions.petitions_escalate_due(now=petition.due_at - SECOND) == 0
    later = petition.due_at + SECOND
    assert petitions.petitions_escalate_due(now=later) == 1
    assert petitions.petitions_escalate_due(now=later) == 0  # run twice: nothing more
    petition.refresh_from_db()
    assert petition.office.code == "HS-OFFICE" and petition.due_at > later
    escalation = Escalation.objects.get(petition=petition)
    assert escalation.reason == "deadline" and escalation.at == later
    entries = AuditEntry.objects.filter(action="petition.escalate_deadline", target_id=str(petition.pk))
    assert entries.count() == 1 and entries.get().actor_name == "system"
    told = Notification.objects.filter(kind="petition_escalated", user=cast["resident-a1"])
    assert told.count() == 1 and told.get().params["title"] == petition.title
    # At the top (the city has no office above it) it stays, overdue.
    assert petitions.petitions_escalate_due(now=petition.due_at + timedelta(days=100)) == 0
    petition.refresh_from_db()
    assert petition.office.code == "HS-OFFICE" and Escalation.objects.filter(petition=petition).count() == 1


def test_an_answered_petition_does_not_go_up(cast, wide_a):
    petition = open_petition(cast["resident-a1"])
    petitions.petition_respond(actor=cast["officer-a"], petition=petition, outcome="rejected", text="안 됩니다")
    assert petitions.petitions_escalate_due(now=petition.due_at + SECOND) == 0


def test_the_scheduled_job_escalates_with_the_clock_moved_on(cast, wide_a, monkeypatch):
    assert handler_for("governance.petition_digest") is not None
    petition = open_petition(cast["resident-a1"])
    monkeypatch.setattr(timezone, "now", lambda: petition.due_at + timedelta(minutes=5))
    result = handler_for("governance.petitions_escalate")(None, lambda *args: None)
    assert result == {"escalated": 1}
    assert Petition.objects.get(pk=petition.pk).office.code == "HS-OFFICE"


def test_the_digest_reaches_each_officer_once_a_day(cast, wide_a):
    petition = open_petition(cast["resident-a1"])
    soon = timezone.localtime(petition.due_at - timedelta(days=2)).replace(hour=9)
    assert petitions.petition_digest_send(now=petition.due_at - timedelta(days=5)) == 0  # not near yet
    assert petitions.petition_digest_send(now=soon) == 2  # officer-a and officer-a2
    assert petitions.petition_digest_send(now=soon + timedelta(hours=1)) == 0
    digest = Notification.objects.get(kind="petition_digest", user=cast["officer-a"])
    assert digest.params == {"count": 1} and digest.dedupe_key.startswith("petition-digest:")
    assert petitions.petition_digest_send(now=soon + timedelta(days=1)) == 2  # the next day


# Two processes at once, on a database of their own ----------------------------------------------------------------

SETUP = """
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from inminban.areas.models import Office
from inminban.governance.models import GovernanceRules, Petition
from inminban.governance.petitions import petition_open
from inminban.synth.demo import SMALL, build_demo
build_demo(size=SMALL)
# The small demo has two units per district: one unit's signature would already be half of them.
GovernanceRules.objects.create(office=Office.objects.get(code="HS-A-OFFICE"), escalation_percent=100,
                               updated_by=User.objects.get(username="admin"), updated_at=timezone.now())
p = petition_open(actor=User.objects.get(username="resident-a1"), subject="general", title="우물", text="고쳐 주십시오")
Petition.objects.filter(pk=p.pk).update(due_at=timezone.now() - timedelta(hours=1))
print(p.pk)
"""

# Both processes wait for the same instant, then run the escalation: their transactions overlap.
RACE = """
import time
from inminban.governance.petitions import petitions_escalate_due
time.sleep(max(0, {start} - time.time()))
print(petitions_escalate_due())
"""


def test_two_processes_at_once_escalate_once(separate_database):
    database = separate_database
    built = database.run("shell", "-c", SETUP)
    assert built.returncode == 0, built.stderr
    petition_id = int(built.stdout.strip().splitlines()[-1])
    start = time.time() + 6
    script = RACE.format(start=start)
    processes = [
        subprocess.Popen(
            [str(database_cli()), "shell", "-c", script],
            env=database.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(int(out.strip().splitlines()[-1]))
    assert sorted(results) == [0, 1]
    assert database.scalar(f"SELECT COUNT(*) FROM governance_escalation WHERE petition_id = {petition_id}") == 1
    audited = database.scalar(
        f"SELECT COUNT(*) FROM audit_auditentry WHERE action = 'petition.escalate_deadline' "
        f"AND target_id = '{petition_id}'"
    )
    assert audited == 1
    office = database.scalar(
        f"SELECT o.code FROM governance_petition p JOIN areas_office o ON o.id = p.office_id WHERE p.id = {petition_id}"
    )
    assert office == "HS-OFFICE"


def database_cli():
    import sys
    from pathlib import Path

    return Path(sys.executable).parent / "inminban"
