"""Governance's scheduled work, run by the project's one job mechanism (`inminban tick` / `inminban worker`)."""

from inminban.jobs.registry import job_handler, schedule_declare


@job_handler("governance.votes_close")
def votes_close(job, progress) -> dict:
    """Close the consent and recall votes whose window has ended, and publish their results. Safe to run twice
    and from two processes at once: each vote is closed under a row lock, once."""
    from .votes import votes_close_due

    closed = votes_close_due()
    progress(1, 1, f"{closed} votes closed")
    return {"closed": closed}


schedule_declare("governance.votes_close", interval_seconds=300)


@job_handler("governance.petitions_escalate")
def petitions_escalate(job, progress) -> dict:
    """Send every open petition whose office let its deadline pass to the office above. Safe to run twice and from
    two processes at once: each petition moves by a conditional UPDATE, and only the process that moved it writes
    the escalation, the audit entry and the notifications."""
    from .petitions import petitions_escalate_due

    escalated = petitions_escalate_due()
    progress(1, 1, f"{escalated} petitions escalated")
    return {"escalated": escalated}


@job_handler("governance.petition_digest")
def petition_digest(job, progress) -> dict:
    """Tell officers how many of their office's open petitions are near (or past) their deadline, once a day."""
    from .petitions import petition_digest_send

    told = petition_digest_send()
    progress(1, 1, f"{told} officers told")
    return {"told": told}


schedule_declare("governance.petitions_escalate", interval_seconds=300)
# Every hour, though each officer is told once a day (the notification's key is the day): a missed or failed run
# is made up within the hour instead of the next day.
schedule_declare("governance.petition_digest", interval_seconds=3600)
