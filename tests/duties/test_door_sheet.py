"""The printable door-to-door sheet of a unit: its households, what each still owes, a column to sign; as a page and
as a PDF (read back with poppler's pdftotext and pdffonts)."""

import shutil
import subprocess

import pytest

from inminban.audit.models import AuditEntry
from inminban.duties import services
from inminban.registry.models import Household


def _pdf_text(tmp_path, body: bytes, *args: str) -> str:
    assert shutil.which("pdftotext"), "pdftotext is missing: apt-get install poppler-utils"
    path = tmp_path / "sheet.pdf"
    path.write_bytes(body)
    return subprocess.run(
        ["pdftotext", *args, str(path), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout


@pytest.fixture
def levy_a(make_levy, cast, unit_a1):
    """A levy of district A with a quota of 40 kg in unit A1 (10 kg per household), one household paid 4 kg."""
    levy = make_levy(unit_a1.parent)
    quota = services.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a1, quantity="40")
    first = quota.shares.order_by("household__number").first()
    services.delivery_record(
        actor=cast["leader-a1"], share=first, quantity="4", measure="kg", delivered_on=first.quota.levy.starts_on
    )
    return levy


def _households(unit):
    return list(Household.objects.filter(unit=unit, dissolved_on__isnull=True).order_by("number"))


def test_unit_sheet_lists_every_household_with_what_it_owes(levy_a, client_for, unit_a1, unit_b1, audit_count):
    before = audit_count()
    response = client_for("leader-a1").get(f"/units/{unit_a1.code}/door-sheet/")
    assert response.status_code == 200
    html = response.content.decode()
    households = _households(unit_a1)
    for household in households:
        assert household.number in html
        if household.head_id:
            assert household.head.full_name in html
    assert html.count('class="sign"') == len(households) + 1  # the heading and one empty cell per household
    assert "Food for the army: 6 kg by" in html and "Food for the army: 10 kg by" in html
    assert f"/units/{unit_a1.code}/door-sheet.pdf" in html and "data-print" in html
    for household in _households(unit_b1):
        assert household.number not in html
    assert audit_count() == before  # reading a sheet writes nothing


def test_unit_sheet_in_korean(levy_a, client_for, unit_a1):
    html = client_for("leader-a1").get(f"/units/{unit_a1.code}/door-sheet/", HTTP_ACCEPT_LANGUAGE="ko").content
    html = html.decode()
    assert "세대별 방문표" in html and "수표" in html and "군량미 지원" in html and "까지" in html
    assert "Door-to-door" not in html and "Signature" not in html


def test_unit_sheet_pdf_has_households_and_embedded_font(levy_a, client_for, unit_a1, unit_b1, tmp_path):
    response = client_for("leader-a1").get(f"/units/{unit_a1.code}/door-sheet.pdf", HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(tmp_path, response.content)
    assert "세대별 방문표" in text and "수표" in text and "군량미 지원" in text
    for household in _households(unit_a1):
        assert household.number in text
    for household in _households(unit_b1):
        assert household.number not in text
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "sheet.pdf")], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert fonts and all("NotoSansKR" in line and line.split()[-5] == "yes" for line in fonts)


def test_obligation_sheet_shows_that_levy_only(levy_a, make_campaign, cast, client_for, unit_a1, tmp_path):
    campaign = make_campaign(unit_a1.parent)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="8")
    client = client_for("leader-a1")
    html = client.get(f"/levies/{levy_a.pk}/units/{unit_a1.code}/door-sheet/").content.decode()
    assert "Door-to-door sheet: Food for the army" in html and "River cleanup" not in html
    assert '<span class="owed">6 kg</span>' in html and '<span class="owed">10 kg</span>' in html
    assert "Food for the army · due " in html  # the due date once, in the heading
    unit_html = client.get(f"/units/{unit_a1.code}/door-sheet/").content.decode()
    assert "River cleanup: 2 " in unit_html and "Food for the army: 6 kg by" in unit_html
    body = client.get(f"/campaigns/{campaign.pk}/units/{unit_a1.code}/door-sheet.pdf").content
    text = _pdf_text(tmp_path, body)
    assert "River cleanup" in text and "Food for the army" not in text


def test_stamped_share_is_not_on_the_unit_sheet(make_levy, cast, client_for, unit_a1):
    levy = make_levy(unit_a1.parent, title_en="Cement", title_ko="세멘트", kind="materials")
    quota = services.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a1, quantity="4")
    share = quota.shares.order_by("household__number").first()
    services.delivery_record(
        actor=cast["leader-a1"], share=share, quantity=share.quantity, measure="kg", delivered_on=levy.starts_on
    )
    services.share_confirm(actor=cast["leader-a1"], share=share)
    html = client_for("leader-a1").get(f"/units/{unit_a1.code}/door-sheet/").content.decode()
    assert html.count("Cement:") == quota.shares.count() - 1
    levy_html = client_for("leader-a1").get(f"/levies/{levy.pk}/units/{unit_a1.code}/door-sheet/").content.decode()
    assert "stamped" in levy_html


def test_links_from_the_unit_and_levy_pages(levy_a, client_for, unit_a1):
    client = client_for("leader-a1")
    assert f"/units/{unit_a1.code}/door-sheet/" in client.get(f"/units/{unit_a1.code}/").content.decode()
    unit_page = client.get(f"/levies/{levy_a.pk}/units/{unit_a1.code}/").content.decode()
    assert f"/levies/{levy_a.pk}/units/{unit_a1.code}/door-sheet/" in unit_page
    assert f"/levies/{levy_a.pk}/shares.csv?unit={unit_a1.code}" in unit_page
    detail = client.get(f"/levies/{levy_a.pk}/").content.decode()
    assert f"/levies/{levy_a.pk}/units/{unit_a1.code}/door-sheet/" in detail  # a leader sees one unit
    assert f"/levies/{levy_a.pk}/shares.xlsx" in detail


@pytest.mark.parametrize(
    "path",
    [
        "/units/{a1}/door-sheet/",
        "/units/{a1}/door-sheet.pdf",
        "/levies/{levy}/units/{a1}/door-sheet/",
        "/levies/{levy}/units/{a1}/door-sheet.pdf",
    ],
)
@pytest.mark.parametrize("user", ["leader-b1", "resident-a1", "officer-b"])
def test_outside_the_unit_is_a_404(levy_a, client_for, unit_a1, path, user):
    url = path.format(a1=unit_a1.code, levy=levy_a.pk)
    assert client_for(user).get(url).status_code == 404


def test_anonymous_is_sent_to_log_in(client_for, unit_a1):
    response = client_for(None).get(f"/units/{unit_a1.code}/door-sheet/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_unit_outside_the_levy_area_is_a_404(make_levy, cast, client_for, unit_a1, unit_a2):
    levy = make_levy(unit_a1)  # addressed to unit A1 only
    assert client_for("officer-a").get(f"/levies/{levy.pk}/units/{unit_a2.code}/door-sheet/").status_code == 404
    assert client_for("officer-a").get(f"/levies/{levy.pk}/units/{unit_a1.code}/door-sheet/").status_code == 200


@pytest.mark.parametrize("fmt", ["txt", "PDF", "html", "pdf.exe"])
def test_unknown_sheet_format_is_a_404(levy_a, client_for, unit_a1, fmt):
    before = AuditEntry.objects.count()
    client = client_for("leader-a1")
    assert client.get(f"/units/{unit_a1.code}/door-sheet.{fmt}").status_code == 404
    assert client.get(f"/levies/{levy_a.pk}/units/{unit_a1.code}/door-sheet.{fmt}").status_code == 404
    assert AuditEntry.objects.count() == before


def test_unknown_unit_and_obligation_are_404(levy_a, client_for, unit_a1):
    client = client_for("officer-a")
    assert client.get("/units/NO-SUCH-UNIT/door-sheet/").status_code == 404
    assert client.get(f"/levies/999999/units/{unit_a1.code}/door-sheet/").status_code == 404
    assert client.get(f"/campaigns/{levy_a.pk + 100000}/units/{unit_a1.code}/door-sheet.pdf").status_code == 404
    # A district, not a unit.
    assert client.get(f"/units/{unit_a1.parent.code}/door-sheet/").status_code == 404
