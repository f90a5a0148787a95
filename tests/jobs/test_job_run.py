"""run_due in this process: runs due jobs and stores their result and progress; a failing handler is retried with a
back-off and then fails with its error, and never makes the tick raise; leases expire and are taken over."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inminban.jobs.models import Job
from inminban.jobs.runner import run_due
from inminban.jobs.services import job_enqueue

pytestmark = pytest.mark.django_db


def test_run_due_runs_a_job_and_stores_its_result_and_progress():
    job = job_enqueue(kind="tests.echo", params={"value": "hello"})
    assert run_due(worker="host-a:1") == 1
    job.refresh_from_db()
    assert (job.status, job.result, job.error, job.attempts) == (Job.Status.DONE, {"echo": "hello"}, "", 1)
    assert (job.progress_done, job.progress_total, job.message, job.percent) == (2, 2, "all of it", 100)
    assert job.lease_owner == "host-a:1" and job.lease_until is None
    assert job.started_at <= job.finished_at <= timezone.now()


def test_nothing_due_runs_nothing():
    job = job_enqueue(kind="tests.echo", params={}, run_after=timezone.now() + timedelta(minutes=5))
    assert run_due(worker="host-a:1") == 0
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.QUEUED, 0)


def test_limit_runs_the_oldest_due_jobs_first():
    now = timezone.now()
    jobs = [job_enqueue(kind="tests.echo", params={}, run_after=now - timedelta(minutes=age)) for age in (1, 3, 2)]
    assert run_due(worker="host-a:1", limit=2) == 2
    assert [Job.objects.get(pk=job.pk).status for job in jobs] == [Job.Status.QUEUED, Job.Status.DONE, Job.Status.DONE]
    assert run_due(worker="host-a:1") == 1


def test_a_handler_returning_nothing_stores_an_empty_result():
    job = job_enqueue(kind="tests.nothing", params={})
    run_due(worker="host-a:1")
    job.refresh_from_db()
    assert (job.status, job.result) == (Job.Status.DONE, {})


def test_a_failing_handler_is_retried_with_a_growing_back_off_then_fails(monkeypatch):
    monkeypatch.delenv("INMINBAN_JOB_RETRY_SECONDS", raising=False)
    job = job_enqueue(kind="tests.fail", params={"reason": "the district office is on fire"})
    for attempt, back_off in [(1, 60), (2, 120)]:
        before = timezone.now()
        assert run_due(worker="host-a:1") == 1
        job.refresh_from_db()
        assert (job.status, job.attempts) == (Job.Status.QUEUED, attempt)
        assert job.error == "RuntimeError: the district office is on fire"
        assert before + timedelta(seconds=back_off) <= job.run_after <= timezone.now() + timedelta(seconds=back_off)
        assert run_due(worker="host-a:1") == 0  # not before the back-off has passed
        Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    assert run_due(worker="host-a:1") == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_until) == (Job.Status.FAILED, 3, None)
    assert job.error == "RuntimeError: the district office is on fire" and job.finished_at is not None
    assert (job.progress_done, job.message) == (1, "about to fail")
    assert run_due(worker="host-a:1") == 0


def test_without_a_back_off_all_attempts_happen_in_one_tick_and_the_next_job_still_runs(monkeypatch):
    monkeypatch.setenv("INMINBAN_JOB_RETRY_SECONDS", "0")
    failing = job_enqueue(kind="tests.fail", params={})
    after = job_enqueue(kind="tests.echo", params={"value": 2}, run_after=timezone.now() + timedelta(microseconds=1))
    assert run_due(worker="host-a:1") == 4
    failing.refresh_from_db()
    after.refresh_from_db()
    assert (failing.status, failing.attempts, failing.error) == (Job.Status.FAILED, 3, "RuntimeError: boom")
    assert (after.status, after.result) == (Job.Status.DONE, {"echo": 2})


def test_a_handler_returning_something_else_than_a_dict_fails():
    job = job_enqueue(kind="tests.list_result", params={})
    Job.objects.filter(pk=job.pk).update(max_attempts=1)
    run_due(worker="host-a:1")
    job.refresh_from_db()
    assert (job.status, job.result) == (Job.Status.FAILED, {})
    assert job.error == "TypeError: The handler returned list, not a dict."


def test_a_kind_without_a_handler_in_this_process_fails_the_job():
    job = Job.objects.create(kind="removed.app_job", max_attempts=1)
    assert run_due(worker="host-a:1") == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error.startswith("LookupError: No job handler")


def _claimed_by_dead_worker(job: Job, *, attempts: int = 1, expired: bool = True) -> None:
    lease_until = timezone.now() + timedelta(seconds=-5 if expired else 60)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, lease_owner="dead-host:9", lease_until=lease_until, attempts=attempts
    )


def test_an_expired_lease_is_taken_over_and_counts_an_attempt():
    job = job_enqueue(kind="tests.echo", params={"value": "again"})
    _claimed_by_dead_worker(job)
    assert run_due(worker="host-b:2") == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_owner, job.result) == (
        Job.Status.DONE,
        2,
        "host-b:2",
        {"echo": "again"},
    )


def test_a_live_lease_is_left_alone():
    job = job_enqueue(kind="tests.echo", params={})
    _claimed_by_dead_worker(job, expired=False)
    assert run_due(worker="host-b:2") == 0
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_owner) == (Job.Status.RUNNING, 1, "dead-host:9")


def test_a_worker_dying_on_the_last_attempt_fails_the_job():
    job = job_enqueue(kind="tests.echo", params={})
    _claimed_by_dead_worker(job, attempts=3)
    assert run_due(worker="host-b:2") == 0
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_until, job.result) == (Job.Status.FAILED, 3, None, {})
    assert "dead-host:9 stopped reporting" in job.error and "Gave up after 3 attempts" in job.error


def test_a_worker_that_was_taken_over_stops_and_stores_nothing():
    job = job_enqueue(kind="tests.taken_over", params={})
    assert run_due(worker="host-a:1") == 1
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.result, job.error) == (Job.Status.RUNNING, "other-machine:1", {}, "")
    assert job.progress_done == 0


@pytest.mark.parametrize(
    ("status", "done", "total", "percent"),
    [
        (Job.Status.QUEUED, 0, 0, 0),
        (Job.Status.RUNNING, 400, 12_000, 3),
        (Job.Status.RUNNING, 12_000, 12_000, 100),
        (Job.Status.RUNNING, 13_000, 12_000, 100),
        (Job.Status.FAILED, 5, 10, 50),
        (Job.Status.DONE, 0, 0, 100),
    ],
)
def test_percent_is_for_a_progress_bar(status, done, total, percent):
    assert Job(status=status, progress_done=done, progress_total=total).percent == percent
