"""The history on the household, person and my-household pages: sentences, no codes for residents and leaders, the
latest entries first with older ones a page further, the raw entry only for those who may read the audit log; and
the access log summarised by viewer for the resident."""

import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from inminban.audit.models import AccessLogEntry, AuditEntry
from inminban.audit.selectors import access_summary_for_household
from inminban.common.errors import NotVisible

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
DOTTED_CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b")
ID_LIKE = re.compile(r"#\d+|\bids?\b|\bID\b")


def _history_html(html: str) -> str:
    start = html.index('<ol class="entries">')
    end = html.index("</nav>", start) if "</nav>" in html[start:] else html.index("</ol>", start)
    return html[start:end]


def _text(html: str) -> str:
    html = re.sub(r"</?a\b[^>]*>", "", html)  # links are inline: no space around them
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _codes_in(text: str) -> list[str]:
    return SNAKE.findall(text) + DOTTED_CODE.findall(text) + ID_LIKE.findall(text) + re.findall(r"[{}]", text)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_residents_history_has_only_sentences(client_for, household_a1, duty_history, language):
    client = client_for("resident-a1")
    client.cookies["django_language"] = language
    response = client.get("/my-household/")
    assert response.status_code == 200
    html = _history_html(response.content.decode())
    text = _text(html)
    assert not _codes_in(text), _codes_in(text)
    assert "usernames" not in text and "leader-a1" not in text and "officer-a" not in text
    assert 'class="raw"' not in html and "hash" not in html.lower()
    with translation.override(language):
        expected = (
            f"Share of {duty_history.levy.title_en} confirmed"
            if language == "en"
            else f"《{duty_history.levy.title_ko}》 분담량 확인"
        )
    assert expected in text


def test_the_history_shows_the_latest_ten_and_more_shows_older_ones(client_for, household_a1, duty_history):
    client = client_for("resident-a1")
    entries = list(AuditEntry.objects.filter(household_id=household_a1.pk).order_by("-seq"))
    assert len(entries) > 10
    first = client.get("/my-household/").context["history"]
    assert [item.entry.seq for item in first.items] == [entry.seq for entry in entries[:10]]
    assert first.older_url == "?history_page=2#changes" and first.newer_url is None
    html = client.get("/my-household/").content.decode()
    assert 'href="?history_page=2#changes"' in html and "More: older changes" in html
    second = client.get("/my-household/?history_page=2").context["history"]
    assert [item.entry.seq for item in second.items] == [entry.seq for entry in entries[10:20]]
    assert second.newer_url == "?history_page=1#changes"


def test_a_bad_history_page_falls_back_to_a_real_page(client_for, household_a1, duty_history):
    for value in ("x", "-1", "999999"):
        response = client_for("resident-a1").get(f"/my-household/?history_page={value}")
        assert response.status_code == 200
        assert response.context["history"].items


def test_the_household_page_keeps_the_other_query_parameters(client_for, household_a1, duty_history):
    history = client_for("leader-a1").get(f"/households/{household_a1.pk}/?x=1").context["history"]
    assert history.older_url == "?x=1&history_page=2#audit"


@pytest.mark.parametrize("username", ["leader-a1", "resident-a1", "officer-a"])
def test_the_raw_entry_is_for_auditors_only(client_for, household_a1, duty_history, username):
    html = client_for(username).get(f"/households/{household_a1.pk}/").content.decode()
    if username == "resident-a1":
        html = client_for(username).get("/my-household/").content.decode()
    history = _history_html(html)
    assert "Raw entry" not in history and "share.confirm" not in history
    assert not _codes_in(_text(history))


def test_an_auditor_opens_the_raw_entry_on_the_household_page(client_for, household_a1, duty_history):
    html = client_for("auditor").get(f"/households/{household_a1.pk}/").content.decode()
    entry = AuditEntry.objects.filter(household_id=household_a1.pk).order_by("-seq").first()
    assert '<details class="raw">' in html and "<summary>Raw entry</summary>" in html
    assert f"<code>{entry.action}</code>" in html and entry.hash in html


def test_the_person_page_history_is_in_sentences(client_for, person_a1):
    html = client_for("leader-a1").get(f"/persons/{person_a1.pk}/").content.decode()
    text = _text(_history_html(html))
    assert f"{person_a1.full_name} was registered in the household." in text
    assert not _codes_in(text)


def test_references_link_to_pages_the_resident_may_open(client_for, household_a1, duty_history):
    html = _history_html(client_for("resident-a1").get("/my-household/").content.decode())
    links = re.findall(r'href="([^"#?]+)"', html)
    assert links
    client = client_for("resident-a1")
    for url in set(links):
        assert client.get(url).status_code == 200, url


# The access log, summarised ---------------------------------------------------------------------------------------


def _read(user, household, *, person=None, days_ago=0):
    return AccessLogEntry.objects.create(
        at=timezone.now() - timedelta(days=days_ago),
        actor=user,
        actor_name=user.username,
        household=household,
        person=person,
        channel="web",
        origin={},
    )


def test_the_summary_groups_reads_by_viewer_by_name_and_role(cast, household_a1, person_a1):
    leader, officer, resident = cast["leader-a1"], cast["officer-a"], cast["resident-a1"]
    AccessLogEntry.objects.filter(household=household_a1).delete()
    for _ in range(3):
        _read(leader, household_a1)
    _read(leader, household_a1, person=person_a1)
    _read(officer, household_a1, days_ago=70)
    _read(resident, household_a1)  # their own visit: left out
    with translation.override("en"):
        summary = access_summary_for_household(resident, household_a1)
    leader_person = leader.role_assignments.get(role="leader").person
    assert [(v.who, v.this_month, v.total) for v in summary.viewers] == [
        (f"{leader_person.full_name} (unit leader)", 4, 4),
        ("an officer of Songhu-dong office", 0, 1),
    ]
    assert summary.this_month == 4 and summary.total == 5
    assert summary.viewers[0].reads[0].person == person_a1
    html = render_to_string("audit/_access_summary.html", {"summary": summary})
    text = _text(html)
    assert f"{leader_person.full_name} (unit leader) viewed your records 4 times this month." in text
    assert "viewed your records 1 time before this month." in text
    assert f"read the record of {person_a1.full_name}" in text
    assert "leader-a1" not in html and "officer-a" not in html and "<details>" in html
    with translation.override("ko"):
        summary = access_summary_for_household(resident, household_a1)
        korean = _text(render_to_string("audit/_access_summary.html", {"summary": summary}))
    assert f"{leader_person.full_name} (인민반장): 이번 달에 우리 기록을 4번 보았습니다." in korean


def test_the_summary_is_only_for_those_who_may_view_the_household(cast, household_b1):
    with pytest.raises(NotVisible):
        access_summary_for_household(cast["resident-a1"], household_b1)


def test_no_reads_says_so(cast, household_a1):
    AccessLogEntry.objects.filter(household=household_a1).delete()
    summary = access_summary_for_household(cast["resident-a1"], household_a1)
    assert summary.viewers == [] and summary.total == 0
    html = render_to_string("audit/_access_summary.html", {"summary": summary})
    assert "No one else has read your records." in html
