"""The duty pages as resident-a1 sees them: their own household's figures, only links they can open, and every
other unit's pages still a 404.

The world is the demo's duties (a directive the household acknowledged, a finished and a running campaign with
sessions in HS-A1 and HS-A2, a levy the household delivered in full) plus what is still to do (a new directive, a
levy with nothing delivered yet) and a directive, a levy and a campaign with its session for unit HS-B1."""

import re
from decimal import Decimal
from urllib.parse import urljoin, urlsplit

import pytest

from inminban.audit.models import AuditEntry
from inminban.duties import services
from inminban.duties.models import Attendance, Campaign, Directive, Levy, Session, Share
from inminban.synth.demo_duties import DEMO_DIRECTIVE_TITLE, build_demo_duties

RESIDENT_PAGES = ("/my-household/", "/duties/", "/shares/", "/campaigns/", "/levies/", "/directives/", "/sessions/")


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


@pytest.fixture
def world(cast, unit_a1, unit_b1, household_a1, office_b, make_directive, make_levy, make_campaign, make_session):
    build_demo_duties(cast)
    new_directive = make_directive(unit_a1.parent, title_en="Clear the snow from the stairs", title_ko="계단 눈치기")
    open_levy = make_levy(unit_a1.parent, title_en="Manure for the farm", title_ko="농장 거름")
    services.quota_set(actor=cast["officer-a"], obligation=open_levy, unit=unit_a1, quantity=Decimal("40"))
    officer_b = cast["officer-b"]
    campaign_b = make_campaign(unit_b1, actor=officer_b, office=office_b)
    services.quota_set(actor=officer_b, obligation=campaign_b, unit=unit_b1, quantity=Decimal("16"))
    levy_b = make_levy(unit_b1, actor=officer_b, office=office_b)
    quota_b = services.quota_set(actor=officer_b, obligation=levy_b, unit=unit_b1, quantity=Decimal("8"))
    return {
        "directive": Directive.objects.get(title_en=DEMO_DIRECTIVE_TITLE),
        "new_directive": new_directive,
        "running": Campaign.objects.get(title_en="Gravel for the greenhouse"),
        "levy": Levy.objects.get(title_en="Rice for the army"),
        "open_levy": open_levy,
        "open_share": Share.objects.get(quota__levy=open_levy, household=household_a1),
        "neighbour_share": Share.objects.filter(quota__levy=open_levy).exclude(household=household_a1).first(),
        "share_a2": Share.objects.filter(quota__levy__title_en="Rice for the army", quota__unit__code="HS-A2").first(),
        "session_a2": Session.objects.filter(unit__code="HS-A2").first(),
        "directive_b": make_directive(unit_b1, actor=officer_b, office=office_b),
        "campaign_b": campaign_b,
        "session_b": make_session(campaign_b, unit_b1, actor=officer_b),
        "levy_b": levy_b,
        "share_b": quota_b.shares.first(),
    }


def _links(html: str, page: str) -> set[str]:
    """The site's own links on a page (no assets, no outside addresses, no fragments)."""
    found = set()
    for href in re.findall(r'href="([^"#]*)', html):
        href = href.replace("&amp;", "&")
        if not href or href.startswith(("data:", "mailto:")):
            continue
        parts = urlsplit(urljoin(page, href))
        if parts.scheme and parts.netloc not in ("", "testserver"):
            continue
        if parts.path.startswith("/static/"):
            continue
        found.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _crawl(client, language: str) -> tuple[dict[str, int], set[str]]:
    """Every link on the resident's duty and household pages, followed from /my-household/ and /duties/: the
    status each answered, and which of the resident's pages were read."""
    statuses: dict[str, int] = {}
    queue, read = ["/my-household/", "/duties/"], set()
    while queue:
        url = queue.pop(0)
        if url in statuses:
            continue
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language, follow=True)  # "/" leads to the start page
        statuses[url] = response.status_code
        if response.status_code != 200 or not url.startswith(RESIDENT_PAGES):
            continue
        if "html" not in response.get("Content-Type", ""):
            continue
        read.add(url)
        queue += sorted(_links(response.content.decode(), url) - statuses.keys())
    return statuses, read


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_link_on_the_residents_pages_opens(client_for, world, language):
    statuses, read = _crawl(client_for("resident-a1"), language)
    broken = {url: status for url, status in statuses.items() if status != 200}
    assert broken == {}
    for page in (
        f"/shares/{world['open_share'].pk}/",
        f"/campaigns/{world['running'].pk}/",
        f"/levies/{world['levy'].pk}/",
        f"/directives/{world['directive'].pk}/",
        f"/directives/{world['new_directive'].pk}/",
    ):
        assert page in read
    assert any(url.startswith("/sessions/") for url in read)
    assert not any(url.startswith(("/units/", "/areas/")) or "/units/" in url for url in statuses)


def _crumbs(html: str) -> list[str]:
    nav = re.search(r'<nav class="crumbs"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'href="([^"]+)"', nav)


def test_share_breadcrumbs_lead_only_to_pages_the_viewer_may_open(client_for, world):
    share = world["open_share"]
    levy = world["open_levy"]
    resident = client_for("resident-a1").get(f"/shares/{share.pk}/").content.decode()
    assert _crumbs(resident) == ["/my-household/", f"/levies/{levy.pk}/"]
    leader = client_for("leader-a1").get(f"/shares/{share.pk}/").content.decode()
    assert _crumbs(leader) == [f"/levies/{levy.pk}/", f"/levies/{levy.pk}/units/HS-A1/"]
    for url in _crumbs(leader):
        assert client_for("leader-a1").get(url).status_code == 200


def test_session_breadcrumbs_for_the_resident_go_to_the_campaign(client_for, world):
    session = Session.objects.filter(campaign=world["running"], unit__code="HS-A1").first()
    page = client_for("resident-a1").get(f"/sessions/{session.pk}/").content.decode()
    assert _crumbs(page) == ["/my-household/", f"/campaigns/{world['running'].pk}/"]


@pytest.mark.parametrize(
    ("language", "own_text", "unit_wide"),
    [
        ("en", ["Your household", "To do", "0 of 10 kg done", "Done"], ["0 of 0", "No quota set yet."]),
        (
            "ko",
            ["우리 세대", "할 일", "10 kg 가운데 0 함", "완료"],
            ["0세대 가운데 0세대", "아직 정한 과제량이 없습니다."],
        ),
    ],
)
def test_duties_overview_shows_the_households_own_figures(
    client_for, world, household_a1, language, own_text, unit_wide
):
    response = client_for("resident-a1").get("/duties/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    for text in own_text:
        assert text in html
    for text in unit_wide:
        assert text not in html
    levies = {row["obligation"].pk: row for row in response.context["levies"]}
    assert [share.household for share in levies[world["open_levy"].pk]["own"]] == [household_a1]
    assert levies[world["open_levy"].pk]["units"] == []  # no unit's progress for a resident
    directives = {row["directive"].pk: row for row in response.context["directives"]}
    assert directives[world["directive"].pk]["own"][0].ack is not None
    assert directives[world["new_directive"].pk]["own"][0].ack is None


@pytest.mark.parametrize(("language", "empty"), [("en", "No sessions yet."), ("ko", "아직 동원이 없습니다.")])
def test_campaign_shows_the_units_sessions(client_for, world, household_a1, language, empty):
    campaign = world["running"]
    response = client_for("resident-a1").get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    sessions = list(response.context["sessions"])
    assert sessions and {session.unit.code for session in sessions} == {"HS-A1"}
    html = response.content.decode()
    assert empty not in html
    for session in sessions:
        assert f'href="/sessions/{session.pk}/"' in html
    assert [share.household for share in response.context["own_shares"]] == [household_a1]
    assert f'href="/shares/{response.context["own_shares"][0].pk}/"' in html


@pytest.mark.parametrize(
    ("language", "addressed", "nobody"),
    [
        ("en", "This directive is addressed to your unit, Songhu-dong unit 1.", "No unit of yours is addressed."),
        ("ko", "이 지시는 우리 인민반(성후동 1인민반)에 내려왔습니다.", "맡은 인민반이 대상에 없습니다."),
    ],
)
def test_directive_addresses_the_residents_unit(client_for, world, household_a1, language, addressed, nobody):
    resident = client_for("resident-a1")
    response = resident.get(f"/directives/{world['new_directive'].pk}/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert addressed in html
    assert nobody not in html
    assert [row.household for row in response.context["own"]] == [household_a1]
    assert 'name="household"' in html  # the household can acknowledge it here
    answer = resident.post(f"/directives/{world['new_directive'].pk}/acknowledge/", {"household": household_a1.pk})
    assert answer.status_code == 302
    again = resident.get(f"/directives/{world['new_directive'].pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert again.context["own"][0].ack is not None


def test_the_session_sheet_shows_only_the_residents_household(client_for, world, household_a1, nothing_written):
    session = Session.objects.filter(campaign=world["running"], unit__code="HS-A1").first()
    resident = client_for("resident-a1")
    response = resident.get(f"/sessions/{session.pk}/")
    assert response.status_code == 200
    assert {row.household for row in response.context["rows"]} == {household_a1}
    assert response.context["can_record"] is False
    attendances = Attendance.objects.count()
    with nothing_written():
        assert resident.post(f"/sessions/{session.pk}/", {"person": []}).status_code == 403
    assert Attendance.objects.count() == attendances


def test_other_units_pages_still_answer_404(client_for, world):
    running, open_levy = world["running"], world["open_levy"]
    urls = [
        f"/directives/{world['directive_b'].pk}/",
        f"/campaigns/{world['campaign_b'].pk}/",
        f"/levies/{world['levy_b'].pk}/",
        f"/shares/{world['share_b'].pk}/",
        f"/sessions/{world['session_b'].pk}/",
        f"/sessions/{world['session_a2'].pk}/",
        f"/shares/{world['share_a2'].pk}/",
        f"/shares/{world['neighbour_share'].pk}/",
        f"/campaigns/{running.pk}/units/HS-A2/",
        f"/campaigns/{running.pk}/units/HS-A1/",  # a unit's page lists every household's share
        f"/levies/{open_levy.pk}/units/HS-A1/",
        "/units/HS-A1/",
        "/units/HS-B1/",
    ]
    resident = client_for("resident-a1")
    assert {url: resident.get(url).status_code for url in urls} == dict.fromkeys(urls, 404)


def test_a_resident_cannot_write_through_the_pages_they_now_see(client_for, world, nothing_written):
    """Seeing the unit's sessions gives no right to record: the sheet, a delivery and a confirmation are refused."""
    resident = client_for("resident-a1")
    session = Session.objects.filter(campaign=world["running"], unit__code="HS-A1").first()
    share = world["open_share"]
    entries = AuditEntry.objects.count()
    with nothing_written():
        assert resident.post(f"/sessions/{session.pk}/", {"person": [1]}).status_code == 403
        answer = resident.post(
            f"/shares/{share.pk}/",
            {
                "form": "delivery",
                "delivery-quantity": "1",
                "delivery-measure": "kg",
                "delivery-delivered_on": "2026-01-01",
            },
        )
        assert answer.status_code == 403
        assert resident.post(f"/shares/{share.pk}/confirm/").status_code == 403
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("en", ["Your household's share", "Deliver by", "To do", "Still to do"]),
        ("ko", ["우리 세대의 분담량", "바칠 기한", "할 일", "남은 량"]),
    ],
)
def test_the_share_page_speaks_to_the_household(client_for, world, language, texts):
    share = world["open_share"]
    html = client_for("resident-a1").get(f"/shares/{share.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for text in texts:
        assert text in html
    assert share.household.number not in html  # no registration number, no unit code: the household's own page
    assert share.quota.unit.code not in html
