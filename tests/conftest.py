"""The fixed cast every test knows by name, on a small copy of the demo city built once per session.

Cast (password DEMO_PASSWORD): admin, officer-a (office of district A), officer-b, leader-a1 (unit HS-A1),
leader-b1 (unit HS-B1), resident-a1 (a person in unit HS-A1), auditor (the city, read-only)."""

import pytest
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from inminban.areas.models import Area
from inminban.jobs import registry
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
