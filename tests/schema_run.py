"""What every in-suite schemathesis run shares: bounded, deterministic examples and kept-open DB connections."""

from hypothesis import HealthCheck, Phase, settings

# Bounded and reproducible: the suite must stay fast and a failure must come back on the next run.
SCHEMA_RUN_SETTINGS = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
