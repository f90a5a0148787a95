"""Wrong passwords lock the account and the address out (django-axes): INMINBAN_LOGIN_FAILURE_LIMIT failures (10),
INMINBAN_LOGIN_LOCKOUT_MINUTES (15). While locked, the right password is refused too; an administrator unlocks."""

from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.test import Client

from inminban.accounts.services import login_unlock
from inminban.audit.models import AuditEntry
from inminban.common.errors import NotPermitted
from inminban.synth.demo import DEMO_PASSWORD

from .conftest import ATTACKER, ELSEWHERE, log_in, logged_in

THIRD = "10.0.0.88"


def _thirty_wrong_logins(username: str = "leader-a1") -> list[int]:
    client = Client()
    return [log_in(username, f"guess-{n}", ATTACKER, client)[1].status_code for n in range(30)]


def _age_attempts(by: timedelta) -> None:
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - by)


def test_thirty_wrong_logins_lock_the_account_and_the_address(db, audit_actions):
    statuses = _thirty_wrong_logins()
    assert statuses == [200] * 9 + [429] * 21

    client, response = log_in("leader-a1", DEMO_PASSWORD, ATTACKER)
    assert response.status_code == 429 and not logged_in(client)
    assert response["Retry-After"] == str(15 * 60)
    assert "Logging in is blocked for 15 minutes" in response.content.decode()
    # The account, from anywhere else; and the address, for any other account.
    assert log_in("leader-a1", DEMO_PASSWORD, ELSEWHERE)[1].status_code == 429
    assert log_in("leader-b1", DEMO_PASSWORD, ATTACKER)[1].status_code == 429
    client, response = log_in("leader-b1", DEMO_PASSWORD, ELSEWHERE)
    assert response.status_code == 302 and logged_in(client)
    assert audit_actions() == ["login.lockout"]
    entry = AuditEntry.objects.get(action="login.lockout")
    assert (entry.target_type, entry.target_id, entry.actor_name) == ("login.lockout", "user:leader-a1", "system")
    assert entry.after["username"] == "leader-a1" and entry.after["address"] == ATTACKER
    assert entry.after["failures"] == 10


def test_the_lockout_lasts_the_configured_time(db):
    _thirty_wrong_logins()
    _age_attempts(timedelta(minutes=14))
    assert log_in("leader-a1", DEMO_PASSWORD, ELSEWHERE)[1].status_code == 429
    _age_attempts(timedelta(minutes=1, seconds=1))
    client, response = log_in("leader-a1", DEMO_PASSWORD, ATTACKER)
    assert response.status_code == 302 and logged_in(client)


def test_the_limit_and_the_time_are_configurable(db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=2)
    client = Client()
    assert [log_in("leader-a1", "wrong", ATTACKER, client)[1].status_code for _ in range(4)] == [200, 200, 429, 429]
    response = log_in("leader-a1", DEMO_PASSWORD, ELSEWHERE)[1]
    assert response.status_code == 429 and response["Retry-After"] == "120"


def test_the_admin_unlocks_the_account_from_the_command_line(db, audit_actions):
    _thirty_wrong_logins()
    out = StringIO()
    call_command("lockouts", stdout=out)
    assert "account  leader-a1" in out.getvalue() and f"address  {ATTACKER}" in out.getvalue()

    call_command("unlock", user="leader-a1", stdout=out)
    assert "Unlocked leader-a1 (1 record of failures)." in out.getvalue()
    client, response = log_in("leader-a1", DEMO_PASSWORD, THIRD)
    assert response.status_code == 302 and logged_in(client)
    assert audit_actions() == ["login.lockout", "login.unlock"]
    entry = AuditEntry.objects.get(action="login.unlock")
    assert entry.target_id == "user:leader-a1" and entry.before["failures"] == 10 and entry.after["failures"] == 0
    out = StringIO()
    call_command("lockouts", stdout=out)
    assert out.getvalue() == "Nobody is locked out.\n"


def test_the_admin_unlocks_an_address(db):
    _thirty_wrong_logins()
    call_command("unlock", address=ATTACKER, stdout=StringIO())
    client, response = log_in("leader-b1", DEMO_PASSWORD, ATTACKER)
    assert response.status_code == 302 and logged_in(client)
    assert AuditEntry.objects.get(action="login.unlock").target_id == f"address:{ATTACKER}"


def test_the_admin_unlocks_from_the_admin_page(client_for):
    _thirty_wrong_logins()
    admin = client_for("admin")
    page = admin.get("/django-admin/axes/accessattempt/")
    assert page.status_code == 200 and "leader-a1" in page.content.decode()
    attempt = AccessAttempt.objects.get()
    response = admin.post(
        "/django-admin/axes/accessattempt/",
        {"action": "unlock_accounts", "_selected_action": [attempt.pk]},
        follow=True,
    )
    assert response.status_code == 200 and "Unlocked leader-a1." in response.content.decode()
    assert AccessAttempt.objects.count() == 0
    entry = AuditEntry.objects.get(action="login.unlock")
    assert entry.actor_name == "admin"
    assert log_in("leader-a1", DEMO_PASSWORD, ATTACKER)[1].status_code == 302


def test_the_admin_page_cannot_delete_failures_unaudited(client_for):
    _thirty_wrong_logins()
    attempt = AccessAttempt.objects.get()
    admin = client_for("admin")
    assert admin.post(f"/django-admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.count() == 1


def test_unlocking_what_is_not_locked_changes_nothing(db):
    entries = AuditEntry.objects.count()
    with pytest.raises(CommandError, match="No failed logins are recorded for user:leader-a1."):
        call_command("unlock", user="leader-a1", stdout=StringIO())
    with pytest.raises(CommandError, match="Name the account or the address to unlock."):
        call_command("unlock", stdout=StringIO())
    assert AuditEntry.objects.count() == entries


def test_only_an_administrator_unlocks(cast):
    _thirty_wrong_logins()
    entries = AuditEntry.objects.count()
    with pytest.raises(NotPermitted):
        login_unlock(actor=cast["officer-a"], username="leader-a1")
    assert AccessAttempt.objects.count() == 1 and AuditEntry.objects.count() == entries
    assert log_in("leader-a1", DEMO_PASSWORD, ELSEWHERE)[1].status_code == 429
