"""The printable stamp page, its PDF, the public trust documents and the verifier page."""

import json
import re

import pytest

from inminban.audit.models import AccessLogEntry
from inminban.stamps import documents
from inminban.stamps.trust import read_status_list, read_trust_list


@pytest.fixture
def a1_stamp(issue, household_a1):
    return issue(household_a1)


def test_stamp_page_shows_qr_and_claims(a1_stamp, client_for):
    response = client_for("leader-a1").get(f"/stamps/{a1_stamp.serial}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "stamp-qr" in html
    assert a1_stamp.encoded in html
    assert a1_stamp.household.number in html and "Street cleaning" in html and a1_stamp.office.name_en in html
    # What the printed stamp says, in words: no office code, duty reference or key id on the page.
    assert "HS-A-OFFICE" not in html and a1_stamp.duty_ref not in html and a1_stamp.signing_key.kid not in html
    assert "stamps/stamp.css" in html
    assert "stamp-revoke" not in html  # a leader has no revoke form
    assert AccessLogEntry.objects.filter(household=a1_stamp.household, actor__username="leader-a1").exists()


def test_officer_sees_the_revoke_form_and_revokes(a1_stamp, client_for):
    client = client_for("officer-a")
    assert "stamp-revoke" in client.get(f"/stamps/{a1_stamp.serial}/").content.decode()
    response = client.post(f"/stamps/{a1_stamp.serial}/revoke", {"reason": "double entry"})
    assert response.status_code == 302
    a1_stamp.refresh_from_db()
    assert a1_stamp.is_revoked and a1_stamp.revoked_reason == "double entry"
    page = client.get(f"/stamps/{a1_stamp.serial}/").content.decode()
    assert "double entry" in page and "is-revoked" in page


def test_revoke_form_without_reason_changes_nothing(a1_stamp, client_for, unchanged):
    response = client_for("officer-a").post(f"/stamps/{a1_stamp.serial}/revoke", {"reason": ""}, follow=True)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    a1_stamp.refresh_from_db()
    assert not a1_stamp.is_revoked


def test_leader_posting_a_revocation_gets_403(a1_stamp, client_for):
    assert client_for("leader-a1").post(f"/stamps/{a1_stamp.serial}/revoke", {"reason": "x"}).status_code == 403


def test_other_units_stamp_page_is_a_404(a1_stamp, client_for):
    assert client_for("leader-b1").get(f"/stamps/{a1_stamp.serial}/").status_code == 404
    assert client_for("leader-b1").get(f"/stamps/{a1_stamp.serial}.pdf").status_code == 404


def test_anonymous_is_sent_to_log_in(a1_stamp, client_for):
    response = client_for(None).get(f"/stamps/{a1_stamp.serial}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_pdf(a1_stamp, client_for):
    # What the PDF says and how it is drawn: tests/stamps/test_stamp_pdf.py.
    response = client_for("leader-a1").get(f"/stamps/{a1_stamp.serial}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and response.content.rstrip().endswith(b"%%EOF")


def test_public_trust_documents(a1_stamp, client_for):
    client = client_for(None)
    response = client.get("/stamps/trust-list")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/cose")
    root = documents.root_public_key()
    trust = read_trust_list(response.content, root)
    kid = a1_stamp.signing_key.kid
    assert kid in trust.keys
    status = client.get(f"/stamps/status/{kid}")
    assert status.status_code == 200
    assert read_status_list(status.content, root, kid).size == 1
    assert client.get("/stamps/status/0000000000000000").status_code == 404
    assert client.get("/stamps/status/..%2F..%2Fetc").status_code == 404


def test_verify_page_is_public_and_embeds_the_pinned_root(a1_stamp, client_for):
    response = client_for(None).get("/verify/")
    assert response.status_code == 200
    html = response.content.decode()
    data = json.loads(
        re.search(r'<script id="inminban-trust-data" type="application/json">(.*?)</script>', html).group(1)
    )
    assert data["root_key"] == documents.root_key_ensure().public_key
    assert a1_stamp.signing_key.kid in data["status_lists"]
    assert set(data["messages"]) >= {"valid", "revoked", "bad_signature", "malformed", "bad_prefix"}
