"""One date format per language, dates typed year first, one configurable time zone, measures as words, plain
errors, and Korean particles that fit the word before them."""

import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polib
import pytest
from django.test import override_settings
from django.utils import timezone, translation

import inminban
from inminban.areas.models import Office
from inminban.common.errors import DomainError
from inminban.common.measures import Measure
from inminban.common.validators import past_date
from inminban.common.wording import PARTICLES, amount, measure_unit, particle, plain_number, with_particle
from inminban.duties import services as duties_services
from inminban.duties.forms import _rule_label
from inminban.duties.messages import SERVICE_MESSAGES as DUTIES_MESSAGES
from inminban.duties.models import AllocationRule, Share
from inminban.duties.selectors import share_explanation
from inminban.registry.models import Person
from inminban.web.forms import Form, date_field
from inminban.web.service_messages import SERVICE_MESSAGES as WEB_MESSAGES

PO_FILE = Path(inminban.__file__).parent / "locale" / "ko" / "LC_MESSAGES" / "django.po"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def english(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def korean_prose(day: date) -> str:
    return f"{day.year}년 {day.month}월 {day.day}일"


def in_language(client, language: str):
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client


def page_text(response) -> str:
    """The page as read: tags and scripts out."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# Dates on pages ---------------------------------------------------------------------------------------------------


def test_household_page_writes_dates_in_the_format_of_each_language(client_for, household_a1):
    client = client_for("leader-a1")
    day = household_a1.registered_on
    text = page_text(in_language(client, "en").get(f"/households/{household_a1.pk}/"))
    assert english(day) in text
    assert day.isoformat() not in text and day.strftime("%m/%d/%Y") not in text
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{4}\b", text), "an American month/day/year date on the page"
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\. \d", text), "Django's 'Dec. 1, 2026'"

    text = page_text(in_language(client, "ko").get(f"/households/{household_a1.pk}/"))
    assert day.isoformat() in text  # a table date: 2026-12-01
    assert english(day) not in text and f"{day.year}-{day.month}-{day.day}." not in text


@pytest.fixture
def campaign_share(cast, unit_a1) -> Share:
    """A share of 17 person-hours divided among A1's households: some get a left-over step, some do not."""
    today = timezone.localdate()
    campaign = duties_services.campaign_create(
        actor=cast["officer-a"],
        office=Office.objects.get(code="HS-A-OFFICE"),
        area=unit_a1,
        title_ko="강하천 정리",
        title_en="River cleanup",
        measure="person_hours",
        rule=AllocationRule.objects.get(code="equal"),
        place="압록강 기슭",
        starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=10),
    )
    quota = duties_services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="17")
    return quota.shares.filter(quantity__gt=0).order_by("-quantity", "pk").first()


def test_share_page_explains_in_sentences_with_the_arithmetic_behind_a_toggle(client_for, campaign_share):
    share = campaign_share
    as_of = date.fromisoformat(share.explanation["as_of"])
    measure = share.quota.obligation.measure
    client = client_for("leader-a1")

    response = in_language(client, "en").get(f"/shares/{share.pk}/")
    assert response.status_code == 200
    text = page_text(response)
    assert f"Counted as the household was on {english(as_of)}." in text
    assert f"So this household's share is {amount(share.quantity, measure)}." in text
    html = response.content.decode()
    toggle = re.search(
        r"<details class=\"arithmetic\">\s*<summary>How was this computed\?</summary>(.*?)</details>", html, re.S
    )
    assert toggle and "×" in toggle.group(1) and "÷" in toggle.group(1), "the arithmetic sits behind the toggle"
    # Its place in the queue for left-over steps is drawn by lot: read it from the stored allotment.
    rank = share_explanation(share)["rank"]
    assert f"this household was number {rank} in line and got one more step" in toggle.group(1)
    sentences = html[html.index('<div class="explanation">') : toggle.start()]
    assert "÷" not in sentences and "×" not in sentences, "the sentences before the toggle have no arithmetic"
    assert "person_hours" not in text and (measure == measure_unit(measure) or f" {measure} " not in text)

    text = page_text(in_language(client, "ko").get(f"/shares/{share.pk}/"))
    assert f"{korean_prose(as_of)} 당시의 세대를 기준으로 계산했습니다." in text
    assert "어떻게 계산했습니까?" in text
    assert english(as_of) not in text


# Dates typed into forms -------------------------------------------------------------------------------------------


class DayForm(Form):
    day = date_field("Day", required=False)


@pytest.mark.parametrize(
    "typed", ["2026-12-01", "2026.12.1", "2026/12/01", "2026. 12. 1.", "2026년 12월 1일", "20261201"]
)
def test_a_date_is_typed_year_first_with_any_usual_separator(typed):
    form = DayForm({"day": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == date(2026, 12, 1)


WRONG_ORDER = (
    "Write the date as year-month-day, for example 2026-12-01.",
    "날짜를 년-월-일 순서로 쓰십시오. 례: 2026-12-01.",
)
NO_SUCH_DAY = ("There is no such day: check the month and the day.", "없는 날짜입니다. 월과 일을 확인하십시오.")


@pytest.mark.parametrize(
    ("typed", "messages"),
    [
        ("12/01/2026", WRONG_ORDER),
        ("1 Dec 2026", WRONG_ORDER),
        ("2026-02-30", NO_SUCH_DAY),
        ("2026-13-01", NO_SUCH_DAY),
    ],
)
def test_a_date_in_another_order_or_that_does_not_exist_is_refused_in_words(typed, messages):
    for language, message in zip(("en", "ko"), messages, strict=True):
        with translation.override(language):
            form = DayForm({"day": typed})
            assert not form.is_valid()
            assert form.errors["day"] == [message]


def test_the_date_input_is_a_text_box_with_the_hint_in_both_languages():
    with translation.override("en"):
        html = str(DayForm(initial={"day": date(2026, 12, 1)})["day"])
        hint = str(DayForm()["day"].help_text)  # a lazy string: read it in English, not in whatever is active later
    assert 'type="text"' in html and 'inputmode="numeric"' in html and 'value="2026-12-01"' in html
    assert 'type="date"' not in html and "pattern=" in html and 'aria-describedby="id_day_helptext"' in html
    assert hint == "Year-month-day, for example 2026-12-01."
    with translation.override("ko"):
        assert str(DayForm()["day"].help_text) == "년-월-일 순서로, 례: 2026-12-01."


def test_a_page_form_takes_a_dotted_date_and_refuses_month_first_with_nothing_written(
    client_for, person_a1, audit_count
):
    client = in_language(client_for("leader-a1"), "en")
    fields = {
        "form": "person",
        "family_name": person_a1.family_name,
        "given_name": person_a1.given_name,
        "sex": person_a1.sex,
        "national_id": person_a1.national_id or "",
        "reason": "Misread when registered.",
    }
    before, count = person_a1.birth_date, audit_count()
    response = client.post(f"/persons/{person_a1.pk}/", fields | {"birth_date": "12/01/1990"})
    assert response.status_code == 400
    assert "Write the date as year-month-day, for example 2026-12-01." in page_text(response)
    person_a1.refresh_from_db()
    assert person_a1.birth_date == before and audit_count() == count

    new_day = date(before.year, 1, 2) if before != date(before.year, 1, 2) else date(before.year, 1, 3)
    response = client.post(
        f"/persons/{person_a1.pk}/", fields | {"birth_date": f"{new_day.year}.{new_day.month}.{new_day.day}"}
    )
    assert response.status_code in (200, 302, 303)
    assert Person.objects.get(pk=person_a1.pk).birth_date == new_day
    assert audit_count() == count + 1


# One time zone ----------------------------------------------------------------------------------------------------


def _local_date_in_subprocess(tmp_path, zone: str | None) -> tuple[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "INMINBAN_TIME_ZONE"}
    env["INMINBAN_DATA_DIR"] = str(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "inminban.settings"
    if zone is not None:
        env["INMINBAN_TIME_ZONE"] = zone
    code = (
        "import django; django.setup(); from django.conf import settings; from django.utils import timezone;"
        "print(settings.TIME_ZONE, settings.USE_TZ, timezone.localdate().isoformat())"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    name, use_tz, day = out.split()
    assert use_tz == "True"
    return name, day


_NOW_OR_JUST_BEFORE = (timedelta(0), timedelta(minutes=1))  # the subprocess may have started before midnight


def test_the_time_zone_is_pyongyang_unless_configured(tmp_path):
    assert _local_date_in_subprocess(tmp_path, None)[0] == "Asia/Pyongyang"
    east = _local_date_in_subprocess(tmp_path, "Pacific/Kiritimati")  # UTC+14
    west = _local_date_in_subprocess(tmp_path, "Etc/GMT+12")  # UTC-12: always a calendar day behind
    assert east[0] == "Pacific/Kiritimati" and west[0] == "Etc/GMT+12"
    assert date.fromisoformat(east[1]) > date.fromisoformat(west[1])
    assert west[1] in {
        (datetime.now(ZoneInfo("Etc/GMT+12")) - offset).date().isoformat() for offset in _NOW_OR_JUST_BEFORE
    }


def test_today_for_the_date_rules_follows_the_configured_zone():
    with override_settings(TIME_ZONE="Pacific/Kiritimati"):
        today_east = timezone.localdate()
        assert past_date("on", today_east) == today_east
    with override_settings(TIME_ZONE="Etc/GMT+12"):
        with pytest.raises(DomainError, match="The date is in the future."):
            past_date("on", today_east)


# Measures, options and messages in words -------------------------------------------------------------------------


def test_every_measure_has_a_unit_in_words_in_both_languages():
    for measure in Measure.values:
        for language in ("en", "ko"):
            with translation.override(language):
                unit = measure_unit(measure)
                assert unit and "_" not in unit, (measure, language)
    with translation.override("en"):
        assert amount("2.50", "person_hours") == "2.5 person-hours"
        assert amount("1.00", "person_hours") == "1 person-hour"
        assert amount("3000.00", "kpw") == "3,000 won"
        assert amount("5", "kg") == "5 kg"
        assert measure_unit("no_such_code") == ""
    with translation.override("ko"):
        assert amount("2.5", "person_hours") == "2.5 인시"
        assert amount("3000", "kpw") == "3,000 원"


def test_the_stamp_list_names_the_measure_in_words(client_for):
    text = page_text(in_language(client_for("officer-a"), "en").get("/stamps/"))
    assert "person_hours" not in text


def test_a_rule_whose_name_is_its_method_is_not_said_twice(db):
    rule = AllocationRule(code="x", name_en="Equal per household", method=AllocationRule.Method.EQUAL)
    with translation.override("en"):
        assert _rule_label(rule) == "Equal per household"
        rule.name_en = "Our street"
        assert _rule_label(rule) == "Our street (Equal per household)"


def test_the_campaign_form_offers_rules_and_areas_without_codes_or_repetition(client_for):
    html = in_language(client_for("officer-a"), "en").get("/campaigns/new/").content.decode()
    options = re.findall(r"<option[^>]*>([^<]*)</option>", html)
    assert options
    for label in options:
        assert not re.search(r"(.+) \(\1\)", label), label
        assert not re.match(r"HS-[A-Z0-9-]+ ·", label), label


def test_a_refusal_that_quotes_an_amount_says_it_in_words_in_either_language(cast, campaign_share, audit_count):
    count, too_much = audit_count(), campaign_share.quantity + 1
    left = amount(campaign_share.quantity, "person_hours")
    for language, expected in [
        ("en", f"At most {left} can be waived: that is what is left to do."),
        ("ko", f"감면할 수 있는 것은 최대 {plain_number(campaign_share.quantity)} 인시입니다: 남은 것이 그만큼입니다."),
    ]:
        with translation.override(language), pytest.raises(DomainError) as error:
            duties_services.waiver_request(
                actor=cast["leader-a1"], share=campaign_share, reason="Ill", quantity=str(too_much)
            )
        with translation.override(language):
            assert error.value.translated() == expected
    assert audit_count() == count and not campaign_share.waivers.exists()


@pytest.mark.parametrize("message", DUTIES_MESSAGES + WEB_MESSAGES)
def test_service_messages_are_plain_words(message):
    words = re.sub(r"%\(\w+\)[sd]", "", message)
    assert "10^" not in words and "The Levy" not in words and "The Labour" not in words
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", words), f"a code in {message!r}"


# Korean particles -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "pair", "expected"),
    [
        ("책", "을/를", "책을"),
        ("사과", "을/를", "사과를"),
        ("쌀", "을/를", "쌀을"),
        ("물", "을/를", "물을"),
        ("사과", "를/을", "사과를"),  # either order
        ("집", "이/가", "집이"),
        ("학교", "이/가", "학교가"),
        ("인민반", "은/는", "인민반은"),
        ("세대", "은/는", "세대는"),
        ("책", "과/와", "책과"),
        ("사과", "과/와", "사과와"),
        ("밥", "으로/로", "밥으로"),
        ("사과", "으로/로", "사과로"),
        ("물", "으로/로", "물로"),  # ㄹ takes 로
        ("쌀", "으로/로", "쌀로"),
        ("“거리 청소”", "을/를", "“거리 청소”를"),  # the closing quote is skipped
        ("3", "이/가", "3이"),  # 삼
        ("2", "이/가", "2가"),  # 이
        ("1", "으로/로", "1로"),  # 일
        ("10", "을/를", "10을"),  # 십
        ("0.5", "이/가", "0.5가"),  # 오
        ("20000", "은/는", "20000은"),  # 이만
        ("A1-03", "이/가", "A1-03이"),  # 삼
        ("KPW", "이/가", "KPW가"),
        ("HS-A1", "으로/로", "HS-A1로"),  # 일
    ],
)
def test_with_particle_chooses_by_the_final_sound(word, pair, expected):
    assert with_particle(word, pair) == expected
    assert particle(word, pair) == expected[len(word) :]


def _entries():
    return [entry for entry in polib.pofile(str(PO_FILE)) if entry.translated() and "fuzzy" not in entry.flags]


def test_the_catalogue_has_no_particles_in_brackets():
    bracketed = re.compile(r"\((을|를|이|가|은|는|과|와|으)\)|[을이은과]\((를|가|는|와)\)")
    offenders = [entry.msgid for entry in _entries() if bracketed.search(entry.msgstr)]
    assert offenders == []


# Placeholders that hold a date the pages write in prose (2026년 12월 3일): it always ends in 일, so the particle
# that fits 일 is right after them (일로, 일을, 일이).
DATE_VALUES = {"on", "day", "date", "since", "until", "when", "start", "end", "from", "to"}
PAIR_OF = {form: f"{consonant}/{vowel}" for consonant, vowel in PARTICLES.items() for form in (consonant, vowel)}


def test_the_catalogue_puts_no_fixed_particle_right_after_a_value():
    """A value (%(name)s) ends in any sound, so a particle after it is right only by chance: the sentence is phrased
    so that the particle follows a fixed word ("세대 %(number)s에서", "과제량(%(quota)s)은"), or code chooses it.
    A prose date is the one value whose last sound is known."""
    after_value = re.compile(r"%\((\w+)\)[sd][\"”’」』]*(으로|을|를|이|가|은|는|과|와|로)(?=[\s,.:;!?)]|$)")
    offenders = []
    for entry in _entries():
        for match in after_value.finditer(entry.msgstr):
            name, form = match.groups()
            is_date = name in DATE_VALUES or name.endswith(("_on", "_at", "_date"))
            if not (is_date and particle("일", PAIR_OF[form]) == form):
                offenders.append(f"{entry.msgid} => {entry.msgstr}")
    assert offenders == []
