"""Notifications as people read them: their own only, newest first, unread counted, in their language; marked read
one at a time or all at once; a count in the top bar and the latest on the household's page."""

# ruff: noqa: F811 - the fixtures imported from suspending are named as arguments

import re

import pytest
from django.test import Client
from django.utils import translation

from inminban.governance.models import Notification
from inminban.governance.notifications import notify
from inminban.governance.wording import NOTIFICATION_TEXTS, notification_text

from .suspending import bearer, call

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture
def notices(cast):
    """Three notifications for resident-a1 (the newest unread first), one for leader-a1."""
    resident = cast["resident-a1"]
    notify(users=[resident.pk], kind="petition_response", params={"title": "우물 수리"}, link="/my-household/")
    notify(
        users=[resident.pk],
        kind="obligation_suspended",
        params={"title_ko": "강하천 정리", "title_en": "River cleanup", "reason": "장마"},
        link="/my-household/",
    )
    notify(users=[resident.pk, cast["leader-a1"].pk], kind="petition_digest", params={"count": 3})
    first = Notification.objects.filter(user=resident).order_by("pk").first()
    first.read_at = first.created_at
    first.save(update_fields=["read_at"])
    return Notification.objects.filter(user=resident).order_by("-pk")


def test_every_kind_renders_in_korean_and_english_with_its_params():
    problems = []
    for kind, template in NOTIFICATION_TEXTS.items():
        with translation.override("en"):
            names = PLACEHOLDER.findall(str(template))
        params = {name: f"«{name}»" for name in names}
        for language in ("en", "ko"):
            with translation.override(language):
                text = notification_text(kind, params)
            if not text or "%(" in text or any(value not in text for value in params.values()):
                problems.append(f"{kind} ({language}): {text!r}")
            if language == "ko" and not HANGUL.search(PLACEHOLDER.sub("", text)):
                problems.append(f"{kind}: not translated into Korean: {text!r}")
    assert not problems, "\n".join(problems)


def test_a_title_in_both_languages_and_a_day_are_read_in_the_readers_language():
    params = {"title_ko": "강하천 정리", "title_en": "River cleanup", "reason": "장마"}
    with translation.override("en"):
        assert "River cleanup" in notification_text("obligation_suspended", params)
    with translation.override("ko"):
        assert "강하천 정리" in notification_text("obligation_suspended", params)
    with translation.override("en"):
        text = notification_text("vote_opened", {"nominee": "김", "unit": "1반", "closes": "2026-12-01"})
    assert "1 Dec 2026" in text or "Dec. 1, 2026" in text or "December 1, 2026" in text, text
    assert notification_text("no_such_kind", {}) == ""
    with translation.override("en"):
        assert "%(" not in notification_text("obligation_suspended", {})  # a missing parameter reads as empty


def test_the_api_lists_only_your_own_newest_first_with_the_unread_count(cast, notices):
    resident = bearer("resident-a1")
    response = call(resident, "get", "/notifications?limit=2", None)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["unread"] == 2 and len(body["items"]) == 2
    assert [item["id"] for item in body["items"]] == [n.pk for n in notices[:2]]
    assert body["items"][0]["kind"] == "petition_digest" and body["items"][0]["unread"] is True
    english = resident.get("/api/v1/notifications", HTTP_ACCEPT_LANGUAGE="en").json()["items"]
    assert any("River cleanup" in item["text"] for item in english)
    assert call(resident, "get", "/notifications?unread=true").json()["count"] == 2
    assert call(bearer("leader-a1"), "get", "/notifications").json()["count"] == 1


def test_marking_read_one_and_all(cast, notices):
    resident = bearer("resident-a1")
    newest = notices[0]
    marked = call(resident, "post", f"/notifications/{newest.pk}/read")
    assert marked.status_code == 200 and marked.json()["unread"] is False
    assert call(resident, "get", "/notifications").json()["unread"] == 1
    done = call(resident, "post", "/notifications/read-all")
    assert done.json() == {"marked": 1, "unread": 0}
    leader_notice = Notification.objects.get(user=cast["leader-a1"])
    assert leader_notice.read_at is None


@pytest.mark.parametrize("username", ["leader-a1", "officer-a", "auditor", "officer-b"])
def test_someone_elses_notification_is_a_404_and_stays_unread(notices, username):
    newest = notices[0]
    response = call(bearer(username), "post", f"/notifications/{newest.pk}/read")
    assert response.status_code == 404
    newest.refresh_from_db()
    assert newest.read_at is None


def test_anonymous_gets_401_everywhere(notices):
    anonymous = Client()
    for method, path in (
        ("get", "/notifications"),
        ("post", f"/notifications/{notices[0].pk}/read"),
        ("post", "/notifications/read-all"),
    ):
        assert call(anonymous, method, path).status_code == 401
    assert Notification.objects.filter(read_at__isnull=True).count() == 3


@pytest.mark.parametrize("username", ["resident-a1", "leader-a1", "officer-a", "auditor", "officer-b"])
def test_every_role_reads_its_own_list(notices, username):
    response = call(bearer(username), "get", "/notifications")
    assert response.status_code == 200
    assert all(
        item["id"] in {n.pk for n in Notification.objects.filter(user__username=username)}
        for item in response.json()["items"]
    )


def test_the_page_marks_unread_opens_and_marks_all_read(cast, notices, client_for):
    resident = client_for("resident-a1")
    page = resident.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="notice unread"') == 2 and "River cleanup" in html and "Mark all as read" in html
    assert 'class="notice-count"' in html and ">2<" in html  # the top bar's count
    opened = resident.post(f"/notifications/{notices[1].pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == "/my-household/"
    notices[1].refresh_from_db()
    assert notices[1].read_at is not None
    resident.post("/notifications/read-all/")
    assert not Notification.objects.filter(user=cast["resident-a1"], read_at__isnull=True).exists()
    assert "Nothing new." in resident.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Someone else's notification cannot be opened (or marked) from the page either.
    other = Notification.objects.get(user=cast["leader-a1"])
    assert resident.post(f"/notifications/{other.pk}/open/").status_code == 404


def test_the_household_page_shows_the_latest(notices, client_for):
    html = client_for("resident-a1").get("/my-household/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="notifications"' in html and "River cleanup" in html and "2 new" in html


def test_the_pages_need_a_login(client_for):
    anonymous = client_for(None)
    assert anonymous.get("/notifications/").status_code == 302
