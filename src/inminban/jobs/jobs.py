"""The jobs app's own handler: harmless work for operations and tests (`inminban jobs enqueue jobs.sleep`)."""

import time

from .registry import job_handler


@job_handler("jobs.sleep")
def sleep(job, progress) -> dict:
    """Sleep `seconds` (default 1) in `steps` equal steps (default 1), reporting progress after each step. Taken over
    after its worker died, it resumes after the last step that worker reported, as a resumable handler should."""
    seconds = float(job.params.get("seconds", 1))
    steps = int(job.params.get("steps", 1))
    if not (0 <= seconds <= 24 * 3600 and 1 <= steps <= 100_000):
        raise ValueError("jobs.sleep takes 0 to 86400 seconds in 1 to 100000 steps.")
    start = job.progress_done if job.progress_total == steps else 0
    for step in range(start + 1, steps + 1):
        time.sleep(seconds / steps)
        progress(step, steps, f"step {step} of {steps}")
    return {"steps": steps, "resumed_from": start, "worker": progress.worker}
