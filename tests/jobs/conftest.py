"""What the job tests share: handlers that only tests register, and real `inminban` subprocesses on the test
database (which they can see because the tests that start them commit: `django_db(transaction=True)`)."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from inminban.audit.models import AuditEntry
from inminban.jobs.models import Job, Schedule
from inminban.jobs.registry import declared_schedules, job_handler
from inminban.jobs.services import schedule_override_variable

INMINBAN = Path(sys.executable).parent / "inminban"
# Transactional tests flush only the job tables afterwards, keeping the demo city the other tests share.
COMMITTED = pytest.mark.django_db(transaction=True, available_apps=["inminban.jobs"])


@job_handler("tests.echo")
def echo(job, progress):
    progress(1, 2, "halfway")
    progress(2, 2, "all of it")
    return {"echo": job.params.get("value")}


@job_handler("tests.fail")
def fail(job, progress):
    progress(1, 4, "about to fail")
    raise RuntimeError(job.params.get("reason", "boom"))


@job_handler("tests.nothing")
def nothing(job, progress):
    return None


@job_handler("tests.list_result")
def list_result(job, progress):
    return [1, 2, 3]


@job_handler("tests.taken_over")
def taken_over(job, progress):
    """Behaves as if another worker took the job over while this one was slow, then reports progress."""
    Job.objects.filter(pk=job.pk).update(lease_owner="other-machine:1")
    progress(1, 2, "still here?")
    return {"should": "never be stored"}


def _declared_schedules_off() -> dict[str, str]:
    """As tests/conftest.py's `no_app_schedules`, for subprocesses: INMINBAN_SCHEDULE_<KIND>=0 switches each of the
    apps' schedules off."""
    return {schedule_override_variable(item.kind): "0" for item in declared_schedules()}


@pytest.fixture
def unchanged(db):
    """Assert at the end that no job, schedule or audit entry was written."""
    before = (Job.objects.count(), Schedule.objects.count(), AuditEntry.objects.count())
    yield
    assert (Job.objects.count(), Schedule.objects.count(), AuditEntry.objects.count()) == before


_APP_SCHEDULES_OFF = _declared_schedules_off()  # at import: the fixture hides them only while a test runs


def database_url() -> str:
    """The URL of the database this test process uses (the test database), for subprocesses."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        assert Path(settings["NAME"]).is_file(), "subprocesses need a file test database, not an in-memory one"
        return f"sqlite:///{settings['NAME']}"
    user = quote(settings["USER"] or "", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def start(*args: str, lease_seconds: int | None = None) -> subprocess.Popen:
    """`inminban ARGS` in a new process on the test database."""
    env = os.environ | _APP_SCHEDULES_OFF | {"INMINBAN_DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1"}
    if lease_seconds is not None:
        env["INMINBAN_JOB_LEASE_SECONDS"] = str(lease_seconds)
    return subprocess.Popen([str(INMINBAN), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 120) -> str:
    """Wait for a process to exit successfully and return what it printed."""
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr
    return stdout


def jobs_ran(output: str) -> int:
    return sum(int(count) for count in re.findall(r"ran (\d+) job", output))


def wait_until(condition, timeout: float = 60, every: float = 0.1):
    """Poll `condition()` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"still not true after {timeout} s")


@pytest.fixture
def processes():
    """Processes a test started; any still running at the end are killed."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
