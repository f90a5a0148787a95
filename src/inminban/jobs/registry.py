"""Which job kinds exist, and the progress reporter their handlers get.

An app registers its handlers in its own `jobs.py` and imports that module from its `AppConfig.ready()`, so every
process (web, `inminban tick`, `inminban worker`) knows every kind:

    # entitlements/jobs.py
    from inminban.jobs.registry import job_handler, schedule_declare

    @job_handler("cycle.generate")
    def cycle_generate(job, progress):
        cycle = Cycle.objects.get(pk=job.params["cycle"])
        for index, chunk in enumerate(chunks, start=1):
            with transaction.atomic():      # the handler commits its own work, chunk by chunk
                ...
            progress(index, len(chunks), f"unit {index:,} of {len(chunks):,}")   # outside the chunk's transaction
        return {"vouchers": count}          # stored as job.result

    schedule_declare("integrity.scan", interval_seconds=3600)

    # entitlements/apps.py
    class EntitlementsConfig(AppConfig):
        def ready(self):
            from . import jobs  # noqa: F401  (registers the handlers)

A handler may run more than once for the same job (retried after an error, or taken over after its worker died),
so it must be safe to rerun: skip what is already written, or resume from `job.progress_done`, which holds the last
progress the previous attempt reported."""

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .models import Job

Handler = Callable[[Job, "Progress"], dict | None]

DEFAULT_LEASE_SECONDS = 120

_handlers: dict[str, Handler] = {}
_schedules: dict[str, "ScheduleDeclaration"] = {}


class LeaseLost(Exception):
    """Raised by a progress call when another worker has taken the job over (this worker was presumed dead): the
    handler should stop, and its result will not be recorded."""


def lease_seconds() -> int:
    """How long a claim lasts without a progress report. Read on every use, so a test or a worker's environment
    can shorten it."""
    return int(os.environ.get("INMINBAN_JOB_LEASE_SECONDS") or DEFAULT_LEASE_SECONDS)


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register `fn(job, progress) -> dict | None` as the handler of `kind`; the returned dict becomes job.result."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+", kind) or len(kind) > 64:
        raise ImproperlyConfigured(f"Job kind {kind!r} must look like app.action (lower case, at most 64 characters).")

    def register(fn: Handler) -> Handler:
        existing = _handlers.get(kind)
        if existing is not None and _qualified_name(existing) != _qualified_name(fn):
            raise ImproperlyConfigured(f"Job kind {kind!r} is already handled by {_qualified_name(existing)}.")
        _handlers[kind] = fn
        return fn

    return register


def handler_for(kind: str) -> Handler | None:
    return _handlers.get(kind)


def kinds() -> list[str]:
    return sorted(_handlers)


def _qualified_name(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


@dataclass(frozen=True)
class ScheduleDeclaration:
    kind: str
    interval_seconds: int
    params: dict = field(default_factory=dict)


def schedule_declare(kind: str, *, interval_seconds: int, params: dict | None = None) -> None:
    """Ask for `kind` to run every `interval_seconds`. Nothing is written at import time: every tick ensures the
    declared schedules exist (`services.schedule_ensure`); the interval given here is only the default for a new
    schedule, which operators may change in the data or override with INMINBAN_SCHEDULE_<KIND>."""
    _schedules[kind] = ScheduleDeclaration(kind=kind, interval_seconds=interval_seconds, params=dict(params or {}))


def declared_schedules() -> list[ScheduleDeclaration]:
    return list(_schedules.values())


class Progress:
    """Given to a handler: `progress(done, total, message="")` saves how far it is and renews the worker's lease.

    Each call is one UPDATE of the job row. Call it between chunks, outside the handler's own transactions, so that
    it commits at once (inside a transaction it is only seen when that transaction commits). Call it at least once a
    lease period (INMINBAN_JOB_LEASE_SECONDS) or another worker will presume this one dead and take the job over."""

    def __init__(self, *, job: Job, worker: str):
        self.job = job
        self.worker = worker

    def __call__(self, done: int, total: int, message: str = "") -> None:
        if not isinstance(done, int) or not isinstance(total, int) or done < 0 or total < 0:
            raise ValueError(f"progress needs non-negative whole numbers, not {done!r} of {total!r}")
        message = str(message)[: Job._meta.get_field("message").max_length]
        lease_until = timezone.now() + timedelta(seconds=lease_seconds())
        updated = Job.objects.filter(pk=self.job.pk, status=Job.Status.RUNNING, lease_owner=self.worker).update(
            progress_done=done, progress_total=total, message=message, lease_until=lease_until
        )
        if updated != 1:
            raise LeaseLost(f"job {self.job.pk} is no longer held by {self.worker}")
        self.job.progress_done, self.job.progress_total, self.job.message = done, total, message
        self.job.lease_until = lease_until
