"""Several `inminban tick` and `inminban worker --once` processes started at once on the real test database: each
job runs exactly once, and a due schedule yields one job."""

from inminban.jobs.models import Job, Schedule
from inminban.jobs.services import job_enqueue, schedule_ensure

from .conftest import COMMITTED, finish, jobs_ran, start

pytestmark = COMMITTED

JOBS = 8


def test_concurrent_ticks_run_each_job_exactly_once(processes):
    jobs = [job_enqueue(kind="jobs.sleep", params={"seconds": 1, "steps": 2}) for _ in range(JOBS)]
    processes += [start("tick", "-v", "2"), start("tick", "-v", "2"), start("worker", "--once", "-v", "2")]
    outputs = [finish(process) for process in processes]
    assert sum(jobs_ran(output) for output in outputs) == JOBS  # no process ran a job another one ran
    done = Job.objects.filter(pk__in=[job.pk for job in jobs])
    assert [(job.status, job.attempts, job.progress_done) for job in done] == [(Job.Status.DONE, 1, 2)] * JOBS
    assert all(job.result == {"steps": 2, "resumed_from": 0, "worker": job.lease_owner} for job in done)
    assert len({job.lease_owner for job in done}) >= 2, "the processes should have shared the work"


def test_concurrent_ticks_turn_a_due_schedule_into_one_job(processes):
    schedule = schedule_ensure(kind="jobs.sleep", interval_seconds=3600, params={"seconds": 0})
    processes += [start("tick", "-v", "2") for _ in range(4)]
    assert sum(jobs_ran(finish(process)) for process in processes) == 1
    job = Job.objects.get()
    assert (job.kind, job.status, job.attempts, job.dedupe_key) == (
        "jobs.sleep",
        Job.Status.DONE,
        1,
        "schedule:jobs.sleep",
    )
    assert Schedule.objects.get(pk=schedule.pk).next_run_at > schedule.next_run_at
