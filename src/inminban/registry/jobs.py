"""The registry's scheduled work: the guests' details of stays past their retention are erased once a day."""

from inminban.jobs.registry import job_handler, schedule_declare


@job_handler("registry.stays_purge")
def stays_purge_job(job, progress) -> dict:
    from .stays import stays_purge

    purged = stays_purge()
    progress(1, 1, f"{purged} stays purged")
    return {"purged": purged}


schedule_declare("registry.stays_purge", interval_seconds=24 * 3600)
