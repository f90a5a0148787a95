"""The pages: the office's queue (filters, a row per unit, the chosen unit's chart), a flag's page (what happened in
words, evidence with links, the leader's answer form, the office's decision form), the leader's "flags about you",
and a 404 for everyone else. Korean and English; no guest's name, no health values."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from inminban.audit.models import AuditEntry
from inminban.integrity.models import Flag

from .building import GUEST
from .conftest import state

QUEUE = reverse("integrity:flags")


def _page(flag):
    return reverse("integrity:flag", args=[flag.pk])


@pytest.mark.parametrize("username", ["officer-a", "officer-city", "auditor", "admin"])
def test_the_office_queue_lists_the_flags_and_a_row_per_unit(client_for, flag_a, flag_b, username):
    response = client_for(username).get(QUEUE)
    assert response.status_code == 200
    html = response.content.decode()
    assert _page(flag_a) in html
    assert (_page(flag_b) in html) == (username != "officer-a")
    assert 'id="units"' in html and "?unit=HS-A1" in html
    assert GUEST not in html and "38.4" not in html


def test_choosing_a_unit_filters_and_draws_its_history(client_for, flag_a, flag_b):
    html = client_for("officer-city").get(QUEUE, {"unit": "HS-A1"}).content.decode()
    assert _page(flag_a) in html and _page(flag_b) not in html
    assert 'id="chart-flag-history"' in html and "<svg" in html
    html = client_for("officer-city").get(QUEUE, {"status": "upheld"}).content.decode()
    assert _page(flag_a) not in html


def test_a_filter_naming_an_unknown_unit_is_refused(client_for, flag_a):
    assert client_for("officer-a").get(QUEUE, {"unit": "HS-B1"}).status_code == 400


def test_the_leader_sees_the_flags_about_them(client_for, flag_a, flag_b):
    response = client_for("leader-a1").get(QUEUE)
    assert response.status_code == 200
    html = response.content.decode()
    assert _page(flag_a) in html and _page(flag_b) not in html
    assert 'id="units"' not in html


@pytest.mark.parametrize("username", ["resident-a1", "health-a"])
def test_everyone_else_gets_404(client_for, flag_a, username):
    client = client_for(username)
    assert client.get(QUEUE).status_code == 404
    assert client.get(_page(flag_a)).status_code == 404


def test_anonymous_is_sent_to_log_in(client_for, flag_a):
    response = client_for(None).get(_page(flag_a))
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("username", ["officer-b", "leader-b1"])
def test_a_flag_of_another_district_or_leader_is_404(client_for, flag_a, username):
    assert client_for(username).get(_page(flag_a)).status_code == 404


def test_the_flag_page_says_what_happened_with_the_evidence_and_the_decision_form(client_for, flag_a):
    html = client_for("officer-a").get(_page(flag_a)).content.decode()
    assert "no stay was registered" in html
    assert f'href="{reverse("registry:household", args=[flag_a.facts["household"]])}"' in html
    assert 'name="form" value="decide"' in html and 'name="form" value="explain"' not in html
    assert GUEST not in html and "38.4" not in html and "기침" not in html


def test_the_leader_answers_on_the_page(client_for, flag_a):
    client = client_for("leader-a1")
    html = client.get(_page(flag_a)).content.decode()
    assert 'name="form" value="explain"' in html and 'name="form" value="decide"' not in html
    blank = client.post(_page(flag_a), {"form": "explain", "explanation": " "})
    assert blank.status_code == 422 and "This field is required." in blank.content.decode()
    response = client.post(_page(flag_a), {"form": "explain", "explanation": "사촌이 묵었습니다."})
    assert response.status_code == 302
    flag_a.refresh_from_db()
    assert flag_a.status == Flag.Status.EXPLAINED
    assert "사촌이 묵었습니다." in client_for("officer-a").get(_page(flag_a)).content.decode()


def test_the_office_decides_on_the_page_and_a_reason_is_required(client_for, flag_a):
    client = client_for("officer-a")
    before = state()
    refused = client.post(_page(flag_a), {"form": "decide", "status": "upheld", "reason": ""})
    assert refused.status_code == 422
    assert re.search(r'id="id_decide-reason"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="id_decide-reason"',
                     refused.content.decode())  # fmt: skip
    assert state() == before
    done = client.post(_page(flag_a), {"form": "decide", "status": "upheld", "reason": "등록하지 않은 손님 확인"})
    assert done.status_code == 302
    flag_a.refresh_from_db()
    assert flag_a.status == Flag.Status.UPHELD
    html = client_for("leader-a1").get(_page(flag_a)).content.decode()
    assert "등록하지 않은 손님 확인" in html and 'name="form"' not in html


@pytest.mark.parametrize(
    ("username", "form"), [("leader-a1", "decide"), ("officer-a", "explain"), ("auditor", "decide")]
)
def test_a_form_not_yours_is_forbidden(client_for, flag_a, username, form):
    count = AuditEntry.objects.count()
    response = client_for(username).post(_page(flag_a), {"form": form, "status": "dismissed", "reason": "x",
                                                          "explanation": "x"})  # fmt: skip
    assert response.status_code == 403
    assert AuditEntry.objects.count() == count


def test_the_pages_speak_korean(client_for, flag_a):
    client = client_for("officer-a")
    with translation.override("ko"):
        client.cookies["django_language"] = "ko"
        html = client.get(_page(flag_a), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert '<html lang="ko"' in html


def test_the_queue_costs_the_same_queries_for_more_flags(client_for, unit_a1, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .building import households_of, scan, unregistered_check

    client = client_for("officer-a")
    unregistered_check(households_of(unit_a1)[0])
    scan()
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE, {"unit": "HS-A1"})
    for household in households_of(unit_a1)[1:]:
        unregistered_check(household)
    scan()
    with CaptureQueriesContext(connection) as more:
        client.get(QUEUE, {"unit": "HS-A1"})
    assert len(more) == len(few)
