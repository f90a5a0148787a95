"""A cycle's workflow: draft → generating → generated → approved (by another officer) → distributing → closed.

Who may do what (maker–checker; leaders, residents and auditors only read; another district's officer sees
nothing), when a cycle may be computed again, the order of distribution and closing, periods that overlap,
versions that never reach back into cycles already made, and a computation that was killed halfway and resumes."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from inminban.areas.models import Area
from inminban.common.errors import DomainError
from inminban.entitlements import cycle_sql, services
from inminban.entitlements.models import Cycle, Entitlement, Program
from inminban.jobs.models import Job
from inminban.jobs.runner import run_due
from inminban.registry.models import Household

from .conftest import call, fields_of, rows_of

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


@pytest.fixture
def program(make_program):
    # Every household of district A counts; the A2 households also need a member aged 17 to 60.
    rule = {"any": [{"resident": {}}, {"member": {"min_age": 17, "max_age": 60}}]}
    return make_program(rule={"all": [rule, {"household_size": {"min": 1}}]})


@pytest.fixture
def cycle(program, cast) -> Cycle:
    return services.cycle_create(actor=cast["officer-a"], program=program, period_start=MARCH)


def generated(cycle: Cycle, actor) -> Cycle:
    return services.cycle_generate(actor=actor, cycle=cycle)


def status_of(cycle: Cycle) -> str:
    return Cycle.objects.get(pk=cycle.pk).status


# Maker–checker and roles ------------------------------------------------------------------------------------------


def test_the_officer_who_generated_cannot_approve(bearer, cycle, checker, nothing_written):
    officer = bearer("officer-a")
    assert call(officer, "post", f"/cycles/{cycle.pk}/generate").status_code == 202
    assert run_due(worker="test") == 1
    assert status_of(cycle) == Cycle.Status.GENERATED
    with nothing_written():
        response = call(officer, "post", f"/cycles/{cycle.pk}/approve")
        assert "another officer" in fields_of(response)["approved_by"][0]
    approved = call(bearer(checker), "post", f"/cycles/{cycle.pk}/approve")
    assert approved.status_code == 200
    assert (approved.json()["generated_by"], approved.json()["approved_by"]) == ("officer-a", "checker-a")


def test_the_checker_who_regenerated_can_no_longer_approve(cycle, cast, checker):
    generated(cycle, cast["officer-a"])
    generated(cycle, checker)  # the checker computed it last: now officer-a must approve
    with pytest.raises(DomainError) as error:
        services.cycle_approve(actor=checker, cycle=cycle)
    assert error.value.field == "approved_by"
    assert services.cycle_approve(actor=cast["officer-a"], cycle=cycle).status == Cycle.Status.APPROVED


@pytest.mark.parametrize("username", ["leader-a1", "resident-a1", "auditor"])
def test_readers_cannot_create_generate_or_approve(username, bearer, program, cycle, cast, nothing_written):
    second = services.cycle_create(actor=cast["officer-a"], program=program, period_start=APRIL)
    generated(second, cast["officer-a"])
    client = bearer(username)
    assert call(client, "get", f"/cycles/{cycle.pk}").status_code == 200, "they may read it"
    body = {"area": "HS-A1", "kind": "grain_ration", "name_en": "Mine", "rule": {"resident": {}}}
    writes = [
        ("/programs", body),
        (f"/programs/{program.pk}/versions", {"rule": {"leader": {}}}),
        (f"/programs/{program.pk}/cycles", {"period_start": "2026-05-01"}),
        (f"/cycles/{cycle.pk}/generate", None),
        (f"/cycles/{second.pk}/approve", None),
        (f"/cycles/{second.pk}/distribute", None),
        (f"/cycles/{second.pk}/close", None),
    ]
    with nothing_written():
        for path, payload in writes:
            response = call(client, "post", path, payload)
            assert response.status_code == 403, (path, response.content)
            assert response.json()["error"] == "forbidden"


def test_another_districts_officer_finds_nothing(bearer, program, cycle, cast, nothing_written):
    generated(cycle, cast["officer-a"])
    row = Entitlement.objects.filter(cycle=cycle).first()
    client = bearer("officer-b")
    with nothing_written():
        for method, path in [
            ("get", f"/programs/{program.pk}"),
            ("get", f"/programs/{program.pk}/versions"),
            ("get", f"/programs/{program.pk}/cycles"),
            ("get", f"/cycles/{cycle.pk}"),
            ("get", f"/cycles/{cycle.pk}/figures"),
            ("get", f"/cycles/{cycle.pk}/denials"),
            ("get", f"/cycles/{cycle.pk}/entitlements"),
            ("get", f"/entitlements/{row.pk}"),
            ("get", f"/households/{row.household_id}/entitlements"),
            ("post", f"/programs/{program.pk}/cycles"),
            ("post", f"/programs/{program.pk}/versions"),
            ("post", f"/cycles/{cycle.pk}/generate"),
            ("post", f"/cycles/{cycle.pk}/approve"),
            ("post", f"/cycles/{cycle.pk}/distribute"),
            ("post", f"/cycles/{cycle.pk}/close"),
        ]:
            body = {"period_start": "2026-05-01"} if path.endswith("/cycles") and method == "post" else None
            if path.endswith("/versions") and method == "post":
                body = {"rule": {"leader": {}}}
            response = call(client, method, path, body)
            assert response.status_code == 404, (method, path, response.content)
    programs = call(client, "get", "/programs").json()
    assert program.pk not in {item["id"] for item in programs["items"]}


def test_a_leader_sees_only_the_rows_of_their_unit(bearer, cycle, cast, unit_a1):
    generated(cycle, cast["officer-a"])
    page = call(bearer("leader-a1"), "get", f"/cycles/{cycle.pk}/entitlements?limit=500").json()
    assert page["count"] == Household.objects.filter(unit=unit_a1).count()
    assert {item["unit"] for item in page["items"]} == {"HS-A1"}
    figures = call(bearer("officer-a"), "get", f"/cycles/{cycle.pk}/figures").json()
    assert {figure["area"] for figure in figures} == {"HS-A1", "HS-A2"}


# The order of things --------------------------------------------------------------------------------------------


def test_regeneration_only_before_approval(cycle, cast, checker, bearer, nothing_written):
    officer, client = cast["officer-a"], bearer("officer-a")
    first = rows_of(generated(cycle, officer))
    assert first and rows_of(generated(cycle, officer)) == first, "computing again replaces, never adds"
    services.cycle_approve(actor=checker, cycle=cycle)
    for step in (None, services.cycle_distribute, services.cycle_close):
        if step is not None:
            step(actor=officer, cycle=cycle)
        with nothing_written():
            response = call(client, "post", f"/cycles/{cycle.pk}/generate")
            assert "only be computed before approval" in fields_of(response)["status"][0]
            with pytest.raises(DomainError):
                services.cycle_generate(actor=officer, cycle=cycle)
        assert rows_of(cycle) == first


def test_distribute_and_close_only_in_order(cycle, cast, checker, bearer, nothing_written):
    officer, client = bearer("officer-a"), bearer(checker)

    def refused(path: str):
        with nothing_written():
            assert "status" in fields_of(call(officer, "post", f"/cycles/{cycle.pk}/{path}"))

    for path in ("approve", "distribute", "close"):  # a draft
        refused(path)
    generated(cycle, cast["officer-a"])
    refused("distribute")
    refused("close")
    assert call(client, "post", f"/cycles/{cycle.pk}/approve").json()["status"] == "approved"
    refused("approve")
    refused("close")
    assert call(officer, "post", f"/cycles/{cycle.pk}/distribute").json()["status"] == "distributing"
    refused("distribute")
    refused("approve")
    assert call(officer, "post", f"/cycles/{cycle.pk}/close").json()["status"] == "closed"
    for path in ("approve", "distribute", "close", "generate"):
        refused(path)
    closed = Cycle.objects.get(pk=cycle.pk)
    assert closed.approved_at <= closed.distributing_since <= closed.closed_at


def test_overlapping_periods_are_refused(cycle, program, make_program, cast, bearer, nothing_written):
    officer = bearer("officer-a")
    with nothing_written():
        response = call(officer, "post", f"/programs/{program.pk}/cycles", {"period_start": MARCH.isoformat()})
        assert "overlaps" in fields_of(response)["period_start"][0]
    once = make_program(cadence=Program.Cadence.ONCE, name_en="Winter aid")
    body = {"period_start": "2026-01-01", "period_end": "2026-01-20"}
    assert call(officer, "post", f"/programs/{once.pk}/cycles", body).status_code == 201
    for start, end in [("2026-01-20", "2026-02-10"), ("2025-12-01", "2026-01-01"), ("2026-01-05", "2026-01-06")]:
        with nothing_written():
            response = call(officer, "post", f"/programs/{once.pk}/cycles", {"period_start": start, "period_end": end})
            assert "overlaps" in fields_of(response)["period_start"][0], (start, end)
    adjacent = {"period_start": "2026-01-21", "period_end": "2026-02-10"}
    assert call(officer, "post", f"/programs/{once.pk}/cycles", adjacent).status_code == 201


# Versions -------------------------------------------------------------------------------------------------------


def test_revising_a_program_never_changes_a_cycle_already_made(program, cycle, cast, bearer):
    officer = cast["officer-a"]
    generated(cycle, officer)
    before_rows, before = rows_of(cycle), Cycle.objects.get(pk=cycle.pk)
    first_version = program.current_version
    frozen = (first_version.norms, first_version.rule, first_version.heavy_jobs)

    halved = [dict(norm, amount=norm["amount"] // 2) for norm in first_version.norms]
    revision = call(
        bearer("officer-a"),
        "post",
        f"/programs/{program.pk}/versions",
        {"norms": halved, "rule": {"member": {"min_age": 61}}, "note": "Lean season"},
    )
    assert revision.status_code == 201, revision.content
    assert revision.json()["number"] == 2

    after = Cycle.objects.get(pk=cycle.pk)
    assert (after.version_id, after.snapshot, rows_of(cycle)) == (before.version_id, before.snapshot, before_rows)
    first_version.refresh_from_db()
    assert (first_version.norms, first_version.rule, first_version.heavy_jobs) == frozen
    assert call(bearer("officer-a"), "get", f"/cycles/{cycle.pk}").json()["version"] == 1

    # Computed again, the cycle still uses its own version.
    generated(cycle, officer)
    assert rows_of(cycle) == before_rows

    later = services.cycle_create(actor=officer, program=program, period_start=APRIL)
    assert later.version.number == 2
    generated(later, officer)
    decided = {row.eligible for row in Entitlement.objects.filter(cycle=later)}
    assert decided == {True, False}, "the new rule decides the new cycle"

    def owed(row: Entitlement, norms: list[dict], days: int) -> int:
        categories = [int(item.rstrip("*").partition(":")[2]) for item in filter(None, row.members.split(";"))]
        return sum(norms[index]["amount"] for index in categories) * days if row.eligible else 0

    for row in Entitlement.objects.filter(cycle=cycle):
        assert row.quantity == owed(row, first_version.norms, 31)
    for row in Entitlement.objects.filter(cycle=later):
        assert row.quantity == owed(row, halved, 30)
    versions = call(bearer("officer-a"), "get", f"/programs/{program.pk}/versions").json()
    assert [version["number"] for version in versions] == [2, 1]
    assert versions[1]["norms"] == first_version.norms


def test_a_revision_that_changes_nothing_is_refused(program, bearer, nothing_written):
    client = bearer("officer-a")
    with nothing_written():
        response = call(client, "post", f"/programs/{program.pk}/versions", {"rule": program.current_version.rule})
        assert "Nothing changed" in fields_of(response)["rule"][0]


# A computation killed halfway -------------------------------------------------------------------------------------


def _households_in(program: Program) -> int:
    return Household.objects.filter(unit__path__startswith=program.area.path, dissolved_on=None).count()


class Killed(Exception):
    """The worker died here."""


def test_a_generation_killed_midway_resumes_without_duplicates(program, cycle, cast, monkeypatch):
    officer = cast["officer-a"]
    clean = rows_of(services.cycle_generate(actor=officer, cycle=cycle, chunk_households=2))
    chunks = len(services.chunk_ranges(Cycle.objects.get(pk=cycle.pk).snapshot["bounds"], 2))
    assert chunks >= 4 and len(clean) == _households_in(program)

    # The office asks for it to be computed again, and the worker that takes the job dies after two chunks.
    services.cycle_generate_request(actor=officer, cycle=cycle)
    job = Job.objects.get(pk=Cycle.objects.get(pk=cycle.pk).job_id)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, lease_owner="dead:1", lease_until=timezone.now() + timedelta(minutes=2), attempts=1
    )

    def dies_after_two(done, total, message=""):
        Job.objects.filter(pk=job.pk).update(progress_done=done, progress_total=total, message=message)
        if done == 2:
            raise Killed

    with pytest.raises(Killed):
        services.cycle_generate(actor=officer, cycle=cycle, progress=dies_after_two, resume_from=0, chunk_households=2)
    half = Cycle.objects.get(pk=cycle.pk)
    assert half.status == Cycle.Status.GENERATING
    assert 0 < Entitlement.objects.filter(cycle=cycle).count() < len(clean)

    # Its lease runs out; the next tick takes the job over and carries on from the third chunk.
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    monkeypatch.setattr(services, "CHUNK_HOUSEHOLDS", 2)
    statements = []
    real = cycle_sql.chunk_statement
    monkeypatch.setattr(
        cycle_sql, "chunk_statement", lambda plan, low, high: statements.append(low) or real(plan, low, high)
    )
    assert run_due(worker="test") == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result["households"]) == (Job.Status.DONE, 2, len(clean))
    assert len(statements) == chunks - 2, "the chunks the dead worker committed are not computed again"
    done = Cycle.objects.get(pk=cycle.pk)
    assert done.status == Cycle.Status.GENERATED and done.households == len(clean)
    assert rows_of(cycle) == clean
    assert Entitlement.objects.filter(cycle=cycle).values("household_id").distinct().count() == len(clean)


def test_a_failed_attempt_is_retried_from_where_it_stopped(program, cycle, cast, bearer, monkeypatch):
    officer = cast["officer-a"]
    clean = rows_of(services.cycle_generate(actor=officer, cycle=cycle, chunk_households=3))
    monkeypatch.setattr(services, "CHUNK_HOUSEHOLDS", 3)
    assert call(bearer("officer-a"), "post", f"/cycles/{cycle.pk}/generate").status_code == 202
    real, calls = cycle_sql.chunk_statement, []

    def breaks_on_the_third(plan, low, high):
        calls.append(low)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real(plan, low, high)

    monkeypatch.setattr(cycle_sql, "chunk_statement", breaks_on_the_third)
    assert run_due(worker="test") == 1
    job = Job.objects.get(pk=Cycle.objects.get(pk=cycle.pk).job_id)
    assert (job.status, job.progress_done, status_of(cycle)) == (Job.Status.QUEUED, 2, Cycle.Status.GENERATING)
    assert "database went away" in job.error
    progress = call(bearer("officer-a"), "get", f"/cycles/{cycle.pk}").json()["progress_percent"]
    assert 0 < progress < 100

    monkeypatch.setattr(cycle_sql, "chunk_statement", real)
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    assert run_due(worker="test") == 1
    assert status_of(cycle) == Cycle.Status.GENERATED
    assert rows_of(cycle) == clean


def test_a_resumed_generation_keeps_its_chunks_when_the_worker_is_configured_differently(
    program, cycle, cast, monkeypatch
):
    """Workers on several machines may size their chunks differently; resuming must cover exactly what is left."""
    officer = cast["officer-a"]
    clean = rows_of(services.cycle_generate(actor=officer, cycle=cycle, chunk_households=2))

    def dies_after_two(done, total, message=""):
        if done == 2:
            raise Killed

    with pytest.raises(Killed):
        services.cycle_generate(actor=officer, cycle=cycle, progress=dies_after_two, chunk_households=2)
    monkeypatch.setattr(services, "CHUNK_HOUSEHOLDS", 3)
    services.cycle_generate(actor=officer, cycle=cycle, resume_from=2)
    assert rows_of(cycle) == clean


def test_only_households_of_the_area_get_a_row(make_program, cast):
    unit = Area.objects.get(code="HS-A2")
    program = make_program(area=unit)
    cycle = services.cycle_generate(
        actor=cast["officer-a"],
        cycle=services.cycle_create(actor=cast["officer-a"], program=program, period_start=MARCH),
    )
    assert sorted(row[0] for row in rows_of(cycle)) == sorted(
        Household.objects.filter(unit=unit).values_list("pk", flat=True)
    )
    assert {row[1] for row in rows_of(cycle)} == {unit.pk}
