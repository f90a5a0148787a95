"""job_enqueue: a queued job due now; one active job per dedupe key, even when two callers race; bad input names
the field and writes nothing."""

from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from inminban.common.errors import DomainError
from inminban.jobs import services
from inminban.jobs.models import Job
from inminban.jobs.services import job_enqueue

pytestmark = pytest.mark.django_db


def test_enqueue_queues_a_job_due_now(cast):
    job = job_enqueue(kind="jobs.sleep", params={"seconds": 0}, actor=cast["officer-a"])
    job.refresh_from_db()
    assert (job.kind, job.params, job.status, job.attempts, job.max_attempts) == (
        "jobs.sleep",
        {"seconds": 0},
        Job.Status.QUEUED,
        0,
        3,
    )
    assert job.created_by == cast["officer-a"] and job.run_after <= timezone.now()
    assert (job.result, job.error, job.percent, job.lease_until, job.dedupe_key) == ({}, "", 0, None, None)


def test_enqueue_can_wait_until_later():
    later = timezone.now() + timedelta(hours=2)
    assert job_enqueue(kind="jobs.sleep", params={}, run_after=later).run_after == later


def test_same_dedupe_key_returns_the_queued_job():
    first = job_enqueue(kind="jobs.sleep", params={"seconds": 1}, dedupe_key="cycle:12")
    second = job_enqueue(kind="jobs.sleep", params={"seconds": 2}, dedupe_key="cycle:12")
    assert second.pk == first.pk and second.params == {"seconds": 1}
    assert Job.objects.filter(dedupe_key="cycle:12").count() == 1


def test_same_dedupe_key_returns_the_running_job():
    first = job_enqueue(kind="jobs.sleep", params={}, dedupe_key="cycle:12")
    Job.objects.filter(pk=first.pk).update(status=Job.Status.RUNNING)
    assert job_enqueue(kind="jobs.sleep", params={}, dedupe_key="cycle:12").pk == first.pk


@pytest.mark.parametrize("status", [Job.Status.DONE, Job.Status.FAILED])
def test_a_finished_job_frees_its_dedupe_key(status):
    first = job_enqueue(kind="jobs.sleep", params={}, dedupe_key="cycle:12")
    Job.objects.filter(pk=first.pk).update(status=status)
    second = job_enqueue(kind="jobs.sleep", params={}, dedupe_key="cycle:12")
    assert second.pk != first.pk and second.status == Job.Status.QUEUED


def test_different_dedupe_keys_and_no_key_queue_separate_jobs():
    keys = ["cycle:12", "cycle:13", None, None]
    assert len({job_enqueue(kind="jobs.sleep", params={}, dedupe_key=key).pk for key in keys}) == 4


def test_the_database_allows_one_active_job_per_dedupe_key():
    Job.objects.create(kind="jobs.sleep", dedupe_key="cycle:12")
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(kind="jobs.sleep", dedupe_key="cycle:12", status=Job.Status.RUNNING)


def test_losing_the_dedupe_race_returns_the_winner_and_keeps_the_callers_transaction(monkeypatch):
    winner = Job.objects.create(kind="jobs.sleep", dedupe_key="cycle:12")
    # As if the winner committed between the loser's look-up and its insert.
    lookups = iter([None, winner])
    monkeypatch.setattr(services, "job_active", lambda *, dedupe_key: next(lookups))
    with transaction.atomic():
        assert job_enqueue(kind="jobs.sleep", params={}, dedupe_key="cycle:12").pk == winner.pk
        assert Job.objects.filter(dedupe_key="cycle:12").count() == 1  # the transaction is still usable


def test_enqueue_in_the_callers_transaction_disappears_with_it():
    with pytest.raises(RuntimeError), transaction.atomic():
        job_enqueue(kind="jobs.sleep", params={}, dedupe_key="cycle:12")
        raise RuntimeError("the caller's service failed after queueing")
    assert not Job.objects.filter(dedupe_key="cycle:12").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "no.such_kind"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"params": ["seconds", 1]}, "params"),
        ({"params": {"when": object()}}, "params"),
        ({"dedupe_key": ""}, "dedupe_key"),
        ({"dedupe_key": "x" * 129}, "dedupe_key"),
        ({"run_after": datetime(2030, 1, 1, 12, 0)}, "run_after"),
        ({"run_after": "tomorrow"}, "run_after"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(changes, field, unchanged):
    with pytest.raises(DomainError) as error:
        job_enqueue(**({"kind": "jobs.sleep", "params": {}, "dedupe_key": "cycle:12"} | changes))
    assert error.value.field == field
