"""The list of issued stamps at /stamps/: scoped to what the user may see, filtered, paginated, each row linking to
its stamp page, and officers revoke from it with a required reason (the stamp service, audited)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.stamps.models import Stamp

from .conftest import counts


def serials(response) -> list[str]:
    return re.findall(r'class="stamp-row" data-serial="([0-9a-f-]+)"', response.content.decode())


@pytest.fixture
def stamps(issue, household_a1, household_b1):
    return {
        "a1": issue(household_a1, duty_title="Street cleaning"),
        "a1_levy": issue(household_a1, duty_kind="levy", duty_title="Rice for the army", quantity=5, measure="kg"),
        "b1": issue(household_b1, actor="leader-b1", duty_title="River cleanup"),
    }


def test_each_user_sees_only_their_stamps_linking_to_the_stamp_page(stamps, client_for):
    a1, levy, b1 = (str(stamps[name].serial) for name in ("a1", "a1_levy", "b1"))
    assert set(serials(client_for("leader-a1").get("/stamps/"))) == {a1, levy}
    assert set(serials(client_for("leader-b1").get("/stamps/"))) == {b1}
    assert set(serials(client_for("officer-a").get("/stamps/"))) == {a1, levy}
    assert {a1, levy, b1} <= set(serials(client_for("admin").get("/stamps/")))
    assert set(serials(client_for("resident-a1").get("/stamps/"))) <= {a1, levy}
    page = client_for("leader-a1").get("/stamps/").content.decode()
    assert f'href="/stamps/{a1}/"' in page
    assert client_for(None).get("/stamps/")["Location"].startswith("/login/")


def test_filters(stamps, client_for, unit_a1):
    officer = client_for("admin")
    assert serials(officer.get("/stamps/", {"unit": "HS-B1"})) == [str(stamps["b1"].serial)]
    assert serials(officer.get("/stamps/", {"duty_kind": "levy"})) == [str(stamps["a1_levy"].serial)]
    assert serials(officer.get("/stamps/", {"duty": "river"})) == [str(stamps["b1"].serial)]
    today = timezone.localdate()
    assert len(serials(officer.get("/stamps/", {"issued_from": today.isoformat()}))) == 3
    assert serials(officer.get("/stamps/", {"issued_until": (today - timedelta(days=1)).isoformat()})) == []
    Stamp.objects.filter(pk=stamps["a1"].pk).update(revoked_at=timezone.now(), revoked_reason="double entry")
    assert serials(officer.get("/stamps/", {"status": "revoked"})) == [str(stamps["a1"].serial)]
    assert str(stamps["a1"].serial) not in serials(officer.get("/stamps/", {"status": "valid"}))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"unit": "HS-B1"}, "unit"),  # not a unit officer-a can see
        ({"unit": "NOPE"}, "unit"),
        ({"status": "lost"}, "status"),
        ({"issued_from": "2026-13-01"}, "issued_from"),
        ({"issued_from": "2026-03-02", "issued_until": "2026-03-01"}, "issued_until"),
    ],
)
def test_bad_filters_are_field_errors(stamps, client_for, query, field):
    response = client_for("officer-a").get("/stamps/", query)
    assert response.status_code == 400
    html = response.content.decode()
    assert "data-error-summary" in html and f'href="#id_{field}"' in html
    assert re.search(rf'id="id_{field}[-_]errors?"', html)


def test_paginated(issue, household_a1, client_for):
    for number in range(27):
        issue(household_a1, duty_title=f"Gravel {number}")
    first = client_for("leader-a1").get("/stamps/")
    assert len(serials(first)) == 25 and "Page 1 of 2" in first.content.decode()
    second = client_for("leader-a1").get("/stamps/", {"page": 2})
    assert len(serials(second)) == 2 and not set(serials(first)) & set(serials(second))


def test_officer_revokes_from_the_list_with_a_reason(stamps, client_for):
    officer = client_for("officer-a")
    page = officer.get("/stamps/").content.decode()
    assert page.count("Revoke this stamp") == 2
    seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    response = officer.post("/stamps/?status=valid", {"serial": stamps["a1"].serial, "reason": "double entry"})
    assert response.status_code == 302 and response["Location"] == "/stamps/?status=valid"
    stamps["a1"].refresh_from_db()
    assert stamps["a1"].is_revoked and stamps["a1"].revoked_reason == "double entry"
    assert list(AuditEntry.objects.filter(seq__gt=seq).values_list("action", flat=True)) == ["stamp.revoke"]


def test_revoking_without_a_reason_is_a_field_error_and_writes_nothing(stamps, client_for, unchanged):
    response = client_for("officer-a").post("/stamps/", {"serial": stamps["a1"].serial, "reason": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(rf'id="id_revoke_{stamps["a1"].serial}_reason[-_]errors?"', html)
    assert "data-error-summary" in html and f'href="#id_revoke_{stamps["a1"].serial}_reason"' in html
    assert "This field is required." in html
    stamps["a1"].refresh_from_db()
    assert not stamps["a1"].is_revoked


def test_leaders_have_no_revoke_action_and_posting_is_refused(stamps, client_for):
    leader = client_for("leader-a1")
    assert "Revoke this stamp" not in leader.get("/stamps/").content.decode()
    before = counts()
    assert leader.post("/stamps/", {"serial": stamps["a1"].serial, "reason": "x"}).status_code == 403
    assert client_for("officer-a").post("/stamps/", {"serial": stamps["b1"].serial, "reason": "x"}).status_code == 404
    assert counts() == before
    stamps["a1"].refresh_from_db()
    assert not stamps["a1"].is_revoked


def test_korean(stamps, client_for):
    response = client_for("officer-a").get("/stamps/", HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 200 and '<html lang="ko">' in response.content.decode()
