"""The votes API (nominations, votes, ballots, paper tallies, appointments, governance rules) keeps to its own
OpenAPI schema under generated input: no 5xx, every answer as documented.

Same approach as tests/entitlements/test_clearances_api_schema.py: in-process WSGI inside the test's transaction,
bearer tokens; generated ids, codes and choices are steered to real objects most of the time (an open vote, a closed
one, the unit's households), so that the requests reach the services, not only the validation."""

import pytest
from hypothesis import settings

from inminban.api.tokens import token_create
from inminban.governance import votes
from schema_run import CHECKS, SCHEMA_RUN_SETTINGS, api_schema

from .voting import move_window_to_past, voting_unit

schema = api_schema("votes")

CODES = {"code": ["HS-A-OFFICE", "HS-OFFICE", "HS-B-OFFICE"], "unit": ["HS-A1", "HS-A2", "HS-B1"]}
IDS: dict[str, list[int]] = {}


def _steer(values):
    if not isinstance(values, dict):
        return values
    steered = dict(values)
    for name, value in values.items():
        if isinstance(value, bool):
            continue
        ids = IDS.get(name)
        if ids and isinstance(value, int) and value > 0 and value % 3:
            steered[name] = ids[value % len(ids)]
        elif ids and isinstance(value, list) and len(value) % 3:
            steered[name] = ids[: len(value) % len(ids) + 1]
        elif name in CODES and isinstance(value, str) and len(value) % 3:
            steered[name] = CODES[name][len(value) % len(CODES[name])]
    return steered


@schema.hook
def map_path_parameters(context, path_parameters):
    return _steer(path_parameters)


@schema.hook
def map_query(context, query):
    return _steer(query)


@schema.hook
def map_body(context, body):
    return _steer(body)


@pytest.fixture
def votes_world(cast):
    """An open vote in a unit of six households with resident accounts, a closed one in HS-A2."""
    place = voting_unit(households=6, accounts=4)
    CODES["unit"] = [place.unit.code, "HS-A2", "HS-B1"]
    open_vote = votes.nomination_create(
        actor=cast["officer-a2"], unit=place.unit, nominee=place.heads[4], statement="열린 투표"
    ).vote
    votes.ballot_cast(actor=place.residents[1], vote=open_vote, choice="yes")
    from inminban.registry.models import Household

    a2 = Household.objects.filter(unit__code="HS-A2").order_by("number")
    closed = votes.nomination_create(
        actor=cast["officer-a2"], unit=a2[0].unit, nominee=a2[2].head, statement="닫힌 투표"
    ).vote
    move_window_to_past(closed)
    votes.vote_close(vote=closed)
    IDS["vote_id"] = [open_vote.pk, closed.pk]
    IDS["nomination_id"] = [open_vote.nomination_id, closed.nomination_id]
    IDS["nominee"] = [h.pk for h in place.heads]
    IDS["households"] = [h.pk for h in place.households[2:]]
    IDS["persons"] = [h.pk for h in place.heads[2:]]
    yield place
    IDS.clear()


@pytest.fixture
def bearers(cast, votes_world) -> list[dict[str, str]]:
    headers = []
    for user in (cast["officer-a"], cast["leader-a1"], votes_world.residents[0]):
        _, token = token_create(actor=None, user=user)
        headers.append({"Authorization": f"Bearer {token}"})
    return headers


@schema.parametrize()
@settings(SCHEMA_RUN_SETTINGS, max_examples=10)
def test_votes_api_keeps_to_its_schema(case, bearers, votes_world, connections_kept_open):
    for headers in bearers:
        case.call_and_validate(headers=headers, checks=CHECKS)
