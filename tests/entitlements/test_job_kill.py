"""A cycle computed by the background job survives its worker being killed (kill -9) half-way: after the lease
expires, the next tick resumes it and the cycle ends with exactly one row per household, the same rows a clean
run writes."""

import os
import subprocess
import time
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.db.models import Count

from inminban.areas.models import Area, Office
from inminban.entitlements import services
from inminban.entitlements.models import Cycle, Entitlement, Program
from inminban.jobs.models import Job
from inminban.registry.models import Household
from jobs.conftest import INMINBAN, database_url, finish, wait_until

COMMITTED = pytest.mark.django_db(transaction=True, available_apps=["inminban.jobs", "inminban.entitlements"])

# Run the queued job in this worker, and kill the process (SIGKILL: no cleanup) right after the second range of
# households has been committed and reported.
DOOMED_WORKER = """
import os, signal
from inminban.jobs import runner
from inminban.jobs.registry import Progress
report = Progress.__call__
def report_then_die(self, done, total, message=""):
    report(self, done, total, message)
    if done >= 2:
        os.kill(os.getpid(), signal.SIGKILL)
Progress.__call__ = report_then_die
runner.run_due(worker="doomed")
"""


def _rows(cycle: Cycle) -> set[tuple]:
    return set(
        Entitlement.objects.filter(cycle=cycle).values_list(
            "household_id", "eligible", "quantity", "members", "outcomes", "stamps"
        )
    )


@COMMITTED
def test_a_killed_cycle_job_resumes_without_duplicate_rows():
    officer = User.objects.get(username="officer-a")
    area = Area.objects.get(code="HS-A")
    program = services.program_create(
        actor=officer,
        office=Office.objects.get(code="HS-A-OFFICE"),
        area=area,
        kind=Program.Kind.GRAIN_RATION,
        name_en="Killed worker ration",
        rule={"all": [{"resident": {}}, {"household_size": {"min": 1}}]},
    )
    cycle = services.cycle_create(actor=officer, program=program, period_start=date(2026, 3, 1))
    cycle = services.cycle_generate_request(actor=officer, cycle=cycle)
    households = Household.objects.filter(unit__path__startswith=area.path, dissolved_on__isnull=True).count()
    assert households >= 6

    # A short lease, so that the next worker may take the job over soon after the first one died.
    env = os.environ | {
        "INMINBAN_DATABASE_URL": database_url(),
        "INMINBAN_CYCLE_CHUNK": "2",
        "INMINBAN_JOB_LEASE_SECONDS": "1",
    }
    doomed = subprocess.run(
        [str(INMINBAN), "shell", "-c", DOOMED_WORKER], env=env, capture_output=True, text=True, timeout=120
    )
    assert doomed.returncode == -9, doomed.stderr  # killed, not finished

    job = Job.objects.get(pk=cycle.job_id)
    assert job.status == Job.Status.RUNNING and job.progress_done == 2 and job.attempts == 1
    partial = Entitlement.objects.filter(cycle=cycle).count()
    assert 0 < partial < households
    assert Cycle.objects.get(pk=cycle.pk).status == Cycle.Status.GENERATING

    time.sleep(1.5)  # past the dead worker's lease
    tick = subprocess.Popen(
        [str(INMINBAN), "tick"],
        env=env | {"INMINBAN_JOB_LEASE_SECONDS": "60"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    finish(tick)
    job = wait_until(lambda: Job.objects.filter(pk=job.pk, status=Job.Status.DONE).first())
    assert job.attempts == 2

    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.GENERATED
    assert cycle.households == households == Entitlement.objects.filter(cycle=cycle).count()
    duplicates = Entitlement.objects.filter(cycle=cycle).values("household").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    resumed = _rows(cycle)

    clean = services.cycle_generate(actor=officer, cycle=cycle)  # a clean run of the same, still unapproved cycle
    assert _rows(clean) == resumed
