"""The leader's phone flows at 390 px, in English and in Korean: leader-a1 acknowledges five households door to door
(the page does not jump: the tapped card stays where it was on the screen, the order of the cards does not change, the
page is not reloaded), undoes one mistaken tap, then records a whole household present on the attendance sheet with
the save button on screen all along."""

from datetime import date, time, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from inminban.areas.models import Area, Office
from inminban.audit.models import AuditEntry
from inminban.duties import services
from inminban.duties.models import AllocationRule, Attendance, DirectiveAcknowledgement
from inminban.duties.rules import age_on
from inminban.registry.models import Household, Membership
from inminban.registry.services import household_register, person_register
from inminban.synth.demo import DEMO_PASSWORD, SMALL, build_demo

pytestmark = pytest.mark.browser

MESSAGES = {
    "en": {
        "acknowledged": "acknowledged the directive.",
        "undone": "Undone:",
        "saved": "The attendance sheet was saved.",
    },
    "ko": {"acknowledged": "지시를 확인했습니다.", "undone": "되돌렸습니다:", "saved": "참가 명단을 저장했습니다."},
}


def _log_in(page, base: str, username: str, language: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()
    if language == "ko":
        page.click("form.lang button[value=ko]")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "ko"


def _four_more_households(today) -> None:
    """Eight households in A1 instead of the small demo's four: enough cards and sheet rows to scroll through."""
    admin = User.objects.get(username="admin")
    unit = Area.objects.get(code="HS-A1")
    for index in range(4):
        household = household_register(
            actor=admin, unit=unit, number=f"HS-A1-NEW{index}", registered_on=date(2020, 1, 1)
        )
        for given, born, relation in (("철", 1980, "head"), ("영", 1982, "spouse"), ("민", 2016, "child")):
            person_register(
                actor=admin,
                household=household,
                family_name="한",
                given_name=f"{given}{index}",
                birth_date=date(born, 3, 1 + index),
                sex="M",
                relation=relation,
                since=date(2020, 1, 1),
            )


def _duties(today):
    officer = Office.objects.get(code="HS-A-OFFICE")
    officer_user = User.objects.get(username="officer-a")
    unit = Area.objects.get(code="HS-A1")
    directive = services.directive_issue(
        actor=officer_user,
        office=officer,
        area=unit,
        title_ko="봄철 위생 점검",
        title_en="Spring hygiene check",
        text_en="Every household cleans its yard.",
        effective_on=today,
        due_on=today + timedelta(days=5),
    )
    campaign = services.campaign_create(
        actor=officer_user,
        office=officer,
        area=unit,
        title_ko="거리 청소",
        title_en="Street cleaning",
        measure="person_hours",
        rule=AllocationRule.objects.get(code="equal"),
        place="큰길",
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=5),
    )
    services.quota_set(actor=officer_user, obligation=campaign, unit=unit, quantity="64")
    session = services.session_create(
        actor=officer_user, campaign=campaign, unit=unit, on=today, starts_at=time(8, 0), ends_at=time(12, 0)
    )
    return directive, session


def _card_ids(page) -> list[str]:
    return page.eval_on_selector_all("[data-door-card]", "cards => cards.map(card => card.id)")


def _top(page, selector: str) -> float:
    return page.eval_on_selector(selector, "el => el.getBoundingClientRect().top")


def _in_viewport(page, selector: str) -> bool:
    return page.eval_on_selector(
        selector, "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )


@pytest.mark.parametrize("language", ["en", "ko"])
def test_leader_door_to_door_and_whole_household_attendance(
    live_server, chromium, phone, duty_rules, fits_width, language, tmp_path, monkeypatch
):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))
    build_demo(size=SMALL)
    today = timezone.localdate()
    _four_more_households(today)
    directive, session = _duties(today)
    base = live_server.url
    page = phone
    text = MESSAGES[language]
    _log_in(page, base, "leader-a1", language)

    # Door to door: five households, one tap each, the page neither reloads nor moves.
    page.goto(f"{base}/directives/{directive.pk}/?unit=HS-A1")
    assert fits_width(page)
    order = _card_ids(page)
    households = list(Household.objects.filter(unit__code="HS-A1", dissolved_on__isnull=True).order_by("number"))
    assert order == [f"household-{household.pk}" for household in households] and len(order) == 8
    page.evaluate("() => { window.notReloaded = true; }")
    for household in households[:5]:
        card = f"#household-{household.pk}"
        page.locator(card).evaluate("card => card.scrollIntoView({block: 'center'})")  # where a thumb taps
        top, scrolled = _top(page, card), page.evaluate("() => window.scrollY")
        page.locator(f"{card} form[data-door] button").click()
        page.wait_for_selector(f"{card}.is-done")
        assert _in_viewport(page, card), f"{card} left the screen"
        assert abs(_top(page, card) - top) < 2 and abs(page.evaluate("() => window.scrollY") - scrolled) < 2
        assert text["acknowledged"] in page.locator(f"{card} .door-message").inner_text()
        assert _card_ids(page) == order
    assert page.evaluate("() => window.notReloaded === true")
    assert DirectiveAcknowledgement.objects.filter(directive=directive).count() == 5
    assert page.locator("#door-summary").inner_text().strip().startswith("3")
    assert fits_width(page)

    # A mistaken tap: the third household is undone from its card, which stays where it is.
    mistaken = households[2]
    card = f"#household-{mistaken.pk}"
    page.locator(card).evaluate("card => card.scrollIntoView({block: 'center'})")
    top = _top(page, card)
    page.locator(f"{card} form[action$='/undo/'] button").click()
    page.wait_for_selector(f"{card}:not(.is-done)")
    assert text["undone"] in page.locator(f"{card} .door-message").inner_text()
    assert _in_viewport(page, card) and abs(_top(page, card) - top) < 2
    assert _card_ids(page) == order and page.evaluate("() => window.notReloaded === true")
    assert not DirectiveAcknowledgement.objects.filter(directive=directive, household=mistaken).exists()
    assert DirectiveAcknowledgement.objects.filter(directive=directive).count() == 4
    undo = AuditEntry.objects.filter(action="directive.acknowledge_undo").get()
    assert undo.household_id == mistaken.pk and undo.after["reason"]
    assert page.locator("#door-summary").inner_text().strip().startswith("4")

    # Attendance: the household with the most members of working age turns out whole.
    rule = session.campaign.rule
    working = {}
    for membership in (
        Membership.objects.current_on(today).filter(household__unit__code="HS-A1").select_related("person")
    ):
        if rule.min_age <= age_on(membership.person.birth_date, today) <= rule.max_age:
            working.setdefault(membership.household_id, []).append(membership.person_id)
    turnout = max(households, key=lambda household: (len(working.get(household.pk, [])), household.number))
    page.goto(f"{base}/sessions/{session.pk}/")
    assert fits_width(page)
    save = page.locator(".sheet-actions button[type=submit]")
    assert _in_viewport(page, ".sheet-actions button[type=submit]")
    assert page.evaluate("() => document.documentElement.scrollHeight > window.innerHeight * 1.5")  # a long sheet

    # The search box finds the household by a member's name; the others are hidden.
    member = Membership.objects.filter(household=turnout, until=None).select_related("person").first().person
    page.fill("#sheet-search", member.given_name)
    fieldset = page.locator("fieldset[data-household]", has=page.locator(f"#person-{member.pk}"))
    assert fieldset.is_visible()
    assert page.locator("fieldset[data-household]:visible").count() < len(households)
    page.fill("#sheet-search", "")

    fieldset.locator("[data-whole]").scroll_into_view_if_needed()
    fieldset.locator("[data-whole]").click()
    for person_id in working[turnout.pk]:
        assert page.locator(f"#person-{person_id}").is_checked()
    assert page.locator("[data-count]").inner_text() == str(len(working[turnout.pk]))
    assert save.is_visible() and _in_viewport(page, ".sheet-actions button[type=submit]")
    assert page.evaluate("() => window.scrollY + window.innerHeight < document.documentElement.scrollHeight - 50")
    save.click()
    page.wait_for_load_state()
    assert text["saved"] in page.content()
    assert set(Attendance.objects.filter(session=session).values_list("person_id", flat=True)) == set(
        working[turnout.pk]
    )
    assert fits_width(page)
