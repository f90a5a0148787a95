"""Background and scheduled work as rows: a job table that `inminban tick` (cron, systemd timer, `inminban worker` or
the thread inside `inminban serve`) works through, on as many machines as like, each job by one worker at a time.

A worker claims a job with a conditional UPDATE and holds a lease on it that every progress report renews; a job
whose worker died is claimed again once its lease has expired."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ACTIVE_STATUSES = ("queued", "running")


class Job(models.Model):
    """One piece of background work: a registered handler (`kind`) with its parameters, its progress while it runs
    and its result or error afterwards. Shown to people through the object it works for (a ration cycle shows the
    job that generates it), so it has no area scope of its own."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=64, help_text=_("Name of the registered handler, e.g. cycle.generate."))
    params = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    message = models.CharField(max_length=200, blank=True, help_text=_("Where it is, e.g. unit 400 of 12,000."))
    result = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(blank=True, help_text=_("Why the last attempt failed."))
    attempts = models.PositiveIntegerField(default=0, help_text=_("How many times a worker has claimed it."))
    max_attempts = models.PositiveIntegerField(default=3)
    run_after = models.DateTimeField(default=timezone.now, help_text=_("Not claimed before this time."))
    lease_owner = models.CharField(max_length=128, blank=True, help_text=_("The worker that claimed it last."))
    lease_until = models.DateTimeField(null=True, blank=True, help_text=_("Another worker may take it over after."))
    dedupe_key = models.CharField(
        max_length=128, null=True, blank=True, help_text=_("At most one queued or running job per key, e.g. cycle:12.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True, help_text=_("When the last attempt started."))
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(dedupe_key__isnull=False, status__in=ACTIVE_STATUSES),
                name="one_active_job_per_dedupe_key",
            ),
        ]
        indexes = [models.Index(fields=["status", "run_after"], name="jobs_job_due")]

    def __str__(self) -> str:
        return f"job {self.pk} {self.kind} ({self.status})"

    @property
    def percent(self) -> int:
        """0–100 for a progress bar; a finished job is 100 whatever its handler last reported."""
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Schedule(models.Model):
    """Periodic work as data: every `interval_seconds` the runner queues one job of `kind` with `params`. Apps
    register theirs with `schedule_declare` (see `inminban.jobs.registry`); operators may change the interval or
    disable a schedule here, or override it with the environment variable INMINBAN_SCHEDULE_<KIND>."""

    kind = models.CharField(max_length=64, unique=True)
    params = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    interval_seconds = models.PositiveIntegerField()
    next_run_at = models.DateTimeField(default=timezone.now)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind"]
        constraints = [models.CheckConstraint(name="schedule_interval_positive", condition=Q(interval_seconds__gt=0))]

    def __str__(self) -> str:
        return f"{self.kind} every {self.interval_seconds} s"

    @property
    def dedupe_key(self) -> str:
        """The jobs it queues share this key, so a run that outlasts the interval is not queued a second time."""
        return f"schedule:{self.kind}"
