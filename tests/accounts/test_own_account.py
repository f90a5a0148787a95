"""Your account: everyone changes their own password and sees and ends their sessions and API tokens."""

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client

from inminban.accounts.models import LoginSession
from inminban.api.tokens import token_create
from inminban.audit.models import AuditEntry
from inminban.synth.demo import DEMO_PASSWORD

from .conftest import ELSEWHERE, field_error, log_in

STRONG = "Hyesan-Office-Key7"


def test_the_header_links_to_your_account(client_for):
    page = client_for("resident-a1").get("/my-household/").content.decode()
    assert 'href="/account/"' in page


@pytest.mark.parametrize("username", ["admin", "officer-a", "leader-a1", "resident-a1", "auditor"])
def test_every_role_sees_their_account_page(client_for, username):
    response = client_for(username).get("/account/")
    assert response.status_code == 200
    assert "Your account" in response.content.decode()


def test_anonymous_is_sent_to_log_in(client_for):
    assert client_for(None).get("/account/")["Location"].startswith("/login/")


def test_sessions_are_listed_and_one_can_be_ended(db, audit_actions):
    phone, _ = log_in("leader-a1", DEMO_PASSWORD, "10.0.0.21", Client(HTTP_USER_AGENT="Phone browser"))
    desk, _ = log_in("leader-a1", DEMO_PASSWORD, "10.0.0.22", Client(HTTP_USER_AGENT="Desk browser"))
    page = desk.get("/account/", REMOTE_ADDR=ELSEWHERE).content.decode()
    assert "Phone browser" in page and "Desk browser" in page and "This device" in page
    phone_row = LoginSession.objects.get(user__username="leader-a1", user_agent="Phone browser")
    response = desk.post(f"/account/sessions/{phone_row.pk}/end", REMOTE_ADDR=ELSEWHERE)
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=phone_row.session_key).exists()
    assert phone.get("/", REMOTE_ADDR=ELSEWHERE)["Location"].startswith("/login/")
    assert desk.get("/", REMOTE_ADDR=ELSEWHERE)["Location"] == "/units/HS-A1/"
    assert audit_actions() == ["session.end"]


def test_another_users_session_cannot_be_ended(client_for):
    client_for("leader-b1")
    other = LoginSession.objects.filter(user__username="leader-b1").first()
    before = AuditEntry.objects.count()
    assert client_for("leader-a1").post(f"/account/sessions/{other.pk}/end").status_code == 404
    assert Session.objects.filter(session_key=other.session_key).exists()
    assert AuditEntry.objects.count() == before


def test_logging_out_removes_the_session_row(db):
    client, _ = log_in("leader-a1", DEMO_PASSWORD, "10.0.0.23")
    key = client.session.session_key
    assert LoginSession.objects.filter(session_key=key).exists()
    client.post("/logout/")
    assert not LoginSession.objects.filter(session_key=key).exists()


def test_change_password_ends_the_other_sessions_and_keeps_this_one(cast, audit_actions):
    other, _ = log_in("auditor", DEMO_PASSWORD, "10.0.0.24")
    this, _ = log_in("auditor", DEMO_PASSWORD, "10.0.0.25")
    response = this.post(
        "/account/password/",
        {"current_password": DEMO_PASSWORD, "new_password": STRONG, "new_password_again": STRONG},
        REMOTE_ADDR=ELSEWHERE,
    )
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert User.objects.get(username="auditor").check_password(STRONG)
    assert this.get("/", REMOTE_ADDR=ELSEWHERE)["Location"] == "/audit/"
    assert other.get("/", REMOTE_ADDR=ELSEWHERE)["Location"].startswith("/login/")
    assert audit_actions() == ["account.password_change"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"current_password": "wrong"}, "current_password", "The current password is not right."),
        ({"new_password": ""}, "new_password", "Give a new password."),
        ({"new_password_again": STRONG + "!"}, "new_password_again", "The two passwords differ."),
        ({"new_password": "short", "new_password_again": "short"}, "new_password", "This password is too short."),
        ({"new_password": DEMO_PASSWORD, "new_password_again": DEMO_PASSWORD}, "new_password", "must differ"),
    ],
    ids=["wrong-current", "empty", "differ", "weak", "same"],
)
def test_bad_input_in_the_password_form_changes_nothing(client_for, data, field, message):
    before = AuditEntry.objects.count()
    base = {"current_password": DEMO_PASSWORD, "new_password": STRONG, "new_password_again": STRONG}
    response = client_for("leader-a1").post("/account/password/", base | data)
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, field) and message in html
    assert AuditEntry.objects.count() == before
    assert User.objects.get(username="leader-a1").check_password(DEMO_PASSWORD)


def test_tokens_are_listed_and_revoked(cast, client_for, audit_actions):
    record, token = token_create(actor=None, user=cast["officer-a"], name="Ration counter")
    _, others = token_create(actor=None, user=cast["officer-b"], name="Other office")
    officer = client_for("officer-a")
    page = officer.get("/account/").content.decode()
    assert "Ration counter" in page and record.prefix in page and "Other office" not in page
    assert Client().get("/api/v1/areas", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert officer.post(f"/account/tokens/{record.pk}/revoke").status_code == 302
    assert Client().get("/api/v1/areas", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert audit_actions()[-1] == "token.revoke"
    assert "Revoked" in officer.get("/account/").content.decode()


def test_another_users_token_cannot_be_revoked(cast, client_for):
    record, _ = token_create(actor=None, user=cast["officer-b"], name="Other office")
    before = AuditEntry.objects.count()
    assert client_for("officer-a").post(f"/account/tokens/{record.pk}/revoke").status_code == 404
    record.refresh_from_db()
    assert record.revoked_at is None and AuditEntry.objects.count() == before
