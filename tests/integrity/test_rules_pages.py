"""The detection rules' page (/integrity/rules/): an office above (or an administrator) sets each pattern's rule with
a small form; the office's own officers and auditors read the values; anyone else gets a 404, as from the API. A
change goes through the service (one audit entry); a bad value is shown next to its field and changes nothing."""

import html as html_text
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from inminban.audit.models import AuditEntry
from inminban.integrity.models import DetectionRule, Pattern

from .building import office
from .conftest import state

RULES = reverse("integrity:rules")


def visible_text(response) -> str:
    html = re.sub(r"<(script|style|title)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def forms_on(html: str) -> set[str]:
    return set(re.findall(r'<button type="submit" name="form" value="([a-z_]+)"', html))


def field_in_error(html: str, field_id: str) -> bool:
    tag = re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', html)
    return bool(tag) and 'aria-invalid="true"' in tag.group(0)


def post(client, pattern: str, office_code: str = "HS-A-OFFICE", **values):
    data = {"form": pattern, "enabled": "on"} | values
    return client.post(f"{RULES}?office={office_code}", data)


# Who sees what ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["officer-city", "admin"])
def test_an_office_above_gets_a_form_per_pattern(client_for, username):
    response = client_for(username).get(RULES, {"office": "HS-A-OFFICE"})
    assert response.status_code == 200
    html = response.content.decode()
    assert forms_on(html) == set(Pattern.values)
    # The patterns with a threshold have it in their unit, those that count have their least count; the others not.
    assert 'id="id_bulk_attendance-threshold"' in html and 'id="id_bulk_attendance-min_count"' in html
    assert 'id="id_late_attendance-threshold"' in html and 'id="id_late_attendance-min_count"' not in html
    assert 'id="id_stay_unregistered-threshold"' not in html and 'id="id_stay_unregistered-enabled"' in html
    assert "Per cent of the households that attended" in html and "Days after the session" in html
    assert "The default for every office" in html


@pytest.mark.parametrize("username", ["officer-a", "auditor"])
def test_those_who_may_only_read_see_the_values_without_forms(client_for, username):
    response = client_for(username).get(RULES, {"office": "HS-A-OFFICE"})
    assert response.status_code == 200
    html = response.content.decode()
    assert forms_on(html) == set() and 'action="#rule-' not in html
    text = visible_text(response)
    assert "Per cent of the households that attended 80" in text  # the default threshold, in its unit
    assert "Households recorded in one go, at least 5" in text
    assert "Days after the session 3" in text
    assert "set by an office above this one" in text


def test_the_officer_of_one_office_starts_on_their_own(client_for):
    response = client_for("officer-a").get(RULES)
    assert response.status_code == 200 and response.context["office"].code == "HS-A-OFFICE"
    assert 'name="office"' not in response.content.decode()  # one office: nothing to choose


def test_no_codes_or_field_names_on_the_page(client_for):
    for username in ("officer-city", "officer-a"):
        text = visible_text(client_for(username).get(RULES, {"office": "HS-A-OFFICE"}))
        assert "HS-" not in text and "_" not in text
        assert "min_count" not in text and "enabled" not in text


def test_the_office_queue_links_to_the_rules(client_for):
    assert f'href="{RULES}"' in client_for("officer-a").get(reverse("integrity:flags")).content.decode()


def test_the_page_speaks_korean(client_for):
    client = client_for("officer-city")
    client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    html = client.get(RULES, {"office": "HS-A-OFFICE"}).content.decode()
    assert '<html lang="ko">' in html
    with translation.override("ko"):
        assert str(Pattern.LATE_ATTENDANCE.label) in html


# Changing a rule ----------------------------------------------------------------------------------------------------


def test_a_valid_change_sets_the_rule_with_one_audit_entry(client_for):
    count = AuditEntry.objects.count()
    response = post(client_for("officer-city"), "late_attendance", threshold="7")
    assert response.status_code == 302
    assert response["Location"] == f"{RULES}?office=HS-A-OFFICE#rule-late_attendance"
    row = DetectionRule.objects.get(office=office("HS-A-OFFICE"), pattern=Pattern.LATE_ATTENDANCE)
    assert row.threshold == Decimal("7") and row.enabled is True
    assert AuditEntry.objects.count() == count + 1
    entry = AuditEntry.objects.latest("seq")
    assert entry.action == "detection_rule.set" and entry.actor.username == "officer-city"
    assert entry.before["threshold"] == "3.00" and entry.after["threshold"] == "7.00"
    # The office's own officer now reads the office's own value; the next page says it was saved.
    text = visible_text(client_for("officer-a").get(RULES))
    assert "Days after the session 7" in text and "This office's own rule" in text


def test_switching_a_pattern_off_and_setting_a_count(client_for):
    response = post(client_for("officer-city"), "waiver_rate", enabled="", threshold="2.5", min_count="4")
    assert response.status_code == 302
    row = DetectionRule.objects.get(office=office("HS-A-OFFICE"), pattern=Pattern.WAIVER_RATE)
    assert (row.enabled, row.threshold, row.min_count) == (False, Decimal("2.5"), 4)
    assert "Not looked for" in client_for("officer-a").get(RULES).content.decode()


def test_a_rule_set_above_shows_as_inherited(client_for):
    assert post(client_for("admin"), "late_attendance", office_code="HS-OFFICE", threshold="10").status_code == 302
    text = visible_text(client_for("officer-a").get(RULES))
    assert "Days after the session 10" in text and "Inherited from" in text


@pytest.mark.parametrize(
    ("pattern", "values", "field", "message"),
    [
        ("late_attendance", {"threshold": "-1"}, "threshold", "The threshold cannot be negative."),
        ("late_attendance", {"threshold": "2.5"}, "threshold", "A whole number of days."),
        ("late_attendance", {"threshold": "three"}, "threshold", "A number is required."),
        ("late_attendance", {"threshold": ""}, "threshold", "A number is required."),
        ("bulk_attendance", {"threshold": "101", "min_count": "5"}, "threshold", "A percentage from 0 to 100."),
        ("bulk_attendance", {"threshold": "80", "min_count": "-3"}, "min_count", "A whole number from 1 to 100000."),
        ("bulk_attendance", {"threshold": "80", "min_count": "five"}, "min_count", "Enter a whole number."),
        ("waiver_rate", {"threshold": "1.234", "min_count": "3"}, "threshold", "At most two decimals."),
    ],
)
def test_a_bad_value_is_shown_next_to_its_field_and_changes_nothing(client_for, pattern, values, field, message):
    before = state()
    response = post(client_for("officer-city"), pattern, **values)
    assert response.status_code == 422
    html = response.content.decode()
    assert field_in_error(html, f"id_{pattern}-{field}"), html
    error = re.search(rf'id="id_{pattern}-{field}_error"[^>]*>(.*?)</ul>', html, re.S)
    assert error and message in error.group(1)
    # The other forms are still there, and the failed one keeps what was typed.
    assert forms_on(html) == set(Pattern.values)
    assert state() == before


@pytest.mark.parametrize(("username", "status"), [("officer-a", 403), ("auditor", 403), ("leader-a1", 404),
                                                  ("resident-a1", 404), ("officer-b", 404)])  # fmt: skip
def test_those_who_may_not_set_the_rule_are_refused_and_nothing_changes(client_for, username, status):
    before = state()
    assert post(client_for(username), "late_attendance", threshold="7").status_code == status
    assert state() == before


def test_an_unknown_form_is_refused(client_for):
    before = state()
    assert post(client_for("officer-city"), "no_such_pattern", threshold="1").status_code == 403
    assert state() == before
