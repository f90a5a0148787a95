"""The registry's date policy holds for duties too: exemptions, directives, campaigns, levies and sessions take dates
from 1900 to at most INMINBAN_DATE_HORIZON_DAYS ahead, deliveries dates up to today, with the shared messages; and a
wrongly dated exemption (whose start no end could follow) is corrected through the service, the API and the
exemptions page."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.common.errors import DomainError
from inminban.duties import services
from inminban.duties.models import DutyExemption
from inminban.registry.models import Membership, Person

FAR = date(9999, 12, 31)
CORRECT = date(2026, 11, 1)


def horizon_message(days: int = 365) -> str:
    latest = timezone.localdate() + timedelta(days=days)
    return f"The date is more than {days} days ahead; the latest date accepted today is {latest.isoformat()}."


@pytest.fixture
def adult(unit_a1) -> Person:
    return Membership.objects.filter(household__unit=unit_a1, until=None, relation="head").order_by("pk")[0].person


@pytest.fixture
def campaign_with_quota(make_campaign, cast, unit_a1):
    campaign = make_campaign(unit_a1)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="8")
    return campaign


@pytest.fixture
def levy_share(make_levy, cast, unit_a1):
    levy = make_levy(unit_a1.parent)
    quota = services.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a1, quantity="40")
    return quota.shares.order_by("household__number").first()


@pytest.fixture
def calls(cast, unit_a1, adult, make_directive, make_campaign, make_levy, make_session, campaign_with_quota):
    """Every duties write that takes an effective date, given `on` for it: {case: (field, call)}."""
    leader = cast["leader-a1"]

    def for_date(on):
        return {
            "exemption since": (
                "since",
                lambda: services.exemption_record(actor=leader, person=adult, reason="disability", since=on),
            ),
            "exemption until": (
                "until",
                lambda: services.exemption_record(
                    actor=leader, person=adult, reason="disability", since=date(2026, 1, 1), until=on
                ),
            ),
            "directive effective": (
                "effective_on",
                lambda: make_directive(unit_a1, effective_on=on, due_on=None, requires_ack=False),
            ),
            "directive due": ("due_on", lambda: make_directive(unit_a1, due_on=on)),
            "campaign start": ("starts_on", lambda: make_campaign(unit_a1, starts_on=on)),
            "campaign end": ("ends_on", lambda: make_campaign(unit_a1, ends_on=on)),
            "levy due": ("due_on", lambda: make_levy(unit_a1, due_on=on)),
            "session": ("on", lambda: make_session(campaign_with_quota, unit_a1, on=on)),
        }

    return for_date


CASES = [
    "exemption since",
    "exemption until",
    "directive effective",
    "directive due",
    "campaign start",
    "campaign end",
    "levy due",
    "session",
]


@pytest.mark.parametrize("case", CASES)
def test_a_date_far_ahead_is_refused_with_the_registrys_message(case, calls, nothing_written):
    field, call = calls(FAR)[case]
    with nothing_written(), pytest.raises(DomainError) as error:
        call()
    assert (error.value.field, error.value.message) == (field, horizon_message())


@pytest.mark.parametrize("case", CASES)
def test_a_date_before_1900_is_refused_with_the_registrys_message(case, calls, nothing_written):
    field, call = calls(date(1899, 12, 31))[case]
    with nothing_written(), pytest.raises(DomainError) as error:
        call()
    assert (error.value.field, error.value.message) == (field, "The date is before 1900.")


def test_a_delivery_in_the_future_is_refused_with_the_registrys_message(levy_share, cast, nothing_written):
    with nothing_written(), pytest.raises(DomainError) as error:
        services.delivery_record(
            actor=cast["leader-a1"], share=levy_share, quantity="1", measure="kg", delivered_on=FAR
        )
    assert (error.value.field, error.value.message) == ("delivered_on", "The date is in the future.")


def test_the_api_refuses_a_directive_dated_far_ahead_naming_the_field(client_for, nothing_written):
    body = {"area": "HS-A1", "title_en": "Notice", "text_en": "Text.", "effective_on": "9999-12-31"}
    body["requires_ack"] = False
    with nothing_written():
        response = client_for("officer-a").post(
            "/api/v1/directives", data=json.dumps(body), content_type="application/json"
        )
    assert response.status_code == 422
    assert response.json()["fields"] == {"effective_on": [horizon_message()]}


# Correcting an exemption -----------------------------------------------------------------------------------------


@pytest.fixture
def far_exemption(cast, adult, legacy) -> DutyExemption:
    with legacy():
        return services.exemption_record(actor=cast["leader-a1"], person=adult, reason="disability", since=FAR)


@pytest.fixture
def legacy(settings):
    """Records as they could be written before the horizon existed: `with legacy(): ...`."""

    class Legacy:
        def __enter__(self):
            settings.DATE_HORIZON_DAYS = 10**7

        def __exit__(self, *exc):
            settings.DATE_HORIZON_DAYS = 365

    return Legacy


def test_an_exemption_dated_far_ahead_is_corrected_and_can_then_end(cast, far_exemption):
    leader = cast["leader-a1"]
    with pytest.raises(DomainError, match="after the start date"):
        services.exemption_end(actor=leader, exemption=far_exemption, until=date(2027, 1, 1))

    services.exemption_update(actor=leader, exemption=far_exemption, since=CORRECT)

    far_exemption.refresh_from_db()
    assert (far_exemption.since, far_exemption.until) == (CORRECT, None)
    entry = AuditEntry.objects.latest("seq")
    assert (entry.action, entry.target_id) == ("exemption.update", str(far_exemption.pk))
    assert (entry.before, entry.after) == (
        {"since": "9999-12-31", "until": None},
        {"since": "2026-11-01", "until": None},
    )
    assert entry.household_id is None and "disability" not in json.dumps([entry.before, entry.after])
    services.exemption_end(actor=leader, exemption=far_exemption, until=date(2027, 1, 1))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"since": CORRECT, "until": CORRECT}, "until", "The end date must be after the start date."),
        ({"since": date(1899, 1, 1)}, "since", "The date is before 1900."),
        ({"since": date(2100, 1, 1)}, "since", None),
    ],
)
def test_a_bad_exemption_correction_is_refused(changes, field, message, cast, far_exemption, nothing_written):
    with nothing_written(), pytest.raises(DomainError) as error:
        services.exemption_update(actor=cast["leader-a1"], exemption=far_exemption, **changes)
    assert (error.value.field, error.value.message) == (field, message or horizon_message())
    far_exemption.refresh_from_db()
    assert far_exemption.since == FAR


def test_an_exemption_cannot_be_corrected_into_another_of_the_same_reason(cast, adult, far_exemption, nothing_written):
    services.exemption_record(
        actor=cast["leader-a1"], person=adult, reason="disability", since=date(2026, 1, 1), until=date(2026, 6, 1)
    )
    with nothing_written(), pytest.raises(DomainError) as error:
        services.exemption_update(actor=cast["leader-a1"], exemption=far_exemption, since=date(2026, 3, 1))
    assert (error.value.field, error.value.message) == (
        "since",
        "The person already has this exemption over these dates.",
    )


def _patch(client, exemption, body):
    return client.patch(
        f"/api/v1/duty-exemptions/{exemption.pk}", data=json.dumps(body), content_type="application/json"
    )


def test_the_api_corrects_an_exemption(client_for, far_exemption):
    response = _patch(client_for("leader-a1"), far_exemption, {"since": "2026-11-01"})
    assert response.status_code == 200
    assert (response.json()["since"], response.json()["until"]) == ("2026-11-01", None)


@pytest.mark.parametrize("username", ["leader-b1", "auditor", "resident-a1"])
def test_only_the_units_leader_and_office_correct_an_exemption(username, client_for, far_exemption, nothing_written):
    """Restricted data: outside the unit's leader and office, the exemption does not exist (404)."""
    with nothing_written():
        response = _patch(client_for(username), far_exemption, {"since": "2026-11-01"})
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    assert _patch(client_for("officer-a"), far_exemption, {"since": "2026-11-01"}).status_code == 200


def test_the_api_refuses_a_bad_correction_naming_the_field(client_for, far_exemption, nothing_written):
    with nothing_written():
        response = _patch(client_for("officer-a"), far_exemption, {"since": "2026-11-01", "until": "2026-10-01"})
    assert response.status_code == 422
    assert response.json()["fields"] == {"until": ["The end date must be after the start date."]}


def test_the_exemptions_page_corrects_the_dates(client_for, far_exemption):
    client = client_for("leader-a1")
    page = client.get("/duties/exemptions/?unit=HS-A1")
    assert "Correct the dates of an exemption" in page.content.decode()
    response = client.post(
        "/duties/exemptions/?unit=HS-A1",
        {
            "form": "exemption_dates",
            "correct-exemption": far_exemption.pk,
            "correct-since": "2026-11-01",
            "correct-until": "",
        },
    )
    assert response.status_code == 302
    far_exemption.refresh_from_db()
    assert far_exemption.since == CORRECT


def test_the_exemptions_page_shows_a_bad_correction_beside_the_field(client_for, far_exemption, nothing_written):
    with nothing_written():
        response = client_for("leader-a1").post(
            "/duties/exemptions/?unit=HS-A1",
            {
                "form": "exemption_dates",
                "correct-exemption": far_exemption.pk,
                "correct-since": "2026-11-01",
                "correct-until": "2026-10-01",
            },
        )
    assert response.status_code == 422
    assert response.context["correct_form"].errors == {"until": ["The end date must be after the start date."]}
