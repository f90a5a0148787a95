"""The synthetic population's background work: checking a national load's rows against its foreign keys."""

from inminban.jobs.registry import job_handler

from .bulk_schema import validate_constraints


@job_handler("synth.validate_foreign_keys")
def validate_foreign_keys(job, progress) -> dict:
    """VALIDATE CONSTRAINT for each foreign key a large `generate` restored NOT VALID (resumes where it stopped)."""
    constraints = [tuple(pair) for pair in job.params["constraints"]]
    validated = validate_constraints(constraints, progress)
    return {"city": job.params.get("city"), "constraints": len(constraints), "validated_now": validated}
