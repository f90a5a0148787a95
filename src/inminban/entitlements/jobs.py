"""The background job that computes a cycle (queued by `services.cycle_generate_request`)."""

from django.contrib.auth.models import User

from inminban.jobs.registry import job_handler

from . import services
from .models import Cycle


@job_handler("cycle.generate")
def cycle_generate_job(job, progress) -> dict:
    """Compute the cycle; a rerun after a killed worker resumes from the last range the previous attempt reported."""
    cycle = Cycle.objects.get(pk=job.params["cycle"])
    actor = User.objects.get(pk=job.params["actor"])
    cycle = services.cycle_generate(actor=actor, cycle=cycle, progress=progress, resume_from=job.progress_done)
    return {"households": cycle.households, "entitled": cycle.entitled, "denied": cycle.denied}


@job_handler("cycle.issue_vouchers")
def cycle_issue_vouchers_job(job, progress) -> dict:
    """Write the vouchers of a large approved cycle; a rerun resumes from the last range reported."""
    from .vouchers import cycle_vouchers_issue

    cycle = Cycle.objects.get(pk=job.params["cycle"])
    actor = User.objects.get(pk=job.params["actor"])
    written = cycle_vouchers_issue(actor=actor, cycle=cycle, progress=progress, resume_from=job.progress_done)
    return {"vouchers": written}
