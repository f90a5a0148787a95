"""Bearer tokens: their use is recorded at most once a minute (a read needs no write lock), they expire after
INMINBAN_TOKEN_LIFETIME_DAYS, and `inminban token revoke` ends one. An expired or revoked token answers 401."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inminban.api.models import ApiToken
from inminban.api.tokens import token_create
from inminban.audit.models import AuditEntry

from .conftest import API, error_fields


@pytest.fixture
def token(cast) -> tuple[ApiToken, Client]:
    record, text = token_create(actor=None, user=cast["leader-a1"], name="integration")
    return record, Client(headers={"Authorization": f"Bearer {text}"})


def _token_updates(queries) -> list[str]:
    return [query["sql"] for query in queries if query["sql"].startswith('UPDATE "api_apitoken"')]


def test_a_tokens_use_is_recorded_at_most_once_a_minute(token):
    record, client = token
    assert client.get(API + "/me").status_code == 200
    record.refresh_from_db()
    first_use = record.last_used_at
    assert timezone.now() - first_use < timedelta(seconds=5)

    with CaptureQueriesContext(connection) as queries:
        assert client.get(API + "/me").status_code == 200
        assert client.get(API + "/areas/HS-A1").status_code == 200
    assert _token_updates(queries.captured_queries) == []
    record.refresh_from_db()
    assert record.last_used_at == first_use

    a_minute_ago = first_use - timedelta(seconds=61)
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=a_minute_ago)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(API + "/me").status_code == 200
    assert len(_token_updates(queries.captured_queries)) == 1
    record.refresh_from_db()
    assert record.last_used_at >= first_use


def test_a_token_answers_401_once_its_lifetime_is_over(token, settings):
    record, client = token
    settings.TOKEN_LIFETIME_DAYS = 30
    ApiToken.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=29, hours=23))
    assert client.get(API + "/me").status_code == 200
    ApiToken.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=30, seconds=1))
    response = client.get(API + "/me")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated" and error_fields(response) == {}


def test_the_default_lifetime_is_ninety_days(settings):
    assert settings.TOKEN_LIFETIME_DAYS == 90


def test_revoke_sets_revoked_at_and_audits_it(token):
    record, client = token
    assert client.get(API + "/me").status_code == 200
    entries = AuditEntry.objects.count()
    out = StringIO()
    call_command("token", "revoke", str(record.pk), stdout=out)
    assert f"Token {record.pk} ({record.prefix}…, leader-a1) is revoked." in out.getvalue()
    record.refresh_from_db()
    assert timezone.now() - record.revoked_at < timedelta(seconds=5)
    assert AuditEntry.objects.count() == entries + 1
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.target_type, entry.target_id) == ("token.revoke", "api.apitoken", str(record.pk))
    assert entry.before == {"revoked_at": None}

    response = client.get(API + "/me")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated" and error_fields(response) == {}


def test_revoking_a_revoked_token_changes_nothing(token):
    record, _ = token
    call_command("token", "revoke", str(record.pk), stdout=StringIO())
    record.refresh_from_db()
    revoked_at, entries = record.revoked_at, AuditEntry.objects.count()
    with pytest.raises(CommandError, match=f"Token {record.pk} was already revoked on "):
        call_command("token", "revoke", str(record.pk), stdout=StringIO())
    record.refresh_from_db()
    assert record.revoked_at == revoked_at and AuditEntry.objects.count() == entries


@pytest.mark.parametrize(("number", "message"), [("999999", "No token number 999999."), ("abc", "Give the token's")])
def test_revoking_an_unknown_token_changes_nothing(token, number, message):
    entries, revoked = AuditEntry.objects.count(), ApiToken.objects.exclude(revoked_at=None).count()
    with pytest.raises(CommandError, match=message):
        call_command("token", "revoke", number, stdout=StringIO())
    assert AuditEntry.objects.count() == entries
    assert ApiToken.objects.exclude(revoked_at=None).count() == revoked


def test_token_list_shows_each_tokens_number_and_state(token, cast):
    record, _ = token
    token_create(actor=None, user=cast["leader-a1"], name="old")
    old = ApiToken.objects.get(name="old")
    call_command("token", "revoke", str(old.pk), stdout=StringIO())
    out = StringIO()
    call_command("token", "list", "leader-a1", stdout=out)
    lines = {line.split()[0]: line for line in out.getvalue().splitlines()}
    assert "integration" in lines[str(record.pk)] and "last used never" in lines[str(record.pk)]
    expires = timezone.localtime(record.created_at + timedelta(days=90))
    assert f"expires {expires:%Y-%m-%d}" in lines[str(record.pk)]
    assert "revoked " in lines[str(old.pk)]
