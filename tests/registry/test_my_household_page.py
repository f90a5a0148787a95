"""The resident's own household, and who read or changed its records."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from inminban.areas.models import Office
from inminban.audit.models import AccessLogEntry
from inminban.duties import services as duty_services
from inminban.duties.models import AllocationRule, Share
from inminban.registry.models import Membership
from inminban.synth.demo_duties import build_demo_duties


def test_shows_the_residents_household_and_members(client_for, household_a1, other_household_a1):
    response = client_for("resident-a1").get("/my-household/")
    assert response.status_code == 200
    assert response.context["household"] == household_a1
    html = response.content.decode()
    for membership in Membership.objects.filter(household=household_a1, until=None).select_related("person"):
        assert membership.person.full_name in html
    for membership in Membership.objects.filter(household=other_household_a1).select_related("person"):
        assert membership.person.full_name not in html


@pytest.mark.parametrize(
    ("language", "leader_line", "officer_line"),
    [
        (
            "en",
            "{leader} (unit leader) viewed your records 2 times this month.",
            "an officer of Songhu-dong office viewed your records 1 time this month.",
        ),
        (
            "ko",
            "{leader}",
            "이번 달에 우리 기록을 1번 보았습니다.",
        ),
    ],
)
def test_shows_who_read_the_records_by_name_and_role_but_not_the_residents_own_visits(
    client_for, household_a1, person_a1, language, leader_line, officer_line
):
    from inminban.areas.models import RoleAssignment

    leader = RoleAssignment.objects.get(user__username="leader-a1", role="leader").person
    client_for("leader-a1").get(f"/households/{household_a1.pk}/")
    client_for("leader-a1").get(f"/households/{household_a1.pk}/")
    client_for("officer-a").get(f"/persons/{person_a1.pk}/")
    resident = client_for("resident-a1")
    resident.get("/my-household/")
    response = resident.get("/my-household/", HTTP_ACCEPT_LANGUAGE=language)
    summary = response.context["access_summary"]
    assert sorted((viewer.this_month, viewer.total) for viewer in summary.viewers) == [(1, 1), (2, 2)]
    assert AccessLogEntry.objects.filter(household=household_a1, actor_name="resident-a1").count() == 2
    html = response.content.decode()
    reads = html[html.index('id="reads"') : html.index('id="changes"')]
    assert leader_line.format(leader=leader.full_name) in reads
    assert officer_line in reads
    for username in ("leader-a1", "officer-a", "resident-a1"):
        assert username not in reads
    if language == "en":
        assert f"read the record of {person_a1.full_name}" in reads
        assert "read the household record" in reads


def test_shows_who_changed_the_records(client_for, household_a1, person_a1):
    response = client_for("leader-a1").post(
        f"/persons/{person_a1.pk}/",
        {"form": "job", "workplace": "혜산방직공장", "job_title": "방직공", "since": "2026-01-02"},
    )
    assert response.status_code == 302
    page = client_for("resident-a1").get("/my-household/")
    changes = [item.entry for item in page.context["history"].items]
    assert (changes[0].action, changes[0].actor_name) == ("occupation.set", "leader-a1")
    assert all(entry.household_id == household_a1.pk for entry in changes)
    assert "방직공" in page.content.decode()


def test_accounts_not_linked_to_a_person_have_no_own_household(client_for):
    assert client_for("officer-a").get("/my-household/").status_code == 404
    assert client_for("auditor").get("/my-household/").status_code == 404


def test_a_leader_sees_the_household_they_live_in(client_for):
    from inminban.areas.models import RoleAssignment

    leader = RoleAssignment.objects.get(user__username="leader-a1", role="leader")
    page = client_for("leader-a1").get("/my-household/")
    assert page.status_code == 200
    assert page.context["household"] == leader.person.household


# What the household must do, first ------------------------------------------------------------------------------


@pytest.fixture
def duties_world(cast, unit_a1, household_a1, tmp_path, monkeypatch):
    """The demo's duties (all done by resident-a1's household), plus a directive to acknowledge and a levy with
    nothing delivered yet: two things still to do."""
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))
    build_demo_duties(cast)
    today = timezone.localdate()
    officer, office = cast["officer-a"], Office.objects.get(code="HS-A-OFFICE")
    directive = duty_services.directive_issue(
        actor=officer,
        office=office,
        area=unit_a1.parent,
        title_ko="계단 눈치기",
        title_en="Clear the snow from the stairs",
        text_en="Every household clears its stairs by the weekend.",
        effective_on=today,
        due_on=today + timedelta(days=5),
    )
    levy = duty_services.levy_create(
        actor=officer,
        office=office,
        area=unit_a1.parent,
        kind="manure",
        title_ko="농장 거름",
        title_en="Manure for the farm",
        measure="kg",
        rule=AllocationRule.objects.get(code="equal"),
        starts_on=today - timedelta(days=1),
        due_on=today + timedelta(days=9),
    )
    households = household_a1.unit.households.filter(dissolved_on__isnull=True).count()
    duty_services.quota_set(actor=officer, obligation=levy, unit=unit_a1, quantity=Decimal(10 * households))
    return {"directive": directive, "levy": levy, "share": Share.objects.get(quota__levy=levy, household=household_a1)}


def _section(html: str, first: str, last: str) -> str:
    return html[html.index(f'id="{first}"') : html.index(f'id="{last}"')]


@pytest.mark.parametrize("language", ["en", "ko"])
def test_what_the_household_must_do_comes_first_then_its_records_then_who_looked(client_for, duties_world, language):
    html = client_for("resident-a1").get("/my-household/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    order = [html.index(f'id="{section}"') for section in ("tasks", "members", "stamps", "entitlements", "reads")]
    assert order == sorted(order)
    assert html.index('id="reads"') < html.index('id="changes"')


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "en",
            [
                "{count} things still to do.",
                "Read and acknowledge: Clear the snow from the stairs",
                "Deliver: Manure for the farm",
                "Still to do: 10 of 10 kg, by {levy_due}.",
                "By {directive_due}.",
                "To do",
                "Done",
                "Coming labour sessions",
            ],
        ),
        (
            "ko",
            [
                "아직 할 일: {count}가지.",
                "읽고 확인: 계단 눈치기",
                "바치기: 농장 거름",
                "남은 량: 10 kg 가운데 10, 기한 {levy_due}.",
                "기한: {directive_due}.",
                "할 일",
                "완료",
                "다가오는 로력동원 일정",
            ],
        ),
    ],
)
def test_tasks_to_do_come_first_with_amounts_dates_and_status(client_for, duties_world, language, texts):
    response = client_for("resident-a1").get("/my-household/", HTTP_ACCEPT_LANGUAGE=language)
    tasks = response.context["tasks"]
    dates = {}
    todo = [task for task in tasks if task.status == "todo"]
    assert tasks[: len(todo)] == todo and len(tasks) > len(todo)  # to do first, then what was done lately
    assert duties_world["directive"] in {task.directive for task in todo}
    assert duties_world["share"] in {task.share for task in todo}
    assert [task.due_on for task in todo] == sorted(task.due_on for task in todo)  # the nearest deadline first
    assert response.context["todo_count"] == len(todo)
    dates["count"] = len(todo)
    with translation.override(language):
        dates |= {
            "levy_due": date_format(duties_world["levy"].due_on, "SHORT_DATE_FORMAT"),
            "directive_due": date_format(duties_world["directive"].due_on, "SHORT_DATE_FORMAT"),
        }
    html = _section(response.content.decode(), "tasks", "members")
    for text in texts:
        assert text.format(**dates) in html
    assert f'href="/shares/{duties_world["share"].pk}/"' in html
    assert f'href="/directives/{duties_world["directive"].pk}/"' in html
    assert 'href="/sessions/' in html


def test_tasks_and_records_show_no_codes_ids_or_user_names(client_for, duties_world, household_a1):
    html = _section(client_for("resident-a1").get("/my-household/").content.decode(), "tasks", "reads")
    text = re.sub(r"<[^>]+>", " ", html)
    for forbidden in (household_a1.number, "HS-A1", "HS-A", "resident-a1", "leader-a1", "officer-a", "person_hours"):
        assert forbidden not in text
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text)  # no stamp serials: the stamp is a link with its title


def test_a_task_turns_done_once_the_household_acknowledges(client_for, duties_world, household_a1):
    resident = client_for("resident-a1")
    directive = duties_world["directive"]
    assert resident.post(f"/directives/{directive.pk}/acknowledge/", {"household": household_a1.pk}).status_code == 302
    tasks = resident.get("/my-household/").context["tasks"]
    task = next(task for task in tasks if task.directive == directive)
    assert task.status == "done" and task.ack is not None
    assert directive not in {task.directive for task in tasks if task.status == "todo"}
    assert duties_world["share"] in {task.share for task in tasks if task.status == "todo"}
