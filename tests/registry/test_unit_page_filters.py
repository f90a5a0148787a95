"""The unit page for a leader on a phone: search by name or household number, filters by duty status (owes a share,
a stamp to issue, a directive not acknowledged), each household's status at a glance, members collapsed."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inminban.duties import services as duties
from inminban.duties.models import AllocationRule, DirectiveAcknowledgement, Share
from inminban.registry.models import Household, Membership


@pytest.fixture
def households(unit_a1):
    return list(Household.objects.filter(unit=unit_a1, dissolved_on__isnull=True).order_by("number"))


@pytest.fixture
def levy(cast, unit_a1):
    today = timezone.localdate()
    levy = duties.levy_create(
        actor=cast["officer-a"],
        office=cast["officer-a"].role_assignments.get(role="officer").office,
        area=unit_a1,
        kind="food",
        title_ko="군량미 지원",
        title_en="Food for the army",
        measure="kg",
        rule=AllocationRule.objects.get(code="equal"),
        place="동사무소 창고",
        starts_on=today - timedelta(days=1),
        due_on=today + timedelta(days=20),
    )
    duties.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a1, quantity="8")
    return levy


@pytest.fixture
def make_directive(cast):
    def make(area, **overrides):
        today = timezone.localdate()
        values = {
            "actor": cast["officer-a"],
            "office": cast["officer-a"].role_assignments.get(role="officer").office,
            "area": area,
            "title_ko": "겨울철 화재 예방",
            "title_en": "Fire safety in winter",
            "text_en": "Check stoves and chimneys before the cold sets in.",
            "effective_on": today,
            "due_on": today + timedelta(days=7),
        }
        return duties.directive_issue(**(values | overrides))

    return make


@pytest.fixture
def directive(make_directive, unit_a1):
    return make_directive(unit_a1)


def _shown(response) -> list[str]:
    assert response.status_code == 200
    return [household.number for household in response.context["shown"]]


def _status(response, household):
    return next(h.duty for h in response.context["households"] if h.pk == household.pk)


def test_search_by_name_or_household_number(client_for, households, unit_a1):
    client = client_for("leader-a1")
    target = households[2]
    member = Membership.objects.filter(household=target, until=None).select_related("person").first().person
    assert _shown(client.get("/units/HS-A1/", {"q": target.number})) == [target.number]
    assert _shown(client.get("/units/HS-A1/", {"q": target.number.lower()})) == [target.number]
    by_name = _shown(client.get("/units/HS-A1/", {"q": member.full_name}))
    assert target.number in by_name and len(by_name) < len(households)
    assert target.number in _shown(client.get("/units/HS-A1/", {"q": f" {member.given_name} "}))
    nobody = client.get("/units/HS-A1/", {"q": "없는이름"})
    assert _shown(nobody) == []
    assert "No household matches." in nobody.content.decode()
    assert "0 of 4 households shown" in nobody.content.decode()
    assert _shown(client.get("/units/HS-A1/", {"q": ""})) == [h.number for h in households]


def test_owes_a_share_filter_and_status(client_for, cast, households, levy):
    client = client_for("leader-a1")
    everyone = client.get("/units/HS-A1/", {"owes": "1"})
    assert _shown(everyone) == [h.number for h in households]  # each owes its share of the new levy
    paid = households[1]
    share = Share.objects.get(quota__levy=levy, household=paid)
    owed_before = _status(everyone, paid).owes
    stamps_before = _status(everyone, paid).stamps_waiting
    duties.delivery_record(
        actor=cast["leader-a1"], share=share, quantity=share.quantity, measure="kg", delivered_on=timezone.localdate()
    )
    after = client.get("/units/HS-A1/", {"owes": "1"})
    assert _status(after, paid).owes == owed_before - 1
    assert _status(after, paid).stamps_waiting == stamps_before + 1
    assert (paid.number in _shown(after)) == (owed_before > 1)
    assert paid.number in _shown(client.get("/units/HS-A1/", {"stamp": "1"}))
    html = after.content.decode()
    assert "owes 1 share" in html or "shares" in html


def test_missing_a_stamp_filter(client_for, cast, households, directive, tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))
    client = client_for("leader-a1")
    target = households[0]
    waiting_before = _status(client.get("/units/HS-A1/"), target).stamps_waiting
    ack = duties.directive_acknowledge(actor=cast["leader-a1"], directive=directive, household=target)
    response = client.get("/units/HS-A1/", {"stamp": "1"})
    assert _status(response, target).stamps_waiting == waiting_before + 1
    assert target.number in _shown(response)
    duties.acknowledgement_confirm(actor=cast["leader-a1"], acknowledgement=ack)
    assert _status(client.get("/units/HS-A1/"), target).stamps_waiting == waiting_before


def test_not_acknowledged_filter(client_for, cast, households, directive):
    client = client_for("leader-a1")
    before = client.get("/units/HS-A1/", {"unacked": "1"})
    assert _shown(before) == [h.number for h in households]  # nobody has acknowledged the new directive
    counts = {h.pk: _status(before, h).unacknowledged for h in households}
    duties.directive_acknowledge(actor=cast["leader-a1"], directive=directive, household=households[3])
    after = client.get("/units/HS-A1/", {"unacked": "1"})
    assert _status(after, households[3]).unacknowledged == counts[households[3].pk] - 1
    assert (households[3].number in _shown(after)) == (counts[households[3].pk] > 1)
    assert "directive not acknowledged" in after.content.decode() or "directives not acknowledged" in (
        after.content.decode()
    )


def test_filters_combine_with_the_search(client_for, households, levy, directive):
    client = client_for("leader-a1")
    response = client.get("/units/HS-A1/", {"q": households[0].number, "owes": "1", "unacked": "1"})
    assert _shown(response) == [households[0].number]
    html = response.content.decode()
    assert 'name="owes" value="1" checked' in html and 'name="unacked" value="1" checked' in html
    assert 'name="stamp" value="1" checked' not in html
    assert f'value="{households[0].number}"' in html  # the search box keeps what was typed


def test_members_are_collapsed_and_status_shown_at_a_glance(client_for, households, levy):
    html = client_for("leader-a1").get("/units/HS-A1/").content.decode()
    assert html.count('<details class="unit-members">') == len(households)
    assert '<details class="unit-members" open' not in html
    assert html.count('<ul class="duty-status"') == len(households)
    assert "owes 1 share" in html or "owes 2 shares" in html


def test_on_a_past_date_no_duty_status_or_duty_filters(client_for):
    response = client_for("leader-a1").get("/units/HS-A1/", {"on": "2022-01-01", "owes": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="duty-status"' not in html and 'name="owes"' not in html
    assert len(response.context["shown"]) == len(response.context["households"])  # the filter is ignored


def test_korean_labels(client_for, households, levy):
    client = client_for("leader-a1")
    html = client.get("/units/HS-A1/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    for text in (
        "이름 또는 세대 번호",
        "분담량이 남은 세대",
        "확인도장을 아직 받지 못한 세대",
        "지시를 확인하지 않은 세대",
    ):
        assert text in html
    for english in ("still owe a share", "Name or household number", "owes 1 share"):
        assert english not in html


def test_other_units_leader_gets_404(client_for):
    assert client_for("leader-b1").get("/units/HS-A1/", {"owes": "1"}).status_code == 404


def test_filtered_page_costs_the_same_queries_as_the_plain_one(client_for, levy, directive):
    client = client_for("leader-a1")
    client.get("/units/HS-A1/")  # warm up
    with CaptureQueriesContext(connection) as plain:
        client.get("/units/HS-A1/")
    with CaptureQueriesContext(connection) as filtered:
        client.get("/units/HS-A1/", {"q": "김", "owes": "1", "stamp": "1", "unacked": "1"})
    assert len(filtered) == len(plain)


def test_acknowledgements_of_another_directive_do_not_count(client_for, cast, households, directive, make_directive):
    """Only directives in force that ask for acknowledgement count; an old acknowledgement does not hide a new one."""
    client = client_for("leader-a1")
    before = _status(client.get("/units/HS-A1/"), households[0]).unacknowledged
    make_directive(households[0].unit, requires_ack=False, due_on=None)
    assert _status(client.get("/units/HS-A1/"), households[0]).unacknowledged == before
    assert DirectiveAcknowledgement.objects.filter(directive=directive).count() == 0
