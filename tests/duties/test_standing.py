"""The issuing office suspends, cancels or resumes a campaign or a levy: each step audited, a cancellation final,
and every refusal (bad value, no reason, no change, not the issuer) a clear error that writes nothing."""

import json

import pytest

from inminban.audit.models import AuditEntry
from inminban.duties.models import Campaign, Levy, Standing

API = "/api/v1"


def _post(client, path, body):
    return client.post(f"{API}{path}", data=json.dumps(body), content_type="application/json")


def _last_standing_entry() -> AuditEntry:
    """The latest standing change (the decision also issues a directive and is announced: governance's entries)."""
    kinds = [f"{kind}.{verb}" for kind in ("campaign", "levy") for verb in ("suspend", "cancel", "resume")]
    return AuditEntry.objects.filter(action__in=kinds).order_by("-seq").first()


def _standing(obligation) -> tuple:
    obligation.refresh_from_db()
    return obligation.standing, obligation.standing_reason, obligation.standing_changed_at


@pytest.fixture
def campaign(make_campaign, unit_a1) -> Campaign:
    return make_campaign(unit_a1)


@pytest.fixture
def levy(make_levy, unit_a1) -> Levy:
    return make_levy(unit_a1)


def test_officer_suspends_then_resumes_a_campaign(client_for, campaign):
    officer = client_for("officer-a")
    response = _post(officer, f"/campaigns/{campaign.pk}/standing", {"standing": "suspended", "reason": "Floods"})
    assert response.status_code == 200, response.content
    assert response.json()["standing"] == "suspended"
    assert response.json()["status"] == "suspended"
    entry = _last_standing_entry()
    assert (entry.action, entry.before["standing"], entry.after["standing"]) == (
        "campaign.suspend",
        "active",
        "suspended",
    )

    response = _post(officer, f"/campaigns/{campaign.pk}/standing", {"standing": "active", "reason": "Water is down"})
    assert response.status_code == 200
    assert _standing(campaign)[0] == Standing.ACTIVE
    assert _last_standing_entry().action == "campaign.resume"


def test_a_cancelled_levy_cannot_be_resumed(client_for, levy):
    officer = client_for("officer-a")
    assert (
        _post(officer, f"/levies/{levy.pk}/standing", {"standing": "cancelled", "reason": "Not needed"}).status_code
        == 200
    )
    assert _last_standing_entry().action == "levy.cancel"
    before, entries = _standing(levy), AuditEntry.objects.count()
    response = _post(officer, f"/levies/{levy.pk}/standing", {"standing": "active", "reason": "Needed after all"})
    assert response.status_code == 422
    assert "cannot be undone" in response.json()["fields"]["standing"][0]
    assert (_standing(levy), AuditEntry.objects.count()) == (before, entries)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"standing": "paused", "reason": "x"}, "standing"),
        ({"standing": "suspended", "reason": ""}, "reason"),
        ({"standing": "suspended", "reason": "   "}, "reason"),
        ({"standing": "suspended"}, "reason"),
        ({"standing": "suspended", "reason": "x" * 301}, "reason"),
        ({"standing": "active", "reason": "Nothing to resume"}, "standing"),
        ({"standing": "suspended", "reason": "x", "extra": 1}, "extra"),
    ],
)
def test_bad_standing_is_422_naming_the_field_and_writes_nothing(client_for, campaign, body, field):
    before, entries = _standing(campaign), AuditEntry.objects.count()
    response = _post(client_for("officer-a"), f"/campaigns/{campaign.pk}/standing", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]
    assert (_standing(campaign), AuditEntry.objects.count()) == (before, entries)


@pytest.mark.parametrize(("username", "status"), [("leader-a1", 403), ("resident-a1", 403), ("officer-b", 404)])
def test_only_the_issuing_office_changes_the_standing(client_for, campaign, username, status):
    before, entries = _standing(campaign), AuditEntry.objects.count()
    response = _post(
        client_for(username), f"/campaigns/{campaign.pk}/standing", {"standing": "cancelled", "reason": "x"}
    )
    assert response.status_code == status
    assert (_standing(campaign), AuditEntry.objects.count()) == (before, entries)
