"""Reads of jobs and schedules. Jobs carry no area scope: pages show a job through the object it works for (a ration
cycle shows the job that generates it), after checking that the actor may see that object."""

from django.db.models import QuerySet

from inminban.common.errors import NotVisible

from .models import ACTIVE_STATUSES, Job, Schedule


def job_get(pk: int) -> Job:
    try:
        return Job.objects.select_related("created_by").get(pk=pk)
    except (Job.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"job {pk} not found") from None


def jobs_recent(limit: int = 50, *, kind: str | None = None, status: str | None = None) -> QuerySet[Job]:
    """The newest jobs first, optionally of one kind or status."""
    jobs = Job.objects.select_related("created_by").order_by("-created_at", "-pk")
    if kind:
        jobs = jobs.filter(kind=kind)
    if status:
        jobs = jobs.filter(status=status)
    return jobs[:limit]


def job_active(*, dedupe_key: str) -> Job | None:
    """The queued or running job for a key (e.g. "cycle:12"), if any: what a page shows as work in progress."""
    return Job.objects.filter(dedupe_key=dedupe_key, status__in=ACTIVE_STATUSES).first()


def job_latest(*, dedupe_key: str) -> Job | None:
    """The newest job for a key in any state: in progress, or how the last run ended."""
    return Job.objects.filter(dedupe_key=dedupe_key).order_by("-created_at", "-pk").first()


def schedules_all() -> QuerySet[Schedule]:
    return Schedule.objects.order_by("kind")
