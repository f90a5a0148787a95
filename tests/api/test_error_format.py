"""Every error under /api/v1/ is the API's error format, including the ones Django answers itself (an unknown path,
a method a path does not take, a crash), and a database busy with a long write answers 503 with Retry-After."""

import pytest
from django.db import OperationalError
from django.test import Client

from inminban.api.tokens import token_create

from .conftest import API, error_fields


@pytest.fixture
def bearer(cast):
    _, token = token_create(actor=None, user=cast["leader-a1"])
    # Django's test client raises a view's exception by default; a real client gets the handler's answer.
    return Client(headers={"Authorization": f"Bearer {token}"}, raise_request_exception=False)


def _raise(error):
    def boom(*args, **kwargs):
        raise error

    return boom


def test_an_unknown_path_is_a_json_404(bearer):
    response = bearer.get(API + "/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not found.", "fields": {}}


def test_a_method_the_path_does_not_take_is_a_json_405_naming_the_allowed_ones(bearer):
    response = bearer.delete(API + "/me")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json()["error"] == "method_not_allowed" and error_fields(response) == {}


def test_a_crash_is_a_json_500(bearer, monkeypatch):
    monkeypatch.setattr("inminban.api.routes.scope_for", _raise(RuntimeError("a bug")))
    response = bearer.get(API + "/me")
    assert response.status_code == 500
    assert response.json()["error"] == "server_error" and error_fields(response) == {}
    assert "a bug" not in response.content.decode()


def test_a_locked_database_is_a_json_503_with_retry_after(bearer, monkeypatch):
    monkeypatch.setattr("inminban.api.routes.scope_for", _raise(OperationalError("database is locked")))
    response = bearer.get(API + "/me")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"] == "unavailable" and error_fields(response) == {}


def test_any_other_database_error_stays_a_500(bearer, monkeypatch):
    monkeypatch.setattr("inminban.api.routes.scope_for", _raise(OperationalError("no such table: x")))
    response = bearer.get(API + "/me")
    assert response.status_code == 500 and "Retry-After" not in response
    assert response.json()["error"] == "server_error"


def test_a_page_on_a_locked_database_is_a_503_page_with_retry_after(cast, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(cast["leader-a1"])
    monkeypatch.setattr("inminban.registry.views.registry.unit_roster", _raise(OperationalError("database is locked")))
    response = client.get("/units/HS-A1/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert "The database is busy with a long piece of work; try again in 5 seconds." in response.content.decode()
