"""Writes about jobs and schedules: queueing work, retrying it, and registering periodic work.

These are bookkeeping, not domain changes, so they write no audit entries: the service that queues a job (a ration
cycle's, say) audits that itself, in its own transaction, and the job's handler audits the changes it makes."""

import json
import logging
import os
import re
from datetime import datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from inminban.common.errors import DomainError

from . import registry
from .models import Job, Schedule
from .selectors import job_active

logger = logging.getLogger(__name__)


def _require_known_kind(kind: str) -> None:
    if registry.handler_for(kind) is None:
        raise DomainError("kind", f"No job handler is registered for “{kind}”.")


def _checked_params(params) -> dict:
    if not isinstance(params, dict):
        raise DomainError("params", "Job parameters must be a JSON object.")
    try:
        json.dumps(params, cls=DjangoJSONEncoder)
    except (TypeError, ValueError) as error:
        raise DomainError("params", f"Job parameters must be JSON: {error}.") from None
    return params


def job_enqueue(
    *,
    kind: str,
    params: dict,
    actor=None,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
) -> Job:
    """Queue `kind` with `params` to run in the background (not before `run_after`). With a `dedupe_key`, a queued
    or running job with the same key is returned instead of queueing a second one.

    May be called inside the caller's transaction: the job is then claimable once that transaction commits, and
    disappears with it if it rolls back."""
    _require_known_kind(kind)
    params = _checked_params(params)
    if dedupe_key is not None and not (
        isinstance(dedupe_key, str) and 0 < len(dedupe_key) <= Job._meta.get_field("dedupe_key").max_length
    ):
        raise DomainError("dedupe_key", "A dedupe key is a text of 1 to 128 characters.")
    if run_after is not None and (not isinstance(run_after, datetime) or timezone.is_naive(run_after)):
        raise DomainError("run_after", "Give a date and time with its time zone.")
    if dedupe_key is not None:
        existing = job_active(dedupe_key=dedupe_key)
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        params=params,
        dedupe_key=dedupe_key,
        run_after=run_after or timezone.now(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    try:
        # A savepoint, so that losing the race below leaves the caller's transaction usable. No full_clean: its
        # unique check would race; the database's constraint decides.
        with transaction.atomic():
            job.save()
    except IntegrityError:
        existing = job_active(dedupe_key=dedupe_key) if dedupe_key is not None else None
        if existing is None:
            raise
        return existing
    return job


@transaction.atomic
def job_retry(*, job: Job) -> Job:
    """Queue a failed job again, now, with a fresh allowance of attempts (after its cause was fixed)."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.status != Job.Status.FAILED:
        raise DomainError("status", "Only a failed job can be retried.")
    if job.dedupe_key is not None:
        other = job_active(dedupe_key=job.dedupe_key)
        if other is not None:
            raise DomainError("dedupe_key", f"Job {other.pk} with the same key is already queued or running.")
    job.status = Job.Status.QUEUED
    job.attempts = 0
    job.run_after = timezone.now()
    job.lease_until = None
    job.finished_at = None
    try:
        with transaction.atomic():
            job.save(update_fields=["status", "attempts", "run_after", "lease_until", "finished_at"])
    except IntegrityError:  # a job with the same key was queued meanwhile
        raise DomainError("dedupe_key", "Another job with the same key is already queued or running.") from None
    return job


# Schedules -----------------------------------------------------------------------------------------------------


def schedule_override_variable(kind: str) -> str:
    """INMINBAN_SCHEDULE_AUDIT_CHECKPOINT for audit.checkpoint: seconds between runs, 0 to switch it off."""
    return "INMINBAN_SCHEDULE_" + re.sub(r"[^A-Z0-9]", "_", kind.upper())


def _interval_override(kind: str) -> int | None:
    name = schedule_override_variable(kind)
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise DomainError("interval_seconds", f"{name} must be a whole number of seconds (0 switches it off).")
    return int(value)


def schedule_ensure(*, kind: str, interval_seconds: int, params: dict | None = None) -> Schedule:
    """Make sure `kind` runs every `interval_seconds` (first at the next tick). An existing schedule keeps what the
    data says (operators may change its interval or disable it); INMINBAN_SCHEDULE_<KIND> overrides both."""
    _require_known_kind(kind)
    if not isinstance(interval_seconds, int) or isinstance(interval_seconds, bool) or interval_seconds < 1:
        raise DomainError("interval_seconds", "The interval is a whole number of seconds, at least 1.")
    params = _checked_params({} if params is None else params)
    override = _interval_override(kind)
    now = timezone.now()
    schedule = Schedule.objects.filter(kind=kind).first()
    if schedule is None:
        schedule = Schedule(
            kind=kind,
            params=params,
            interval_seconds=override or interval_seconds,
            enabled=override != 0,
            next_run_at=now,
        )
        try:
            with transaction.atomic():
                schedule.save()
        except IntegrityError:  # another tick registered it first
            schedule = Schedule.objects.get(kind=kind)
    if override == 0 and schedule.enabled:
        schedule.enabled = False
        schedule.save(update_fields=["enabled"])
    elif override and (schedule.interval_seconds != override or not schedule.enabled):
        schedule.interval_seconds = override
        schedule.enabled = True
        schedule.next_run_at = min(schedule.next_run_at, now + timedelta(seconds=override))
        schedule.save(update_fields=["interval_seconds", "enabled", "next_run_at"])
    return schedule


def schedules_ensure_declared() -> list[Schedule]:
    """The schedules apps declared with `registry.schedule_declare`, created where missing."""
    schedules = []
    for item in registry.declared_schedules():
        try:
            schedule = schedule_ensure(kind=item.kind, interval_seconds=item.interval_seconds, params=item.params)
        except DomainError as error:  # a bad override must not stop the other schedules and the queued jobs
            logger.error("Schedule %s not registered: %s", item.kind, error)
            continue
        schedules.append(schedule)
    return schedules


@transaction.atomic
def schedule_fire(*, schedule: Schedule, now: datetime) -> Job | None:
    """Queue the run of `schedule` that was due at its `next_run_at`, and move `next_run_at` on to the first run
    after `now` (runs missed while nothing ticked are not made up). None if another tick fired it first.

    The conditional UPDATE decides between ticks racing on several machines: only the one that still finds the
    `next_run_at` it read moves it on and queues the job."""
    if not schedule.enabled or schedule.next_run_at > now:
        return None
    interval = timedelta(seconds=schedule.interval_seconds)
    next_run_at = schedule.next_run_at + interval * ((now - schedule.next_run_at) // interval + 1)
    won = Schedule.objects.filter(pk=schedule.pk, enabled=True, next_run_at=schedule.next_run_at).update(
        next_run_at=next_run_at
    )
    if not won:
        return None
    schedule.next_run_at = next_run_at
    try:
        return job_enqueue(kind=schedule.kind, params=schedule.params, dedupe_key=schedule.dedupe_key)
    except DomainError as error:  # e.g. the app that handled it was removed: say so, and try again next time
        logger.warning("Schedule %s queued nothing: %s", schedule.kind, error)
        return None


def schedules_fire_due(*, now: datetime | None = None) -> list[Job]:
    """Queue a job for every enabled schedule that is due."""
    now = now or timezone.now()
    jobs = []
    for schedule in Schedule.objects.filter(enabled=True, next_run_at__lte=now):
        job = schedule_fire(schedule=schedule, now=now)
        if job is not None:
            jobs.append(job)
    return jobs
