"""Schedules: registered once, kept as the data says unless the environment overrides them; a due schedule queues
exactly one job per interval even when ticks race, and next_run_at moves on past missed runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inminban.common.errors import DomainError
from inminban.jobs import registry
from inminban.jobs.models import Job, Schedule
from inminban.jobs.registry import ScheduleDeclaration
from inminban.jobs.runner import run_due
from inminban.jobs.services import schedule_ensure, schedule_fire, schedules_fire_due

pytestmark = pytest.mark.django_db

HOUR = 3600


@pytest.fixture(autouse=True)
def no_overrides(monkeypatch):
    monkeypatch.delenv("INMINBAN_SCHEDULE_TESTS_ECHO", raising=False)


def test_ensure_registers_a_schedule_due_at_once_and_only_once():
    first = schedule_ensure(kind="tests.echo", interval_seconds=HOUR, params={"value": 1})
    second = schedule_ensure(kind="tests.echo", interval_seconds=HOUR, params={"value": 1})
    assert first.pk == second.pk and Schedule.objects.filter(kind="tests.echo").count() == 1
    assert (first.interval_seconds, first.params, first.enabled) == (HOUR, {"value": 1}, True)
    assert first.next_run_at <= timezone.now()


def test_an_existing_schedule_keeps_what_operators_set():
    schedule = schedule_ensure(kind="tests.echo", interval_seconds=HOUR)
    Schedule.objects.filter(pk=schedule.pk).update(interval_seconds=600, enabled=False)
    schedule = schedule_ensure(kind="tests.echo", interval_seconds=HOUR)
    assert (schedule.interval_seconds, schedule.enabled) == (600, False)


def test_the_environment_overrides_the_interval(monkeypatch):
    schedule = schedule_ensure(kind="tests.echo", interval_seconds=HOUR)
    Schedule.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now() + timedelta(seconds=HOUR))
    monkeypatch.setenv("INMINBAN_SCHEDULE_TESTS_ECHO", "300")
    schedule_ensure(kind="tests.echo", interval_seconds=HOUR)
    schedule = Schedule.objects.get(kind="tests.echo")
    assert (schedule.interval_seconds, schedule.enabled) == (300, True)
    assert schedule.next_run_at <= timezone.now() + timedelta(seconds=300)  # the shorter interval counts at once


def test_zero_in_the_environment_switches_a_schedule_off(monkeypatch):
    monkeypatch.setenv("INMINBAN_SCHEDULE_TESTS_ECHO", "0")
    schedule = schedule_ensure(kind="tests.echo", interval_seconds=HOUR)
    assert (schedule.interval_seconds, schedule.enabled) == (HOUR, False)
    assert schedules_fire_due() == [] and not Job.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "no.such_kind"}, "kind"),
        ({"interval_seconds": 0}, "interval_seconds"),
        ({"interval_seconds": -60}, "interval_seconds"),
        ({"interval_seconds": "60"}, "interval_seconds"),
        ({"interval_seconds": 1.5}, "interval_seconds"),
        ({"params": ["value", 1]}, "params"),
    ],
)
def test_bad_schedules_name_the_field_and_write_nothing(changes, field, unchanged):
    with pytest.raises(DomainError) as error:
        schedule_ensure(**({"kind": "tests.echo", "interval_seconds": HOUR} | changes))
    assert error.value.field == field


def test_a_bad_override_names_the_variable_and_writes_nothing(monkeypatch, unchanged):
    monkeypatch.setenv("INMINBAN_SCHEDULE_TESTS_ECHO", "every hour")
    with pytest.raises(DomainError) as error:
        schedule_ensure(kind="tests.echo", interval_seconds=HOUR)
    assert error.value.field == "interval_seconds" and "INMINBAN_SCHEDULE_TESTS_ECHO" in error.value.message


def test_a_due_schedule_becomes_a_job_that_runs_and_next_run_at_advances():
    schedule = schedule_ensure(kind="tests.echo", interval_seconds=HOUR, params={"value": "scheduled"})
    due_at = schedule.next_run_at
    assert run_due(worker="host-a:1") == 1
    job = Job.objects.get(kind="tests.echo")
    assert (job.status, job.result, job.dedupe_key) == (Job.Status.DONE, {"echo": "scheduled"}, "schedule:tests.echo")
    assert Schedule.objects.get(pk=schedule.pk).next_run_at == due_at + timedelta(seconds=HOUR)
    assert run_due(worker="host-a:1") == 0 and Job.objects.count() == 1


def test_two_ticks_racing_on_one_due_schedule_queue_one_job():
    schedule_ensure(kind="tests.echo", interval_seconds=HOUR)
    now = timezone.now()
    # Both ticks read the schedule before either moved it on.
    seen_by_first, seen_by_second = Schedule.objects.get(kind="tests.echo"), Schedule.objects.get(kind="tests.echo")
    job = schedule_fire(schedule=seen_by_first, now=now)
    assert job is not None and schedule_fire(schedule=seen_by_second, now=now) is None
    assert list(Job.objects.values_list("pk", flat=True)) == [job.pk]
    assert Schedule.objects.get(kind="tests.echo").next_run_at > now


def test_missed_runs_are_not_made_up():
    schedule = schedule_ensure(kind="tests.echo", interval_seconds=HOUR)
    now = timezone.now()
    due_at = now - timedelta(seconds=3.5 * HOUR)
    Schedule.objects.filter(pk=schedule.pk).update(next_run_at=due_at)
    assert len(schedules_fire_due(now=now)) == 1
    assert Schedule.objects.get(pk=schedule.pk).next_run_at == due_at + timedelta(seconds=4 * HOUR)
    assert Job.objects.count() == 1


def test_a_run_outlasting_its_interval_is_not_queued_twice():
    schedule = schedule_ensure(kind="tests.echo", interval_seconds=60)
    first = schedules_fire_due()[0]
    Schedule.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now() - timedelta(seconds=1))
    assert [job.pk for job in schedules_fire_due()] == [first.pk]
    assert Job.objects.count() == 1


def test_a_disabled_schedule_queues_nothing():
    schedule = schedule_ensure(kind="tests.echo", interval_seconds=HOUR)
    Schedule.objects.filter(pk=schedule.pk).update(enabled=False)
    assert run_due(worker="host-a:1") == 0 and not Job.objects.exists()


def test_declared_schedules_are_registered_and_run_by_the_tick(monkeypatch):
    declaration = ScheduleDeclaration(kind="tests.echo", interval_seconds=HOUR, params={"value": "declared"})
    monkeypatch.setattr(registry, "_schedules", {"tests.echo": declaration})
    assert run_due(worker="host-a:1") == 1
    schedule = Schedule.objects.get(kind="tests.echo")
    assert (schedule.interval_seconds, schedule.params) == (HOUR, {"value": "declared"})
    assert Job.objects.get().result == {"echo": "declared"}
