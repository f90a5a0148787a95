"""Feedback reports: an office asks how a campaign or levy is going; the system compiles per unit and in total the
quota, what is done and still owed (cancelled shares apart), waivers, exemptions by reason, petitions and
complaints, in a handful of queries, keeps it, and shows it as a page with a chart, a PDF and in the API."""

# ruff: noqa: F811 - the fixtures imported from suspending are named as arguments

import shutil
import subprocess
from decimal import Decimal

import pytest
from django.test import Client

from inminban.audit.models import AuditEntry
from inminban.duties.models import Share
from inminban.governance import reports, suspensions
from inminban.governance.models import FeedbackReport

from .suspending import bearer, call, grain, keys, office_a, own_household, river, state  # noqa: F401


def _pdf_text(tmp_path, body: bytes) -> str:
    assert shutil.which("pdftotext"), "pdftotext is missing: apt-get install poppler-utils"
    path = tmp_path / "report.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True, timeout=60).stdout


def test_a_report_counts_what_each_unit_owes_did_and_asked(cast, grain, unit_a1, unit_a2):
    report = reports.feedback_report_request(actor=cast["officer-a"], obligation=grain)
    content = report.content
    assert [row["unit"] for row in content["units"]] == ["HS-A1", "HS-A2"]
    a1, a2 = content["units"]
    shares = list(Share.objects.filter(quota__levy=grain, quota__unit=unit_a1))
    due = sum(s.quantity - s.waived for s in shares)
    done = sum(s.done for s in shares)
    assert (Decimal(a1["quota"]), Decimal(a1["due"]), Decimal(a1["done"])) == (Decimal(40), due, done)
    assert Decimal(a1["shortfall"]) == sum(max(s.quantity - s.waived - s.done, 0) for s in shares) == due - 4
    assert (a1["waivers_requested"], a1["waivers_granted"], a1["waivers_pending"]) == (2, 1, 1)
    assert (Decimal(a1["waivers_requested_quantity"]), Decimal(a1["waivers_granted_quantity"])) == (7, 5)
    assert a1["exemptions"] == {"disability": 0, "pregnancy": 1, "infant_care": 0}
    assert a1["excused_by_exemption"] == 1
    assert (a1["petitions"], a1["signatures"], a1["complaints"], a1["complaint_signatures"]) == (1, 2, 1, 1)
    assert (a2["petitions"], a2["waivers_requested"], a2["exemptions"]["pregnancy"]) == (0, 0, 0)
    total = content["total"]
    assert Decimal(total["quota"]) == 80
    assert Decimal(total["shortfall"]) == Decimal(a1["shortfall"]) + Decimal(a2["shortfall"])
    assert total["petitions"] == 1 and total["exemptions"]["pregnancy"] == 1
    entry = AuditEntry.objects.latest("seq")
    assert (entry.action, entry.after["obligation"], entry.after["units"]) == ("feedback_report.request", grain.ref, 2)


def test_cancelled_shares_are_counted_apart_from_the_shortfall(cast, river, unit_a1):
    suspensions.obligation_suspend(actor=cast["officer-a"], obligation=river, reason="장마")
    row = reports.feedback_report_request(actor=cast["officer-a"], obligation=river).content["units"][0]
    cancelled = Share.objects.filter(quota__campaign=river, cancelled_at__isnull=False)
    assert row["cancelled_shares"] == cancelled.count() > 0
    assert Decimal(row["cancelled_remaining"]) == sum(s.cancelled_remaining for s in cancelled)
    assert Decimal(row["shortfall"]) == 0


def test_a_report_takes_a_handful_of_queries_whatever_the_units(cast, grain, unit_a1):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for area in (unit_a1, unit_a1.parent):  # one unit, then two
        with CaptureQueriesContext(connection) as captured:
            reports.feedback_report_request(actor=cast["officer-a"], obligation=grain, area=area)
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 25, counts


def test_a_report_on_a_part_of_the_area_covers_only_it(cast, grain, unit_a1):
    report = reports.feedback_report_request(actor=cast["officer-a"], obligation=grain, area=unit_a1)
    assert [row["unit"] for row in report.content["units"]] == ["HS-A1"]


def test_the_api_compiles_lists_reads_and_prints_a_report(cast, grain, tmp_path):
    officer = bearer("officer-a")
    made = call(officer, "post", "/feedback-reports", {"levy": grain.pk})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["levy"] == grain.pk and body["area"] == "HS-A" and body["units"][0]["unit"] == "HS-A1"
    assert body["total"]["quota"] == "80"
    listed = call(officer, "get", f"/feedback-reports?levy={grain.pk}").json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    assert call(bearer("auditor"), "get", f"/feedback-reports/{body['id']}").status_code == 200
    printed = call(officer, "get", f"/feedback-reports/{body['id']}.pdf")
    assert printed.status_code == 200 and printed["Content-Type"] == "application/pdf"
    text = _pdf_text(tmp_path, printed.content)
    assert "Feedback report" in text and "Food for the army" in text


def test_the_page_shows_the_report_with_its_chart_and_prints_it_in_korean(cast, grain, client_for, tmp_path):
    officer = client_for("officer-a")
    levy_page = officer.get(f"/levies/{grain.pk}/").content.decode()
    assert f"/levies/{grain.pk}/reports/" in levy_page
    made = officer.post(f"/levies/{grain.pk}/reports/", {"area": "HS-A"})
    assert made.status_code == 302, made.content
    report = FeedbackReport.objects.latest("pk")
    page = officer.get(f"/reports/{report.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "Pregnancy 1" in html
    printed = officer.get(f"/reports/{report.pk}.pdf", HTTP_ACCEPT_LANGUAGE="ko")
    assert printed["Content-Type"] == "application/pdf"
    assert "군량미 지원" in _pdf_text(tmp_path, printed.content)


# Bad input and access ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "campaign"),
        ({"levy": 1, "campaign": 1}, 422, "campaign"),
        ({"levy": "x"}, 422, "levy"),
        ({"levy": 0}, 422, "levy"),
        ({"levy": None, "area": "HS-B"}, 422, "campaign"),
        ({"area": "HS-B1", "levy": -1}, 422, "levy"),
        ({"extra": 1}, 422, "extra"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(grain, body, status, field):
    officer = bearer("officer-a")
    before = state()
    response = call(officer, "post", "/feedback-reports", body)
    assert response.status_code == status, response.content
    assert field in response.json()["fields"]
    assert state() == before


def test_an_area_outside_the_obligation_is_refused(grain):
    officer = bearer("officer-a")
    before = state()
    response = call(officer, "post", "/feedback-reports", {"levy": grain.pk, "area": "HS-B1"})
    assert response.status_code == 422 and "area" in response.json()["fields"]
    assert state() == before


def test_an_obligation_outside_the_officers_office_is_a_404(grain):
    officer = bearer("officer-b")
    before = state()
    response = call(officer, "post", "/feedback-reports", {"levy": grain.pk})
    assert response.status_code == 404
    assert state() == before


@pytest.mark.parametrize(
    ("username", "create", "read"),
    [
        (None, 401, 401),
        ("resident-a1", 403, 404),
        ("leader-a1", 403, 404),
        ("auditor", 403, 200),
        ("officer-b", 404, 404),
        ("officer-city", 201, 200),
        ("officer-a", 201, 200),
    ],
)
def test_access_matrix(cast, grain, username, create, read):
    report = reports.feedback_report_request(actor=cast["officer-a"], obligation=grain)
    client = bearer(username) if username else Client()
    before = state()
    made = call(client, "post", "/feedback-reports", {"levy": grain.pk})
    assert made.status_code == create, made.content
    if create != 201:
        assert state() == before
    for path in (f"/feedback-reports/{report.pk}", f"/feedback-reports/{report.pk}.pdf"):
        assert call(client, "get", path).status_code == read
    listed = call(client, "get", "/feedback-reports")
    assert listed.status_code == (401 if username is None else 200)
    if username is not None:
        assert (report.pk in [item["id"] for item in listed.json()["items"]]) == (read == 200)
