"""The API app's scheduled work: expired Idempotency-Keys are deleted once an hour."""

from inminban.jobs.registry import job_handler, schedule_declare

from .idempotency import idempotency_keys_purge


@job_handler("api.idempotency_purge")
def idempotency_purge(job, progress) -> dict:
    deleted = idempotency_keys_purge()
    progress(1, 1, f"{deleted} expired keys deleted")
    return {"deleted": deleted}


schedule_declare("api.idempotency_purge", interval_seconds=3600)
