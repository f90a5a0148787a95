"""CSV and XLSX of a unit's households: head, members, dwelling, duty status; only for those who see the unit."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from inminban.areas.models import Office
from inminban.audit.models import AuditEntry
from inminban.duties import services as duties
from inminban.duties.models import AllocationRule
from inminban.registry.models import Household, Membership


@pytest.fixture
def owing_levy(cast, unit_a1):
    """A district levy with a quota in A1: every household of A1 owes a share."""
    today = timezone.localdate()
    levy = duties.levy_create(
        actor=cast["officer-a"],
        office=Office.objects.get(code="HS-A-OFFICE"),
        area=unit_a1.parent,
        kind="food",
        title_ko="군량미 지원",
        title_en="Food for the army",
        measure="kg",
        rule=AllocationRule.objects.get(code="equal"),
        starts_on=today - timedelta(days=3),
        due_on=today + timedelta(days=20),
    )
    duties.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a1, quantity="40")
    return levy


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="HS-A1-households-' in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))


def _current(unit):
    return list(Household.objects.filter(unit=unit, dissolved_on__isnull=True).order_by("number"))


def test_leader_exports_the_unit_list(owing_levy, client_for, unit_a1, unit_b1):
    rows = _rows(client_for("leader-a1").get(f"/units/{unit_a1.code}/households.csv"))
    assert rows[0] == [
        "Unit",
        "Household",
        "Head of household",
        "Members",
        "Dwelling",
        "Registered on",
        "Shares owed",
        "Shares to stamp",
        "Directives to acknowledge",
        "Duty status",
    ]
    households = _current(unit_a1)
    assert [row[1] for row in rows[1:]] == [household.number for household in households]
    today = timezone.localdate()
    for row, household in zip(rows[1:], households, strict=True):
        assert row[2] == (household.head.full_name if household.head_id else "")
        members = Membership.objects.current_on(today).filter(household=household).count()
        assert row[3] == str(members)
        assert row[5] == household.registered_on.isoformat()
        assert int(row[6]) >= 1 and "owes a share" in row[9]
    numbers = {row[1] for row in rows}
    assert not numbers & {household.number for household in _current(unit_b1)}


def test_korean_headers(owing_levy, client_for, unit_a1):
    rows = _rows(client_for("leader-a1").get(f"/units/{unit_a1.code}/households.csv", HTTP_ACCEPT_LANGUAGE="ko"))
    assert rows[0][:5] == ["인민반", "세대", "세대주", "세대원", "살림집"]
    assert rows[1][9] == "분담량이 남음"


def test_xlsx(owing_levy, client_for, unit_a1):
    response = client_for("officer-a").get(f"/units/{unit_a1.code}/households.xlsx")
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][1] == "Household" and len(rows) == len(_current(unit_a1)) + 1
    assert isinstance(rows[1][3], int) and rows[1][5].date() <= date.today() and rows[1][6] == 1


def test_auditor_may_export(client_for, unit_a1):
    assert client_for("auditor").get(f"/units/{unit_a1.code}/households.csv").status_code == 200


@pytest.mark.parametrize("user", ["resident-a1", "leader-b1", "officer-b"])
def test_others_get_404(client_for, unit_a1, user):
    for fmt in ("csv", "xlsx"):
        assert client_for(user).get(f"/units/{unit_a1.code}/households.{fmt}").status_code == 404


def test_anonymous_is_sent_to_log_in(client_for, unit_a1):
    response = client_for(None).get(f"/units/{unit_a1.code}/households.csv")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("fmt", ["pdf", "XLSX", "xls", "tsv"])
def test_unknown_format_is_a_404(client_for, unit_a1, fmt):
    before = AuditEntry.objects.count()
    assert client_for("leader-a1").get(f"/units/{unit_a1.code}/households.{fmt}").status_code == 404
    assert AuditEntry.objects.count() == before


def test_unknown_unit_or_a_district_is_a_404(client_for, unit_a1):
    assert client_for("admin").get("/units/NOPE/households.csv").status_code == 404
    assert client_for("admin").get(f"/units/{unit_a1.parent.code}/households.csv").status_code == 404


def test_unit_page_links_the_exports(client_for, unit_a1):
    html = client_for("leader-a1").get(f"/units/{unit_a1.code}/").content.decode()
    assert f"/units/{unit_a1.code}/households.csv" in html and f"/units/{unit_a1.code}/households.xlsx" in html
