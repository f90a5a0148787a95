"""A session ends after INMINBAN_SESSION_IDLE_MINUTES (30) without a request. Its expiry moves forward at most once
a minute, so a read does not write on every request."""

import time
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inminban.accounts.middleware import TOUCHED
from inminban.synth.demo import DEMO_PASSWORD

from .conftest import ELSEWHERE, log_in


def _session(client) -> Session:
    return Session.objects.get(session_key=client.cookies["sessionid"].value)


def _session_writes(queries) -> list[str]:
    writes = ("UPDATE", "INSERT")
    return [query["sql"] for query in queries if query["sql"].startswith(writes) and "django_session" in query["sql"]]


def test_a_session_ends_after_thirty_idle_minutes_and_its_cookie_with_the_browser(db):
    client, response = log_in("leader-a1", DEMO_PASSWORD, ELSEWHERE)
    assert response.status_code == 302
    assert abs(_session(client).expire_date - (timezone.now() + timedelta(minutes=30))) < timedelta(seconds=10)
    assert response.cookies["sessionid"]["max-age"] == "" and response.cookies["sessionid"]["expires"] == ""
    # Thirty minutes on, the session is over even though the browser still sends its cookie.
    Session.objects.filter(pk=_session(client).pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/units/HS-A1/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/units/HS-A1/"


def test_a_request_moves_the_expiry_forward_at_most_once_a_minute(db):
    client, _ = log_in("leader-a1", DEMO_PASSWORD, ELSEWHERE)
    assert client.get("/units/HS-A1/").status_code == 200  # the first request after the login moves it
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/units/HS-A1/").status_code == 200
        assert client.get("/day/").status_code == 200
    assert _session_writes(queries.captured_queries) == []

    # Two minutes on: the session was last moved forward then, and is ten minutes from its end.
    session = client.session
    session[TOUCHED] = int(time.time()) - 120
    session.save()
    Session.objects.filter(pk=session.session_key).update(expire_date=timezone.now() + timedelta(minutes=10))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/units/HS-A1/").status_code == 200
    assert len(_session_writes(queries.captured_queries)) == 1
    assert abs(_session(client).expire_date - (timezone.now() + timedelta(minutes=30))) < timedelta(seconds=10)
    assert client.get("/units/HS-A1/").status_code == 200  # still logged in, with the session as it was
