"""`inminban jobs` lists, shows, retries and queues jobs; `inminban tick` runs what is due."""

import pytest
from django.core.management import CommandError, call_command

from inminban.jobs.models import Job
from inminban.jobs.services import job_enqueue, schedule_ensure

pytestmark = pytest.mark.django_db


def run(capsys, *args) -> str:
    call_command(*args)
    return capsys.readouterr().out


def test_jobs_lists_recent_jobs_with_status_and_progress(capsys):
    job = job_enqueue(kind="jobs.sleep", params={})
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, progress_done=400, progress_total=12_000, message="unit 400 of 12,000"
    )
    line = [row for row in run(capsys, "jobs").splitlines() if row.strip().startswith(str(job.pk))][0]
    assert "jobs.sleep" in line and "running" in line and "3%" in line and "unit 400 of 12,000" in line


def test_jobs_show_tells_everything_about_one_job(capsys):
    job = job_enqueue(kind="tests.fail", params={"reason": "no grain"}, dedupe_key="cycle:7")
    call_command("tick")
    output = run(capsys, "jobs", "show", str(job.pk))
    assert "tests.fail" in output and "RuntimeError: no grain" in output and "cycle:7" in output
    assert '{"reason": "no grain"}' in output and "1 of 3" in output


def test_jobs_show_of_a_missing_job_is_an_error():
    with pytest.raises(CommandError, match="not found"):
        call_command("jobs", "show", "999999")


def test_jobs_retry_queues_a_failed_job_again(capsys):
    job = job_enqueue(kind="tests.echo", params={"value": 1})
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, attempts=3, error="RuntimeError: boom")
    assert "queued again" in run(capsys, "jobs", "retry", str(job.pk))
    job.refresh_from_db()
    assert (job.status, job.attempts, job.finished_at) == (Job.Status.QUEUED, 0, None)
    call_command("tick")
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result, job.error) == (Job.Status.DONE, 1, {"echo": 1}, "")


def test_jobs_retry_refuses_a_job_that_did_not_fail():
    job = job_enqueue(kind="tests.echo", params={})
    with pytest.raises(CommandError, match="Only a failed job"):
        call_command("jobs", "retry", str(job.pk))
    assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED


def test_jobs_retry_refuses_while_another_job_holds_the_key():
    failed = job_enqueue(kind="tests.echo", params={}, dedupe_key="cycle:7")
    Job.objects.filter(pk=failed.pk).update(status=Job.Status.FAILED)
    job_enqueue(kind="tests.echo", params={}, dedupe_key="cycle:7")
    with pytest.raises(CommandError, match="dedupe_key"):
        call_command("jobs", "retry", str(failed.pk))
    assert Job.objects.get(pk=failed.pk).status == Job.Status.FAILED


def test_jobs_enqueue_queues_by_hand(capsys):
    output = run(capsys, "jobs", "enqueue", "jobs.sleep", "--params", '{"seconds": 0, "steps": 3}')
    job = Job.objects.get()
    assert f"Job {job.pk} (jobs.sleep) is queued." in output and job.params == {"seconds": 0, "steps": 3}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no.such_kind"], "kind"),
        (["jobs.sleep", "--params", "{seconds"], "params"),
        (["jobs.sleep", "--params", "[]"], "params"),
    ],
)
def test_jobs_enqueue_refuses_bad_input_and_writes_nothing(args, message, unchanged):
    with pytest.raises(CommandError, match=message):
        call_command("jobs", "enqueue", *args)


def test_jobs_schedules_lists_periodic_work(capsys):
    schedule_ensure(kind="tests.echo", interval_seconds=900)
    line = [row for row in run(capsys, "jobs", "schedules").splitlines() if "tests.echo" in row][0]
    assert "900 s" in line and "yes" in line


def test_tick_limit_runs_at_most_n_jobs(capsys):
    for _ in range(3):
        job_enqueue(kind="jobs.sleep", params={"seconds": 0})
    assert "ran 2 job(s)" in run(capsys, "tick", "--limit", "2")
    assert Job.objects.filter(status=Job.Status.DONE).count() == 2


def test_tick_is_quiet_when_nothing_is_due(capsys):
    assert run(capsys, "tick") == ""
    assert "ran 0 job(s)" in run(capsys, "tick", "-v", "2")


def test_tick_refuses_a_limit_below_one(unchanged):
    with pytest.raises(CommandError, match="--limit"):
        call_command("tick", "--limit", "0")
