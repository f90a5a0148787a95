"""The fixed cast every test knows by name, on a small copy of the demo city built once per session.

Cast (password DEMO_PASSWORD): admin, officer-a (office of district A), officer-b, leader-a1 (unit HS-A1),
leader-b1 (unit HS-B1), resident-a1 (a person in unit HS-A1), auditor (the city, read-only)."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client

import browser_guard
from inminban.areas.models import Area
from inminban.audit.models import AuditEntry
from inminban.jobs import registry
from inminban.registry.models import Household, Person
from inminban.synth.demo import SMALL, build_demo


@pytest.fixture(autouse=True)
def no_app_schedules(monkeypatch):
    """The apps' own schedules would add their jobs to every tick a test counts; a test declares what it needs."""
    monkeypatch.setattr(registry, "_schedules", {})


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        build_demo(size=SMALL)


def pytest_collection_modifyitems(config, items):
    # Browser tests use a live server and a flushed, rebuilt database; run them after everything else.
    items.sort(key=lambda item: "/browser/" in str(item.fspath))


def pytest_configure(config):
    # With CI=true, a session in which no browser test ran fails (tests/browser_guard.py).
    browser_guard.pytest_configure(config)


@pytest.fixture
def cast(db) -> dict[str, User]:
    return {user.username: user for user in User.objects.all()}


@pytest.fixture
def unit_a1(db) -> Area:
    return Area.objects.get(code="HS-A1")


@pytest.fixture
def unit_a2(db) -> Area:
    return Area.objects.get(code="HS-A2")


@pytest.fixture
def unit_b1(db) -> Area:
    return Area.objects.get(code="HS-B1")


@pytest.fixture
def client_for(db):
    """A logged-in test client for one of the cast; `client_for(None)` is anonymous."""

    def make(username: str | None) -> Client:
        client = Client()
        if username is not None:
            client.force_login(User.objects.get(username=username))
        return client

    return make


@pytest.fixture
def connections_kept_open():
    """schemathesis calls the WSGI app directly; Django would close the test's connection (and its transaction)
    at the end of each request, as its own test client prevents."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# A database of its own ---------------------------------------------------------------------------------------------

INMINBAN = Path(sys.executable).parent / "inminban"


@dataclass
class SeparateDatabase:
    """An empty, migrated database of the test database's kind, for `inminban` subprocesses (a server, a load
    killed half-way) whose committed writes must not reach the shared test database."""

    url: str
    data_dir: Path

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """`inminban ARGS` on this database; returns the finished process (whatever its exit status)."""
        return subprocess.run(
            [str(INMINBAN), *args], env=self.env(), capture_output=True, text=True, timeout=timeout, check=False
        )

    def env(self) -> dict[str, str]:
        return os.environ | {"INMINBAN_DATABASE_URL": self.url, "INMINBAN_DATA_DIR": str(self.data_dir)}

    @contextmanager
    def serve(self, *, threads: int = 32) -> Iterator[str]:
        """The real server (`inminban serve --no-worker`) on this database; yields its base URL once it answers.
        Its log goes to serve.log in the data directory: a pipe nobody reads fills up and stops the server."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        log_path = self.data_dir / "serve.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [str(INMINBAN), "serve", "--port", str(port), "--threads", str(threads), "--no-worker"],
                env=self.env(),
                stdout=subprocess.DEVNULL,
                stderr=log,
                text=True,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        urllib.request.urlopen(base + "/login/", timeout=2)
                        break
                    except OSError:
                        assert process.poll() is None, log_path.read_text()
                        assert time.monotonic() < deadline, "the server did not start"
                        time.sleep(0.2)
                yield base
            finally:
                process.terminate()
                process.wait(timeout=30)

    def scalar(self, sql: str):
        if self.url.startswith("sqlite:"):
            with sqlite3.connect(urlsplit(self.url).path) as conn:
                return conn.execute(sql).fetchone()[0]
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql).fetchone()[0]


def _maintenance(url: str) -> psycopg.Connection:
    return psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True)


def _separate_url(data_dir: Path, suffix: str) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{data_dir / 'separate.sqlite3'}"
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    auth = f"{user}{password}@" if user else ""
    url = f"postgres://{auth}{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}/{settings['NAME']}_{suffix}"
    with _maintenance(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{settings["NAME"]}_{suffix}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{settings["NAME"]}_{suffix}"')
    return url


@pytest.fixture(scope="module")
def separate_database(tmp_path_factory, django_db_blocker, request):
    """A fresh database per test module (migrated; `separate_database.run(...)` to fill it)."""
    data_dir = tmp_path_factory.mktemp("separate")
    suffix = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")[:20]
    with django_db_blocker.unblock():
        url = _separate_url(data_dir, suffix)
    database = SeparateDatabase(url, data_dir)
    migrated = database.run("migrate", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    yield database
    if not url.startswith("sqlite:"):
        with _maintenance(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')


# The households and persons of the demo that page tests read and change.


@pytest.fixture
def household_a1(unit_a1) -> Household:
    """The first household of unit HS-A1: resident-a1's own."""
    return Household.objects.filter(unit=unit_a1).order_by("number").first()


@pytest.fixture
def other_household_a1(unit_a1) -> Household:
    return Household.objects.filter(unit=unit_a1).order_by("number")[1]


@pytest.fixture
def household_b1(unit_b1) -> Household:
    return Household.objects.filter(unit=unit_b1).order_by("number").first()


@pytest.fixture
def person_a1(household_a1) -> Person:
    """A member of household_a1 who is not its head."""
    return Person.objects.filter(household=household_a1).exclude(pk=household_a1.head_id).order_by("pk").first()


@pytest.fixture
def worker_a1(unit_a1) -> Person:
    """A person in unit HS-A1 with a current job."""
    return Person.objects.filter(household__unit=unit_a1, occupations__until__isnull=True).order_by("pk").first()


@pytest.fixture
def person_b1(household_b1) -> Person:
    return Person.objects.filter(household=household_b1).order_by("pk").first()


@pytest.fixture
def audit_count():
    return lambda: AuditEntry.objects.count()
