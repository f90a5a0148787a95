"""A resident reads their household's history on a phone, in English and in Korean: sentences only (no snake_case
words, no dotted action codes, no ids, no JSON), who did it by name and role, and "more" shows older entries."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inminban.areas.models import Area, Office
from inminban.audit.describe import ACTIONS
from inminban.duties import services
from inminban.duties.models import AllocationRule, Share
from inminban.registry.models import Household
from inminban.synth.demo import DEMO_PASSWORD, SMALL, build_demo

pytestmark = pytest.mark.browser

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
DOTTED_CODE = re.compile(r"\b[a-z]+\.[a-z_]+\b")
IDS = re.compile(r"#\d+|\bids?\b|\bID\b|\bpk\b")
JSON = re.compile(r"[{}]")


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


def _history(cast_users) -> tuple[Household, str]:
    """A levy delivered and confirmed and a directive acknowledged and confirmed, for resident-a1's household, on
    top of its registration: more entries than the first page of the history holds."""
    officer, leader = cast_users["officer-a"], cast_users["leader-a1"]
    unit = Area.objects.get(code="HS-A1")
    household = Household.objects.filter(unit=unit).order_by("number").first()
    office = Office.objects.get(code="HS-A-OFFICE")
    today = timezone.localdate()
    directive = services.directive_issue(
        actor=officer,
        office=office,
        area=unit,
        title_ko="겨울철 화재 예방",
        title_en="Fire safety in winter",
        text_en="Check stoves and chimneys.",
        effective_on=today,
        due_on=today + timedelta(days=7),
    )
    ack = services.directive_acknowledge(actor=leader, directive=directive, household=household)
    services.acknowledgement_confirm(actor=leader, acknowledgement=ack)
    levy = services.levy_create(
        actor=officer,
        office=office,
        area=unit,
        kind="food",
        title_ko="군량미 지원",
        title_en="Rice for the army",
        measure="kg",
        rule=AllocationRule.objects.get(code="equal"),
        starts_on=today - timedelta(days=3),
        due_on=today + timedelta(days=20),
    )
    services.quota_set(actor=officer, obligation=levy, unit=unit, quantity=Decimal(5 * unit.households.count()))
    share = Share.objects.get(quota__levy=levy, household=household)
    services.delivery_record(actor=leader, share=share, quantity=share.quantity, measure="kg", delivered_on=today)
    services.share_confirm(actor=leader, share=share)
    return household, levy.title_en


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()


def _codes(text: str) -> list[str]:
    return SNAKE.findall(text) + DOTTED_CODE.findall(text) + IDS.findall(text) + JSON.findall(text)


def test_resident_reads_history_in_sentences(live_server, phone, duty_rules, fits_width):
    from django.contrib.auth.models import User

    build_demo(size=SMALL)
    cast_users = {user.username: user for user in User.objects.all()}
    household, levy_title = _history(cast_users)
    base = live_server.url
    page = phone
    _log_in(page, base, "resident-a1")

    for language, confirmed, registered, leader_role, more in (
        ("en", f"Share of {levy_title} confirmed: 5 kilograms delivered; stamp issued.",
         f"Household {household.number} registered at ", "(unit leader)", "More: older changes"),
        ("ko", "《군량미 지원》 분담량 확인: 5 ", f"세대 {household.number} 등록, 살림집: ", "(인민반장)",
         "더 보기: 이전 변경"),
    ):  # fmt: skip
        if language == "ko":
            page.click("form.lang button[value=ko]")
            page.wait_for_load_state()
        page.goto(f"{base}/my-household/")
        assert page.locator("html").get_attribute("lang") == language
        history = page.locator("ol.entries")
        text = history.inner_text()
        assert confirmed in text
        assert leader_role in text and "leader-a1" not in text
        assert not _codes(text), _codes(text)
        assert page.locator("details.raw").count() == 0  # the raw entry is for auditors
        assert fits_width(page)
        # The oldest entries (the registration) are a page further: "more" shows them.
        assert registered not in text
        page.get_by_role("link", name=more).click()
        page.wait_for_load_state()
        assert "history_page=2" in page.url
        older = page.locator("ol.entries").inner_text()
        assert registered in older
        assert not _codes(older), _codes(older)
        assert confirmed not in older
        assert fits_width(page)
        # Nothing on the whole page is an action code or JSON either.
        main = page.locator("main").inner_text()
        assert not [code for code in ACTIONS if code in main] and not JSON.findall(main)
