"""The integrity scan, run by the project's one job mechanism (`inminban tick` / `inminban worker`)."""

from inminban.jobs.registry import job_handler, schedule_declare


@job_handler("integrity.scan")
def integrity_scan_job(job, progress) -> dict:
    """Look for every enabled pattern, set-based; safe to repeat (a flag is raised once per its records)."""
    from .scan import integrity_scan

    raised = integrity_scan(progress=progress)
    return {"raised": raised}


schedule_declare("integrity.scan", interval_seconds=3600)
