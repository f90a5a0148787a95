"""The stays' deadline page (/stays/rules/): an office above (or an administrator) sets by when households under an
office register a guest; the office's own officers and auditors read it in words; anyone else gets a 404, as from
the API. A change goes through the service (one audit entry); a bad value is shown next to its field and changes
nothing."""

import html as html_text
import re
from datetime import time

import pytest
from django.urls import reverse
from django.utils import translation

from inminban.areas.models import Office
from inminban.audit.models import AuditEntry
from inminban.registry import stays
from inminban.registry.models import StayRules

RULES = reverse("registry:stay-rules")


def visible_text(response) -> str:
    html = re.sub(r"<(script|style|title)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def state() -> dict:
    """What a refused request must leave as it was."""
    return {
        "rules": list(StayRules.objects.order_by("pk").values_list("pk", "office", "deadline_time", "deadline_days")),
        "audit": AuditEntry.objects.count(),
    }


def has_form(html: str) -> bool:
    return 'action="#change"' in html


def field_error(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*\bid="id_{name}"[^>]*>', html)
    assert tag and 'aria-invalid="true"' in tag.group(0), html
    error = re.search(rf'id="id_{name}_error"[^>]*>(.*?)</ul>', html, re.S)
    return html_text.unescape(error.group(1)) if error else ""


def post(client, office_code="HS-A-OFFICE", **values):
    return client.post(f"{RULES}?office={office_code}", {"deadline_time": "22:00", "deadline_days": "0"} | values)


# Who sees what ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["officer-city", "admin"])
def test_an_office_above_gets_the_form(client_for, username):
    response = client_for(username).get(RULES, {"office": "HS-A-OFFICE"})
    assert response.status_code == 200
    html = response.content.decode()
    assert has_form(html) and 'value="22:00"' in html and 'id="id_deadline_days"' in html
    text = visible_text(response)
    assert "A guest is registered by 22:00 on the day the guest arrives." in text
    assert "The default for every office" in text


@pytest.mark.parametrize("username", ["officer-a", "auditor"])
def test_those_who_may_only_read_see_the_rule_without_a_form(client_for, username):
    response = client_for(username).get(RULES, {"office": "HS-A-OFFICE"})
    assert response.status_code == 200
    assert not has_form(response.content.decode())
    text = visible_text(response)
    assert "by 22:00 on the day the guest arrives" in text and "set by an office above this one" in text


def test_the_officer_of_one_office_starts_on_their_own(client_for):
    response = client_for("officer-a").get(RULES)
    assert response.status_code == 200 and response.context["office"].code == "HS-A-OFFICE"
    assert 'name="office"' not in response.content.decode()


def test_no_codes_or_field_names_on_the_page(client_for):
    for username in ("officer-city", "officer-a"):
        text = visible_text(client_for(username).get(RULES, {"office": "HS-A-OFFICE"}))
        assert "HS-" not in text and "deadline_" not in text and "_" not in text


def test_the_office_stays_page_links_to_the_rule(client_for):
    assert f'href="{RULES}"' in client_for("officer-a").get(reverse("registry:stays")).content.decode()


def test_the_page_speaks_korean(client_for):
    client = client_for("officer-city")
    client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    html = client.get(RULES).content.decode()
    assert '<html lang="ko">' in html
    with translation.override("ko"):
        assert str(Office.objects.get(code="HS-A-OFFICE").name_ko) in html


# Changing the rule --------------------------------------------------------------------------------------------------


def test_a_valid_change_sets_the_rule_with_one_audit_entry(client_for):
    count = AuditEntry.objects.count()
    response = post(client_for("officer-city"), deadline_time="12:00", deadline_days="1")
    assert response.status_code == 302 and response["Location"] == f"{RULES}?office=HS-A-OFFICE"
    row = StayRules.objects.get(office__code="HS-A-OFFICE")
    assert (row.deadline_time, row.deadline_days) == (time(12, 0), 1)
    assert AuditEntry.objects.count() == count + 1
    entry = AuditEntry.objects.latest("seq")
    assert entry.action == "stay_rules.set" and entry.actor.username == "officer-city"
    assert entry.after["deadline_days"] == 1
    text = visible_text(client_for("officer-a").get(RULES))
    assert "by 12:00 the day after the guest arrives" in text and "This office's own rule" in text


def test_a_rule_set_above_shows_as_inherited(cast, client_for):
    city = Office.objects.get(code="HS-OFFICE")
    stays.stay_rules_set(actor=cast["admin"], office=city, deadline_time=time(21, 30), deadline_days=2)
    text = visible_text(client_for("officer-a").get(RULES))
    assert "by 21:30, 2 days after the guest arrives" in text and "Inherited from" in text


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"deadline_days": "-1"}, "deadline_days", "A whole number of days from 0 to 7."),
        ({"deadline_days": "8"}, "deadline_days", "A whole number of days from 0 to 7."),
        ({"deadline_days": "two"}, "deadline_days", "Enter a whole number."),
        ({"deadline_days": ""}, "deadline_days", "This field is required."),
        ({"deadline_time": "25:00"}, "deadline_time", "A time of day, such as 22:00."),
        ({"deadline_time": "late"}, "deadline_time", "A time of day, such as 22:00."),
    ],
)
def test_a_bad_value_is_shown_next_to_its_field_and_changes_nothing(client_for, values, field, message):
    before = state()
    response = post(client_for("officer-city"), **values)
    assert response.status_code == 422
    assert message in field_error(response.content.decode(), field)
    assert state() == before


@pytest.mark.parametrize(("username", "status"), [("officer-a", 403), ("auditor", 403), ("leader-a1", 404),
                                                  ("resident-a1", 404), ("officer-b", 404)])  # fmt: skip
def test_those_who_may_not_set_the_rule_are_refused_and_nothing_changes(client_for, username, status):
    before = state()
    assert post(client_for(username), deadline_time="12:00", deadline_days="1").status_code == status
    assert state() == before
