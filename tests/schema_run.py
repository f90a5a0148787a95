"""What every in-suite schemathesis run shares: which run covers which tags, the checks, and bounded examples.

Every operation of the API belongs to exactly one per-app run (`RUNS`, checked by tests/api/test_schema.py), each
with fixtures that give the generated requests something to find; tests/api/test_schema_stateful.py then chains
operations across apps on the links schemathesis infers. All of them check the status code, the content type, the
headers and the body of every answer against the document, not only that nothing answered 5xx."""

import json

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from ninja.responses import NinjaJSONEncoder
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from inminban.api.v1 import api
from inminban.wsgi import application

API = "/api/v1"

# The tags each per-app run includes; together they are every tag of the document, each in one run.
RUNS = {
    "registry": ["me", "areas", "dwellings", "households", "persons", "memberships", "moves"],
    "duties": ["directives", "campaigns", "levies", "shares", "duties"],
    "stamps": ["stamps"],
    "entitlements": ["entitlements"],
    "distribution": ["counters", "vouchers", "redemptions"],
    "clearances": ["clearances", "appeals"],
    "votes": ["nominations", "votes", "governance-rules"],
    "petitions": ["petitions"],
    "governance": ["feedback-reports", "notifications"],
    "stays": ["stays", "stay-rules"],
    "health": ["health-checks"],
    "integrity": ["integrity-flags", "detection-rules"],
}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Budget: about 100 operations, each called for every bearer of its run (2–3) on each example; 10–15 examples per
# operation keep the four runs to about two minutes on SQLite, and the stateful run adds well under one.
# Bounded and reproducible: the suite must stay fast and a failure must come back on the next run.
SCHEMA_RUN_SETTINGS = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

# The stateful run, for each of its users: scenarios of a few chained calls each, over the whole API.
STATEFUL_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=8,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def api_schema(run: str | None = None):
    """The API's OpenAPI document, its operations called in-process; `run` keeps only that run's tags.

    The document is what /api/v1/openapi.json serves (the same call, the same JSON encoder), taken from the NinjaAPI
    rather than through a request: a test module loads it when it is collected, where no request may reach the
    database."""
    document = json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))
    schema = schemathesis.openapi.from_dict(document)
    schema.app = application
    return schema.include(tag=RUNS[run]) if run else schema


def steer(values, *, ids: dict[str, list], words: dict[str, list] | None = None):
    """A copy of generated `values` (a body, a query, path parameters) in which most ids are replaced by real ones
    (`ids`: parameter name -> ids that exist) and most strings by real codes or days (`words`: name -> values), so
    that the requests reach the services instead of stopping at "not found". Deterministic: which values are kept
    depends on the value itself, so a failure comes back on the next run; the kept ones still probe the edges."""
    if not isinstance(values, dict):
        return values
    words = words or {}
    steered = dict(values)
    for name, value in values.items():
        if isinstance(value, bool):
            continue
        if ids.get(name) and isinstance(value, int) and value > 0 and value % 3:
            steered[name] = ids[name][value % len(ids[name])]
        elif words.get(name) and isinstance(value, str) and len(value) % 3:
            steered[name] = words[name][len(value) % len(words[name])]
    return steered


def steer_requests(schema, steer_values) -> None:
    """Pass every generated path, query and body of `schema` through `steer_values` (schemathesis picks a hook by
    its function's name)."""

    @schema.hook
    def map_path_parameters(context, path_parameters):
        return steer_values(path_parameters)

    @schema.hook
    def map_query(context, query):
        return steer_values(query)

    @schema.hook
    def map_body(context, body):
        return steer_values(body)
