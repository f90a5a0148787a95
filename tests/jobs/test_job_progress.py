"""Progress: a handler's progress call saves how far it is and renews the lease, only while its worker holds it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inminban.jobs.models import Job
from inminban.jobs.registry import LeaseLost, Progress
from inminban.jobs.services import job_enqueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_job() -> Job:
    job = job_enqueue(kind="jobs.sleep", params={})
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, lease_owner="host-a:1", lease_until=timezone.now() + timedelta(seconds=1)
    )
    job.refresh_from_db()
    return job


def test_progress_is_saved_and_renews_the_lease(running_job, monkeypatch):
    monkeypatch.setenv("INMINBAN_JOB_LEASE_SECONDS", "300")
    before = timezone.now()
    Progress(job=running_job, worker="host-a:1")(400, 12_000, "unit 400 of 12,000")
    job = Job.objects.get(pk=running_job.pk)
    assert (job.progress_done, job.progress_total, job.message, job.percent) == (400, 12_000, "unit 400 of 12,000", 3)
    assert before + timedelta(seconds=300) <= job.lease_until <= timezone.now() + timedelta(seconds=300)
    assert running_job.progress_done == 400  # the handler's copy follows


def test_a_long_message_is_cut_to_fit(running_job):
    Progress(job=running_job, worker="host-a:1")(1, 2, "가" * 500)
    assert Job.objects.get(pk=running_job.pk).message == "가" * 200


def test_progress_of_a_worker_that_lost_the_lease_raises_and_saves_nothing(running_job):
    with pytest.raises(LeaseLost):
        Progress(job=running_job, worker="host-b:2")(5, 10)
    job = Job.objects.get(pk=running_job.pk)
    assert (job.progress_done, job.progress_total, job.lease_until) == (0, 0, running_job.lease_until)


@pytest.mark.parametrize(("done", "total"), [(-1, 10), (1, -10), (1.5, 10), ("1", 10)])
def test_progress_takes_non_negative_whole_numbers(running_job, done, total):
    with pytest.raises(ValueError):
        Progress(job=running_job, worker="host-a:1")(done, total)
    assert Job.objects.get(pk=running_job.pk).progress_done == 0
