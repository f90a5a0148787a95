"""A worker killed with SIGKILL in the middle of a job: nobody touches the job while its lease lasts; after it
expires the next tick takes the job over, resumes it and finishes it, counting both attempts, in the same row."""

import os
import signal
import time

from django.utils import timezone

from inminban.jobs.models import Job
from inminban.jobs.runner import run_due
from inminban.jobs.services import job_enqueue

from .conftest import COMMITTED, finish, jobs_ran, start, wait_until

pytestmark = COMMITTED

LEASE = 5
STEPS = 20


def test_a_killed_workers_job_is_taken_over_after_its_lease_expires(processes):
    job = job_enqueue(kind="jobs.sleep", params={"seconds": 5, "steps": STEPS})
    worker = start("worker", "--interval", "0.2", lease_seconds=LEASE)
    processes.append(worker)
    wait_until(lambda: Job.objects.get(pk=job.pk).progress_done >= 2)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)

    job.refresh_from_db()
    killed_at_step, lease_until = job.progress_done, job.lease_until
    assert (job.status, job.attempts) == (Job.Status.RUNNING, 1) and job.lease_owner.endswith(f":{worker.pid}")
    assert killed_at_step < STEPS
    assert timezone.now() < lease_until, "the lease should still hold (make LEASE longer on a slow machine)"
    assert run_due(worker="too-early:1") == 0
    assert Job.objects.get(pk=job.pk).attempts == 1

    time.sleep(max((lease_until - timezone.now()).total_seconds(), 0) + 0.5)
    tick = start("tick", "-v", "2", lease_seconds=LEASE)
    processes.append(tick)
    assert jobs_ran(finish(tick)) == 1

    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress_done, job.percent) == (Job.Status.DONE, 2, STEPS, 100)
    assert job.lease_owner.endswith(f":{tick.pid}") and job.result["worker"] == job.lease_owner
    # It resumed where the killed worker had reported, so no step was done twice.
    assert job.result["resumed_from"] >= killed_at_step
    assert Job.objects.filter(kind="jobs.sleep").count() == 1
