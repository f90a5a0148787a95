"""Claiming and running due jobs: what `inminban tick`, `inminban worker` and the thread in `inminban serve` do.

Any number of these may run at once on any number of machines against one database. Every claim is one conditional
UPDATE that only succeeds while the job is still claimable (queued and due, or running with an expired lease), so
exactly one worker wins each job; the winner holds a lease that its handler's progress calls renew. Finishing or
failing a job is conditional on still holding that lease, so a worker that was presumed dead and taken over cannot
overwrite the new worker's outcome. Leases are compared with each machine's own clock: keep clocks in sync (NTP)."""

import json
import logging
import os
import socket
import threading
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connection
from django.db.models import F, Q
from django.utils import timezone

from . import registry, services
from .models import Job
from .registry import LeaseLost, Progress, lease_seconds

logger = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 60
MAX_RETRY_DELAY = timedelta(hours=1)
MAX_ERROR_LENGTH = 4000
# Workers racing for the head of the queue each read a few candidates; a lost claim moves on to the next one.
CANDIDATES = 20


def worker_name(suffix: str = "") -> str:
    """A name unique to this process (host and pid), which the leases it takes carry."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}{suffix}"


def retry_delay(attempts: int) -> timedelta:
    """Back-off before attempt `attempts + 1`: INMINBAN_JOB_RETRY_SECONDS (default 60), doubling, at most an hour."""
    base = int(os.environ.get("INMINBAN_JOB_RETRY_SECONDS") or DEFAULT_RETRY_SECONDS)
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


def run_due(*, worker: str, limit: int | None = None) -> int:
    """Queue the jobs of due schedules, then claim and run due jobs one after another (at most `limit`), including
    running jobs whose worker stopped renewing its lease. Returns how many it ran. A failing handler never makes
    this raise: the job is queued again with a back-off, or marked failed after its last attempt."""
    services.schedules_ensure_declared()
    services.schedules_fire_due()
    ran = 0
    while limit is None or ran < limit:
        job = _claim_next(worker=worker)
        if job is None:
            break
        _run(job=job, worker=worker)
        ran += 1
    return ran


def _claim_next(*, worker: str) -> Job | None:
    while True:
        now = timezone.now()
        due = Q(status=Job.Status.QUEUED, run_after__lte=now) | Q(status=Job.Status.RUNNING, lease_until__lt=now)
        candidates = list(
            Job.objects.filter(due)
            .order_by("run_after", "pk")
            .values("pk", "status", "attempts", "max_attempts", "lease_owner", "lease_until")[:CANDIDATES]
        )
        if not candidates:
            return None
        for candidate in candidates:
            if candidate["status"] == Job.Status.QUEUED:
                claimable = Q(status=Job.Status.QUEUED, run_after__lte=now)
                takeover_note = {}
            elif candidate["attempts"] >= candidate["max_attempts"]:
                _give_up(candidate=candidate, now=now)
                continue
            else:
                # Still the same expired lease: nobody else took it over since we read it.
                claimable = Q(status=Job.Status.RUNNING, lease_until=candidate["lease_until"])
                takeover_note = {"error": _lease_expired_text(candidate)}
            claimed = Job.objects.filter(claimable, pk=candidate["pk"], attempts__lt=F("max_attempts")).update(
                status=Job.Status.RUNNING,
                lease_owner=worker,
                lease_until=now + timedelta(seconds=lease_seconds()),
                attempts=F("attempts") + 1,
                started_at=now,
                finished_at=None,
                **takeover_note,
            )
            if claimed == 1:
                return Job.objects.get(pk=candidate["pk"])


def _lease_expired_text(candidate: dict) -> str:
    return (
        f"Worker {candidate['lease_owner']} stopped reporting on attempt {candidate['attempts']}; "
        f"its lease expired at {candidate['lease_until'].isoformat(timespec='seconds')}."
    )


def _give_up(*, candidate: dict, now) -> None:
    """A job whose worker died on its last allowed attempt fails instead of being taken over again."""
    Job.objects.filter(pk=candidate["pk"], status=Job.Status.RUNNING, lease_until=candidate["lease_until"]).update(
        status=Job.Status.FAILED,
        lease_until=None,
        finished_at=now,
        error=_lease_expired_text(candidate) + f" Gave up after {candidate['attempts']} attempts.",
    )


def _run(*, job: Job, worker: str) -> None:
    progress = Progress(job=job, worker=worker)
    try:
        handler = registry.handler_for(job.kind)
        if handler is None:
            raise LookupError(f"No job handler is registered for “{job.kind}” in this process.")
        result = handler(job, progress)
        result = {} if result is None else result
        if not isinstance(result, dict):
            raise TypeError(f"The handler returned {type(result).__name__}, not a dict.")
        json.dumps(result, cls=DjangoJSONEncoder)
    except LeaseLost:
        logger.warning("Job %s (%s) was taken over by another worker; %s stopped it.", job.pk, job.kind, worker)
        return
    except Exception as error:
        logger.exception("Job %s (%s) failed on attempt %s of %s.", job.pk, job.kind, job.attempts, job.max_attempts)
        _fail(job=job, worker=worker, error=error)
        return
    finished = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, lease_owner=worker).update(
        status=Job.Status.DONE, result=result, error="", lease_until=None, finished_at=timezone.now()
    )
    if finished != 1:
        logger.warning("Job %s (%s) was taken over while %s finished it; result dropped.", job.pk, job.kind, worker)


def _fail(*, job: Job, worker: str, error: Exception) -> None:
    now = timezone.now()
    text = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
    if job.attempts < job.max_attempts:
        changes = {"status": Job.Status.QUEUED, "run_after": now + retry_delay(job.attempts)}
    else:
        changes = {"status": Job.Status.FAILED, "finished_at": now}
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, lease_owner=worker).update(
        error=text, lease_until=None, **changes
    )


def work(*, worker: str, stop: threading.Event, interval: float = 2.0) -> int:
    """Tick until `stop` is set, pausing `interval` seconds whenever nothing is due; `stop` is looked at between
    jobs, so a job in hand is finished first. A failing tick (the database is away) is logged and tried again.
    Returns how many jobs ran."""
    ran = 0
    while not stop.is_set():
        close_old_connections()  # a connection broken since the last tick is replaced, not reused
        try:
            while not stop.is_set() and run_due(worker=worker, limit=1):
                ran += 1
        except Exception:
            logger.exception("Tick by %s failed; trying again in %s s.", worker, interval)
        stop.wait(interval)
    return ran


def worker_thread_start(*, worker: str, interval: float = 2.0) -> tuple[threading.Thread, threading.Event]:
    """`work` in a daemon thread (for `inminban serve`); set the returned event to stop it after the job in hand."""
    stop = threading.Event()

    def target() -> None:
        try:
            work(worker=worker, stop=stop, interval=interval)
        finally:
            connection.close()

    thread = threading.Thread(target=target, name="inminban-jobs", daemon=True)
    thread.start()
    return thread, stop
