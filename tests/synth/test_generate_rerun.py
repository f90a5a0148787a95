"""A load is one transaction, so a crash leaves either nothing or the whole city; a rerun with the same arguments
then either generates the city or says exactly what exists and does nothing. On PostgreSQL a large load may leave
its foreign keys NOT VALID for a background job to check: the schema is then the migrations' again."""

import signal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from inminban.jobs.models import Job
from inminban.jobs.runner import run_due
from inminban.synth.bulk import LOADED_MODELS, CityExists, generate_city
from inminban.synth.bulk_schema import schema_snapshot

from .conftest import database_counts

TABLES = [model._meta.db_table for model in LOADED_MODELS]


def _generate(*args: str) -> str:
    out = StringIO()
    call_command("generate", "--no-progress", *args, stdout=out)
    return out.getvalue()


def test_a_rerun_with_the_same_arguments_says_what_exists_and_does_nothing(db):
    _generate("--households", "60", "--city", "RR")
    before = database_counts()
    output = _generate("--households", "60", "--city", "RR")
    assert output.startswith("City RR already exists with these arguments: 60 households, ")
    assert output.rstrip().endswith("Nothing to do.")
    assert database_counts() == before


def test_a_rerun_with_other_arguments_names_what_exists_and_is_refused(db):
    generate_city(households=60, city="RR", seed=7)
    before = database_counts()
    with pytest.raises(
        CommandError, match=r"City RR already exists, made with other arguments: 60 households, .* seed 7"
    ):
        _generate("--households", "61", "--city", "RR", "--seed", "7")
    assert database_counts() == before


def test_the_same_arguments_raise_city_exists_from_the_service(db):
    generate_city(households=30, city="RR", seed=7)
    with pytest.raises(CityExists, match="seed 7"):
        generate_city(households=30, city="RR", seed=7)


def test_foreign_keys_checked_later_come_back_as_the_migrations_made_them(db):
    before = schema_snapshot(TABLES)
    result = generate_city(households=300, city="FK", rebuild_indexes=True, foreign_keys_later=True)
    if connection.vendor == "sqlite":  # SQLite keeps its foreign keys through a load: nothing is left to check
        assert (result.foreign_keys_later, result.validation_job_id) == ([], None)
        assert schema_snapshot(TABLES) == before
        return
    assert result.validation_job_id is not None
    assert ("registry_membership", "registry_membership_person_id_7bab2f0d_fk_registry_person_id") in (
        result.foreign_keys_later
    )
    assert schema_snapshot(TABLES) != before  # NOT VALID until the job has run
    assert run_due(worker="test") == 1
    job = Job.objects.get(pk=result.validation_job_id)
    assert job.status == Job.Status.DONE
    assert job.result["validated_now"] == len(result.foreign_keys_later)
    assert schema_snapshot(TABLES) == before


KILLED_AFTER_COMMIT = """
import os, signal
from django.db import transaction
from inminban.synth import bulk
original = bulk.audit_record
def record_then_die_once_committed(**kwargs):
    entry = original(**kwargs)
    transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
    return entry
bulk.audit_record = record_then_die_once_committed
bulk.generate_city(households=50, city="KK")
print("never printed")
"""

KILLED_BEFORE_COMMIT = """
import os, signal
from inminban.synth import bulk
def die_at(name):
    if name == "commit":
        os.kill(os.getpid(), signal.SIGKILL)
bulk.generate_city(households=50, city="KK", on_phase=die_at)
print("never printed")
"""


def test_killed_before_its_commit_nothing_exists_and_a_rerun_generates_the_city(separate_database):
    killed = separate_database.run("shell", "-c", KILLED_BEFORE_COMMIT)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert separate_database.scalar("SELECT COUNT(*) FROM areas_area WHERE code = 'KK'") == 0
    rerun = separate_database.run("generate", "--households", "50", "--city", "KK", "--no-progress")
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.startswith("City KK (")
    assert (
        separate_database.scalar(
            "SELECT COUNT(*) FROM registry_household h JOIN areas_area u ON u.id = h.unit_id WHERE u.path LIKE '%/KK/%'"
        )
        == 50
    )


def test_killed_right_after_its_commit_a_rerun_says_the_city_exists(separate_database):
    killed = separate_database.run("shell", "-c", KILLED_AFTER_COMMIT.replace('"KK"', '"KC"'))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "never printed" not in killed.stdout
    rerun = separate_database.run("generate", "--households", "50", "--city", "KC", "--no-progress")
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.startswith("City KC already exists with these arguments: 50 households, ")
    assert (
        separate_database.scalar(
            "SELECT COUNT(*) FROM registry_household h JOIN areas_area u ON u.id = h.unit_id WHERE u.path LIKE '%/KC/%'"
        )
        == 50
    )
