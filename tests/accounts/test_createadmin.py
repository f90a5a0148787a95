"""`inminban createadmin NAME`: an administrator whose password passes Django's validators (similarity to the
user name, common passwords, all digits, at least 10 characters). The demo's accounts are made by the demo."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from inminban.audit.models import AuditEntry

from .conftest import ELSEWHERE, log_in, logged_in

STRONG = "Hyesan-Office-Key7"


def _createadmin(monkeypatch, *args: str, password: str) -> str:
    monkeypatch.setattr("sys.stdin", StringIO(password + "\n"))
    out = StringIO()
    call_command("createadmin", *args, "--password-stdin", stdout=out)
    return out.getvalue()


def test_an_admin_with_a_strong_password_is_created_audited_and_logs_in(db, monkeypatch, audit_actions):
    out = _createadmin(monkeypatch, "root-admin", "--email", "root@example.org", password=STRONG)
    assert out == "Administrator root-admin created.\n"
    user = User.objects.get(username="root-admin")
    assert user.is_superuser and user.is_staff and user.email == "root@example.org" and user.check_password(STRONG)
    assert audit_actions() == ["account.create_admin"]
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.target_id == str(user.pk) and "password" not in entry.after
    client, response = log_in("root-admin", STRONG, ELSEWHERE)
    assert response.status_code == 302 and logged_in(client)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Qz8#kLp2x", "This password is too short. It must contain at least 10 characters."),
        ("qwertyuiop", "This password is too common."),
        ("4829163750", "This password is entirely numeric."),
        ("root-admin-2026", "The password is too similar to the username."),
    ],
    ids=["length", "common", "numeric", "similar"],
)
def test_a_weak_password_is_refused_naming_the_rule(db, monkeypatch, password, message):
    users, entries = User.objects.count(), AuditEntry.objects.count()
    with pytest.raises(CommandError) as refused:
        _createadmin(monkeypatch, "root-admin", password=password)
    assert str(refused.value) == f"password: {message} Nothing was created."
    assert (User.objects.count(), AuditEntry.objects.count()) == (users, entries)


def test_the_password_is_asked_twice_and_must_match(db, monkeypatch):
    answers = iter([STRONG, STRONG + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    users, entries = User.objects.count(), AuditEntry.objects.count()
    with pytest.raises(CommandError, match="The two passwords differ; nothing was created."):
        call_command("createadmin", "root-admin", stdout=StringIO())
    assert (User.objects.count(), AuditEntry.objects.count()) == (users, entries)


def test_an_existing_user_name_is_refused(db, monkeypatch):
    users, entries = User.objects.count(), AuditEntry.objects.count()
    with pytest.raises(CommandError, match="username: There is already a user named 'admin'."):
        _createadmin(monkeypatch, "admin", password=STRONG)
    assert (User.objects.count(), AuditEntry.objects.count()) == (users, entries)
