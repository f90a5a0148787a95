"""The audit log's scheduled work: a signed checkpoint every hour (INMINBAN_SCHEDULE_AUDIT_CHECKPOINT: seconds)."""

from inminban.jobs.registry import job_handler, schedule_declare

from .services import audit_checkpoint


@job_handler("audit.checkpoint")
def checkpoint(job, progress) -> dict:
    made = audit_checkpoint()
    progress(1, 1, f"checkpoint at entry {made.size}" if made else "no new entries")
    return {"size": made.size, "root": made.root_hash} if made else {"size": None}


schedule_declare("audit.checkpoint", interval_seconds=3600)
