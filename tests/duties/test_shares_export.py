"""CSV and XLSX exports of a campaign's or levy's shares: headers in the UI's language, ISO dates in CSV, only the
units the actor sees, residents refused, unknown formats a 404."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from inminban.audit.models import AuditEntry
from inminban.duties import services
from inminban.web.exports import to_csv, to_xlsx


@pytest.fixture
def district_levy(make_levy, cast, unit_a1, unit_a2):
    """A levy of district A with quotas in A1 and A2; one A1 household paid in full and was stamped."""
    levy = make_levy(unit_a1.parent)
    services.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a1, quantity="40")
    services.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a2, quantity="20")
    share = levy.quotas.get(unit=unit_a1).shares.order_by("household__number").first()
    services.delivery_record(
        actor=cast["leader-a1"], share=share, quantity="10", measure="kg", delivered_on=levy.starts_on
    )
    services.share_confirm(actor=cast["leader-a1"], share=share)
    share.refresh_from_db()
    return levy, share


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheet programs then read the Korean as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_of_a_levy_for_an_officer(district_levy, client_for, unit_a1, unit_a2):
    levy, stamped = district_levy
    rows = _csv(client_for("officer-a").get(f"/levies/{levy.pk}/shares.csv"))
    header, body = rows[0], rows[1:]
    assert header == [
        "Unit",
        "Household",
        "Head of household",
        "Dwelling",
        "Share",
        "Waived",
        "Delivered",
        "Still owed",
        "Measure",
        "Status",
        "Stamp serial number",
        "Stamped on",
    ]
    assert len(body) == levy.quotas.get(unit=unit_a1).shares.count() + levy.quotas.get(unit=unit_a2).shares.count()
    first = next(row for row in body if row[1] == stamped.household.number)
    assert first[4:8] == ["10", "0", "10", "0"] and first[8] == "kilograms" and first[9] == "stamped"
    assert first[10] == stamped.stamp_serial
    assert date.fromisoformat(first[11])  # ISO date
    others = [row for row in body if row[1] != stamped.household.number]
    assert all(row[9] == "not started" and row[10] == "" and row[11] == "" for row in others)


def test_leader_exports_only_their_unit(district_levy, client_for, unit_a1, unit_a2):
    levy, _ = district_levy
    rows = _csv(client_for("leader-a1").get(f"/levies/{levy.pk}/shares.csv"))[1:]
    a1_numbers = set(levy.quotas.get(unit=unit_a1).shares.values_list("household__number", flat=True))
    a2_numbers = set(levy.quotas.get(unit=unit_a2).shares.values_list("household__number", flat=True))
    assert a2_numbers and {row[1] for row in rows} == a1_numbers and not a2_numbers & {row[1] for row in rows}


def test_one_unit_by_code(district_levy, client_for, unit_a2):
    levy, _ = district_levy
    rows = _csv(client_for("officer-a").get(f"/levies/{levy.pk}/shares.csv?unit={unit_a2.code}"))[1:]
    assert len(rows) == levy.quotas.get(unit=unit_a2).shares.count()
    # A unit the leader does not see is a 404, not an empty file.
    assert client_for("leader-a1").get(f"/levies/{levy.pk}/shares.csv?unit={unit_a2.code}").status_code == 404
    assert client_for("officer-a").get(f"/levies/{levy.pk}/shares.csv?unit=NOPE").status_code == 404


def test_korean_headers_and_words(district_levy, client_for):
    levy, _ = district_levy
    rows = _csv(client_for("officer-a").get(f"/levies/{levy.pk}/shares.csv", HTTP_ACCEPT_LANGUAGE="ko"))
    assert rows[0][:3] == ["인민반", "세대", "세대주"] and "바친 량" in rows[0]
    assert any(row[9] == "도장 받음" for row in rows[1:])


def test_xlsx_has_numbers_and_dates(district_levy, client_for):
    levy, stamped = district_levy
    response = client_for("officer-a").get(f"/levies/{levy.pk}/shares.xlsx")
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "Household"
    row = next(r for r in rows[1:] if r[1] == stamped.household.number)
    assert row[4] == 10 and row[6] == 10 and row[9] == "stamped"
    assert row[11].date() == timezone.localtime(stamped.confirmed_at).date()


def test_campaign_shares_say_hours_done(make_campaign, cast, client_for, unit_a1):
    campaign = make_campaign(unit_a1.parent)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="8")
    rows = _csv(client_for("officer-a").get(f"/campaigns/{campaign.pk}/shares.csv"))
    assert "Hours done" in rows[0] and all(row[8] == "person-hours" for row in rows[1:])


def test_resident_is_refused(district_levy, client_for):
    levy, _ = district_levy
    for fmt in ("csv", "xlsx"):
        assert client_for("resident-a1").get(f"/levies/{levy.pk}/shares.{fmt}").status_code == 403


def test_levy_not_addressed_to_the_actor_is_a_404(make_levy, cast, client_for, unit_a1):
    levy = make_levy(unit_a1.parent)  # district A only
    services.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a1, quantity="40")
    assert client_for("leader-b1").get(f"/levies/{levy.pk}/shares.csv").status_code == 404
    assert client_for("officer-b").get(f"/levies/{levy.pk}/shares.xlsx").status_code == 404
    assert client_for("officer-a").get(f"/campaigns/{levy.pk + 100000}/shares.csv").status_code == 404


@pytest.mark.parametrize("fmt", ["pdf", "CSV", "xls", "json"])
def test_unknown_format_is_a_404(district_levy, client_for, fmt):
    levy, _ = district_levy
    before = AuditEntry.objects.count()
    assert client_for("officer-a").get(f"/levies/{levy.pk}/shares.{fmt}").status_code == 404
    assert AuditEntry.objects.count() == before


def test_text_that_looks_like_a_formula_stays_text():
    rows = [['=HYPERLINK("x")', "+1", "-2", "@a", "김", Decimal("1.50"), date(2026, 12, 1)]]
    line = to_csv(["a", "b", "c", "d", "e", "f", "g"], rows).decode("utf-8").splitlines()[1]
    assert line == '"\'=HYPERLINK(""x"")",\'+1,\'-2,\'@a,김,1.5,2026-12-01'
    sheet = load_workbook(io.BytesIO(to_xlsx(["a"] * 7, rows, title="t"))).active
    cells = list(sheet.iter_rows(min_row=2, values_only=True))[0]
    assert cells[0] == '=HYPERLINK("x")' and sheet["A2"].data_type == "s"
    assert cells[5] == 1.5 and cells[6].date() == date(2026, 12, 1)
