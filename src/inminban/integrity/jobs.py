"""The integrity scan, run by the project's one job mechanism (`inminban tick` / `inminban worker`)."""

from inminban.jobs.registry import job_handler, schedule_declare


@job_handler("integrity.scan")
def integrity_scan_job(job, progress) -> dict:
    """Look for every enabled pattern in the records of the last INTEGRITY_SCAN_DAYS days, set-based; safe to repeat
    (a flag is raised once per its records). Hourly, so each record is looked at by hundreds of scans while it is
    inside the window."""
    from .scan import default_days, integrity_scan

    days = default_days()
    raised = integrity_scan(days=days, progress=progress)
    return {"raised": raised, "days": days}


schedule_declare("integrity.scan", interval_seconds=3600)
