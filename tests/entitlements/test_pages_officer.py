"""The office's pages for programs and cycles: who may see and do what, the workflow through the buttons (the
computation runs as a background job), and bad input coming back on its field with nothing written."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from inminban.areas import services as area_services
from inminban.audit.models import AuditEntry
from inminban.entitlements import services
from inminban.entitlements.models import Cycle, Entitlement, Program, ProgramVersion
from inminban.jobs.models import Job
from inminban.jobs.runner import run_due
from inminban.synth.demo import DEMO_PASSWORD


def _counts():
    return {model.__name__: model.objects.count() for model in (Program, ProgramVersion, Cycle, Entitlement, Job)} | {
        "audit": AuditEntry.objects.count(),
        "statuses": list(Cycle.objects.order_by("pk").values_list("status", flat=True)),
    }


@pytest.fixture
def checker(cast, office_a) -> User:
    """A second officer of district A's office, who approves what officer-a computes."""
    user = User.objects.filter(username="officer-a2").first()
    if user is None:
        user = User.objects.create_user("officer-a2", password=DEMO_PASSWORD)
        area_services.role_assign(actor=cast["admin"], user=user, role="officer", office=office_a)
    return user


@pytest.fixture
def world(cast, street, street_ration):
    program = street_ration
    cycle = services.cycle_create(
        actor=cast["officer-a"], program=program, period_start=timezone.localdate().replace(day=1)
    )
    return {"program": program, "cycle": cycle, "street": street}


@pytest.fixture
def computed(cast, world) -> Cycle:
    return services.cycle_generate(actor=cast["officer-a"], cycle=world["cycle"])


def _urls(world):
    return [
        "/programs/",
        f"/programs/{world['program'].pk}/",
        f"/cycles/{world['cycle'].pk}/",
    ]


def test_anonymous_is_sent_to_log_in(client_for, world):
    client = client_for(None)
    for url in _urls(world) + ["/programs/new/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


@pytest.mark.parametrize("username", ["officer-a", "auditor", "admin"])
def test_office_pages_render_for_the_office_auditors_and_admins(client_for, computed, world, username):
    client = client_for(username)
    listing = client.get("/programs/")
    assert listing.status_code == 200
    assert "Monthly grain ration" in listing.content.decode()
    assert "holds a valid stamp for “Street cleaning” (labour campaign)" in listing.content.decode()
    program = client.get(f"/programs/{world['program'].pk}/").content.decode()
    assert "Heavy labour" in program and "900 g a day" in program and "17 to 60" in program
    cycle = client.get(f"/cycles/{computed.pk}/")
    assert cycle.status_code == 200
    page = cycle.content.decode()
    assert "Computed, awaiting approval" in page and "<svg" in page
    assert f"/cycles/{computed.pk}/units/HS-A1/" in page
    assert "Why households were denied" in page


@pytest.mark.parametrize("username", ["officer-b", "leader-a1", "leader-b1", "resident-a1"])
def test_office_pages_are_404_outside_the_office(client_for, computed, world, username):
    client = client_for(username)
    for url in _urls(world)[1:]:
        assert client.get(url).status_code == 404, url
    listing = client.get("/programs/")
    if username == "officer-b":
        assert listing.status_code == 200 and "Monthly grain ration" not in listing.content.decode()
    else:
        assert listing.status_code == 404


@pytest.mark.parametrize(
    ("username", "status"),
    [("officer-a", 200), ("admin", 200), ("auditor", 403), ("leader-a1", 403), ("resident-a1", 403)],
)
def test_program_form_is_for_officers(client_for, street, username, status):
    response = client_for(username).get("/programs/new/")
    assert response.status_code == status
    if status == 200:
        assert "Street cleaning · labour campaign · Songhu-dong unit 1" in response.content.decode()


def _program_post(street, unit, **overrides):
    data = {
        "name_ko": "월 식량 배급",
        "name_en": "Monthly grain ration",
        "area": unit.parent.pk,
        "kind": "grain_ration",
        "cadence": "monthly",
        "norms": "nine_levels",
        "resident": "on",
        "stamps": [street.ref],
        "rule": "",
        "benefit_days": "",
    }
    return data | overrides


def test_program_is_created_from_the_rule_builder(client_for, street, unit_a1):
    response = client_for("officer-a").post("/programs/new/", _program_post(street, unit_a1))
    program = Program.objects.get(name_en="Monthly grain ration")
    assert response.status_code == 302 and response["Location"] == f"/programs/{program.pk}/"
    assert program.current_version.rule == {"all": [{"resident": {"months": 0}}, {"stamp": street.ref}]}
    assert program.area == unit_a1.parent and program.office.code == "HS-A-OFFICE"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name_ko": "", "name_en": ""}, "name_en", "A name in Korean or English is required."),
        ({"stamps": [], "resident": ""}, "stamps", "Choose at least one condition"),
        ({"rule": "{not json"}, "rule", "This is not valid JSON"),
        ({"rule": '{"all": [{"stamp": "campaign:999999"}]}'}, "rule", "There is no campaign 999999."),
        ({"rule": '{"all": [{"resident": {}}, {"stamp": "bogus"}]}'}, "rule", "A reference such as campaign:12"),
        ({"benefit_days": "3"}, "benefit_days", "Only a leader benefit gives extra days."),
        ({"kind": "leader_benefit", "cadence": "once"}, "cadence", "A leader benefit is given monthly."),
    ],
)
def test_bad_program_input_shows_the_error_on_its_field_and_writes_nothing(
    client_for, street, unit_a1, overrides, field, message
):
    client = client_for("officer-a")
    before = _counts()
    response = client.post("/programs/new/", _program_post(street, unit_a1, **overrides))
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert message in response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert _counts() == before


def test_a_stamp_for_another_area_is_refused_on_the_rule(client_for, street, unit_a1, unit_a2):
    before = _counts()
    response = client_for("officer-a").post("/programs/new/", _program_post(street, unit_a1, area=unit_a2.pk))
    assert response.status_code == 422
    assert "is for another area than this program" in " ".join(response.context["form"].errors["stamps"])
    assert _counts() == before


def test_readers_cannot_post_a_program(client_for, street, unit_a1):
    before = _counts()
    for username in ("auditor", "leader-a1", "resident-a1"):
        assert client_for(username).post("/programs/new/", _program_post(street, unit_a1)).status_code == 403
    assert _counts() == before


def test_cycle_is_started_computed_in_the_background_and_approved_by_a_second_officer(client_for, world, checker):
    officer = client_for("officer-a")
    program = world["program"]
    start = (world["cycle"].period_end + timedelta(days=1)).isoformat()
    response = officer.post(f"/programs/{program.pk}/", {"form": "cycle", "cycle-period_start": start})
    cycle = Cycle.objects.get(program=program, period_start=start)
    assert response.status_code == 302 and response["Location"] == f"/cycles/{cycle.pk}/"

    page = officer.get(f"/cycles/{cycle.pk}/").content.decode()
    assert "Not computed yet" in page and 'value="generate"' in page and 'http-equiv="refresh"' not in page

    assert officer.post(f"/cycles/{cycle.pk}/", {"action": "generate"}).status_code == 302
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.GENERATING and cycle.job is not None
    page = officer.get(f"/cycles/{cycle.pk}/").content.decode()
    assert (
        f'<meta http-equiv="refresh" content="3; url=/cycles/{cycle.pk}/">' in page
        and "<progress" in page
        and 'value="generate"' not in page
    )

    assert run_due(worker="test") >= 1
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.GENERATED and cycle.households > 0
    page = officer.get(f"/cycles/{cycle.pk}/").content.decode()
    assert 'http-equiv="refresh"' not in page and "<progress" not in page
    assert 'value="approve"' not in page
    assert "You computed this cycle, so another officer of the office must approve it." in page
    assert 'value="generate"' in page  # recompute stays possible until approval

    second = client_for(checker.username)
    page = second.get(f"/cycles/{cycle.pk}/").content.decode()
    assert 'value="approve"' in page
    assert second.post(f"/cycles/{cycle.pk}/", {"action": "approve"}).status_code == 302
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.APPROVED and cycle.approved_by == checker
    page = officer.get(f"/cycles/{cycle.pk}/").content.decode()
    assert 'value="generate"' not in page and 'value="distribute"' in page

    assert officer.post(f"/cycles/{cycle.pk}/", {"action": "distribute"}).status_code == 302
    assert officer.post(f"/cycles/{cycle.pk}/", {"action": "close"}).status_code == 302
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.CLOSED


def test_the_officer_who_computed_cannot_approve_by_posting_anyway(client_for, computed):
    before = _counts()
    response = client_for("officer-a").post(f"/cycles/{computed.pk}/", {"action": "approve"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "You computed this cycle; another officer must approve it." in page
    assert _counts() == before


def test_a_refused_step_is_said_in_words_not_in_codes(client_for, world):
    before = _counts()
    response = client_for("officer-a").post(f"/cycles/{world['cycle'].pk}/", {"action": "close"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "This cannot be done in the cycle&#x27;s present state." in page and "is draft" not in page
    assert _counts() == before


@pytest.mark.parametrize(
    ("username", "status"), [("auditor", 403), ("officer-b", 404), ("leader-a1", 404), ("resident-a1", 404)]
)
def test_only_the_office_can_press_the_buttons(client_for, computed, checker, username, status):
    before = _counts()
    for action in ("generate", "approve"):
        assert client_for(username).post(f"/cycles/{computed.pk}/", {"action": action}).status_code == status
    assert _counts() == before


def test_the_auditor_sees_no_buttons(client_for, computed):
    page = client_for("auditor").get(f"/cycles/{computed.pk}/").content.decode()
    assert 'name="action"' not in page


def test_an_unknown_action_is_a_bad_request(client_for, computed):
    before = _counts()
    assert client_for("officer-a").post(f"/cycles/{computed.pk}/", {"action": "delete"}).status_code == 400
    assert _counts() == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"cycle-period_start": "2026-02-10"}, "period_start", "A monthly cycle starts on the first day of a month."),
        (
            {"cycle-period_start": "not a date"},
            "period_start",
            "Write the date as year-month-day, for example 2026-12-01.",
        ),
        ({"cycle-period_start": "2026-12-01", "cycle-reference_date": "2000-01-01"}, "reference_date", "A day within"),
    ],
)
def test_bad_cycle_input_shows_the_error_and_writes_nothing(client_for, world, data, field, message):
    before = _counts()
    response = client_for("officer-a").post(f"/programs/{world['program'].pk}/", {"form": "cycle"} | data)
    assert response.status_code == 422
    errors = response.context["cycle_form"].errors
    assert message in " ".join(errors[field]), errors
    assert _counts() == before


def test_an_overlapping_cycle_is_refused(client_for, world):
    before = _counts()
    start = world["cycle"].period_start.isoformat()
    response = client_for("officer-a").post(
        f"/programs/{world['program'].pk}/", {"form": "cycle", "cycle-period_start": start}
    )
    assert response.status_code == 422
    assert "The period overlaps the cycle" in " ".join(response.context["cycle_form"].errors["period_start"])
    assert _counts() == before


def test_revising_the_norms_makes_a_new_version(client_for, world):
    program, street = world["program"], world["street"]
    data = {"form": "revise", "revise-norms": "five_levels", "revise-resident": "on", "revise-stamps": [street.ref]}
    response = client_for("officer-a").post(f"/programs/{program.pk}/", data)
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.current_version.number == 2 and program.current_version.norms[0]["amount"] == 500
    assert world["cycle"].version.number == 1


def test_a_revision_that_changes_nothing_is_refused(client_for, world):
    program, street = world["program"], world["street"]
    before = _counts()
    data = {"form": "revise", "revise-resident": "on", "revise-stamps": [street.ref]}
    response = client_for("officer-a").post(f"/programs/{program.pk}/", data)
    assert response.status_code == 422
    assert "Nothing changed" in " ".join(response.context["revision_form"].errors["stamps"])
    assert _counts() == before


def test_the_revision_form_starts_from_the_current_rule(client_for, world):
    page = client_for("officer-a").get(f"/programs/{world['program'].pk}/").content.decode()
    assert re.search(rf'name="revise-stamps" value="{world["street"].ref}"[^>]* checked', page)
    assert re.search(r'name="revise-resident"[^>]* checked', page)


def test_a_district_cycle_can_be_looked_at_per_unit(client_for, computed):
    response = client_for("officer-a").get(f"/cycles/{computed.pk}/?area=HS-A1")
    assert response.status_code == 200
    assert client_for("officer-a").get(f"/cycles/{computed.pk}/?area=HS-B1").status_code == 404
