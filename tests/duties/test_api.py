"""/api/v1 for duties: the access matrix, bad input answered 422 with the field named and nothing written, and a
full cycle (directive, campaign, levy, stamps) that leaves the audit chain intact."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from inminban.audit.models import AuditEntry
from inminban.audit.services import audit_verify
from inminban.duties import services
from inminban.duties.models import DirectiveAcknowledgement, Share
from inminban.registry.models import Household, Person

API = "/api/v1"


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


def call(client, method, path, body=None):
    kwargs = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method.lower())(API + path, **kwargs)


@pytest.fixture
def world(make_directive, make_campaign, make_levy, make_session, cast, unit_a1, unit_b1, office_b):
    directive = make_directive(unit_a1.parent)
    campaign = make_campaign(unit_a1.parent)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    session = make_session(campaign, unit_a1)
    levy = make_levy(unit_a1.parent)
    levy_quota = services.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a1, quantity="40")
    levy_b = make_levy(unit_b1, actor=cast["officer-b"], office=office_b)
    quota_b = services.quota_set(actor=cast["officer-b"], obligation=levy_b, unit=unit_b1, quantity="8")
    return {
        "directive": directive,
        "directive_b": make_directive(unit_b1, actor=cast["officer-b"], office=office_b),
        "campaign": campaign,
        "campaign_share": quota.shares.order_by("household__number").first(),
        "session": session,
        "levy": levy,
        "share": levy_quota.shares.order_by("household__number").first(),
        "levy_b": levy_b,
        "share_b": quota_b.shares.first(),
    }


def _ids(world):
    return {key: value.pk for key, value in world.items()}


READS = [
    "/directives",
    "/directives/{directive}",
    "/directives/{directive}/progress",
    "/directives/{directive}/households?unit=HS-A1",
    "/directives/{directive}/acknowledgements",
    "/campaigns",
    "/campaigns/{campaign}",
    "/campaigns/{campaign}/quotas",
    "/campaigns/{campaign}/shares",
    "/campaigns/{campaign}/progress",
    "/campaigns/{campaign}/sessions",
    "/sessions/{session}",
    "/sessions/{session}/attendance",
    "/levies",
    "/levies/{levy}",
    "/levies/{levy}/quotas",
    "/levies/{levy}/shares?unit=HS-A1",
    "/levies/{levy}/progress",
    "/shares/{share}",
    "/shares/{share}/deliveries",
    "/waivers",
    "/allocation-rules",
    "/duty-exemptions",
    "/day?unit=HS-A1",
]


def test_anonymous_gets_401_everywhere(client_for, world):
    client = client_for(None)
    for path in READS:
        assert call(client, "get", path.format(**_ids(world))).status_code == 401, path
    for path in ["/directives", "/campaigns", "/levies", "/shares/{share}/deliveries", "/shares/{share}/confirm"]:
        assert call(client, "post", path.format(**_ids(world)), {}).status_code == 401, path


@pytest.mark.parametrize("username", ["officer-a", "leader-a1", "auditor", "admin"])
def test_reads_answer_200_in_scope(client_for, world, username):
    client = client_for(username)
    for path in READS:
        response = call(client, "get", path.format(**_ids(world)))
        assert response.status_code == 200, (path, response.content)


@pytest.mark.parametrize(
    "path",
    [
        "/directives/{directive_b}",
        "/directives/{directive_b}/progress",
        "/levies/{levy_b}",
        "/levies/{levy_b}/quotas",
        "/levies/{levy_b}/progress",
        "/shares/{share_b}",
        "/shares/{share_b}/deliveries",
    ],
)
def test_leader_a1_gets_404_for_b1(client_for, world, path):
    assert call(client_for("leader-a1"), "get", path.format(**_ids(world))).status_code == 404


def test_leader_a1_cannot_write_in_b1(client_for, world, today, nothing_written):
    leader = client_for("leader-a1")
    with nothing_written():
        response = call(
            leader,
            "post",
            f"/shares/{world['share_b'].pk}/deliveries",
            {"quantity": "1", "measure": "kg", "delivered_on": today.isoformat()},
        )
        assert response.status_code == 404
        assert call(leader, "post", f"/shares/{world['share_b'].pk}/confirm").status_code == 404
        household_b = Household.objects.filter(unit__code="HS-B1").first()
        response = call(
            leader, "post", f"/directives/{world['directive_b'].pk}/acknowledgements", {"household": household_b.pk}
        )
        assert response.status_code == 404


def test_progress_of_b1_is_invisible_to_a1(client_for, world):
    progress = call(client_for("leader-a1"), "get", f"/directives/{world['directive'].pk}/progress").json()
    assert [row["unit"] for row in progress["units"]] == ["HS-A1"]
    officer = call(client_for("officer-a"), "get", f"/directives/{world['directive'].pk}/progress").json()
    assert [row["unit"] for row in officer["units"]] == ["HS-A1", "HS-A2"]


def test_auditor_cannot_write(client_for, world, unit_a1, today, nothing_written):
    auditor = client_for("auditor")
    household = Household.objects.filter(unit=unit_a1).first()
    person = Person.objects.filter(household=household).first()
    ids = _ids(world)
    writes = [
        ("/directives", {"area": "HS-A1", "title_en": "x", "text_en": "y", "effective_on": today.isoformat()}),
        ("/directives/{directive}/acknowledgements", {"household": household.pk}),
        ("/campaigns/{campaign}/quotas", {"unit": "HS-A1", "quantity": "4"}),
        (
            "/campaigns/{campaign}/sessions",
            {"unit": "HS-A1", "on": today.isoformat(), "starts_at": "08:00", "ends_at": "09:00"},
        ),
        ("/sessions/{session}/attendance", {"person": person.pk}),
        ("/shares/{share}/deliveries", {"quantity": "1", "measure": "kg", "delivered_on": today.isoformat()}),
        ("/shares/{share}/waivers", {"reason": "x"}),
        ("/shares/{share}/confirm", None),
        ("/duty-exemptions", {"person": person.pk, "reason": "pregnancy", "since": today.isoformat()}),
        ("/allocation-rules", {"code": "x", "method": "equal"}),
    ]
    with nothing_written():
        for path, body in writes:
            response = call(auditor, "post", path.format(**ids), body)
            assert response.status_code == 403, (path, response.content)
            assert response.json()["error"] == "forbidden"


def test_leader_cannot_do_officer_work(client_for, world, today, nothing_written):
    leader = client_for("leader-a1")
    with nothing_written():
        response = call(leader, "post", f"/campaigns/{world['campaign'].pk}/quotas", {"unit": "HS-A1", "quantity": "4"})
        assert response.status_code == 403
        body = {"area": "HS-A1", "title_en": "x", "text_en": "y", "effective_on": today.isoformat(), "due_on": None}
        assert call(leader, "post", "/directives", body).status_code == 403


def test_resident_acknowledges_own_household_only(client_for, cast, world, nothing_written):
    resident = client_for("resident-a1")
    own = cast["resident-a1"].role_assignments.get(role="resident").person.household
    path = f"/directives/{world['directive'].pk}/acknowledgements"
    response = call(resident, "post", path, {"household": own.pk})
    assert response.status_code == 201 and response.json()["channel"] == "resident"
    neighbour = Household.objects.filter(unit=own.unit).exclude(pk=own.pk).first()
    with nothing_written():
        response = call(resident, "post", path, {"household": neighbour.pk})
    assert response.status_code == 422 and "household" in response.json()["fields"]
    own_share = Share.objects.get(quota__levy=world["levy"], household=own)
    assert call(resident, "get", f"/shares/{own_share.pk}").status_code == 200
    other = Share.objects.filter(quota__levy=world["levy"]).exclude(household=own).first()
    assert call(resident, "get", f"/shares/{other.pk}").status_code == 404
    duties = call(resident, "get", f"/households/{own.pk}/duties").json()
    assert duties["household"] == own.pk
    own_shares = Share.objects.filter(
        household=own, quota__in=[*world["levy"].quotas.all(), *world["campaign"].quotas.all()]
    )
    assert {share.pk for share in own_shares} <= {share["id"] for share in duties["shares"]}
    assert world["directive"].pk in {row["directive"] for row in duties["directives"]}
    assert call(resident, "get", f"/households/{neighbour.pk}/duties").status_code == 404
    assert call(resident, "get", "/duty-exemptions").json()["count"] == 0


def _assert_422(response, field):
    assert response.status_code == 422, response.content
    body = response.json()
    assert field in body["fields"], body
    return body


@pytest.mark.parametrize(
    ("quantity", "message"),
    [("-4", "cannot be negative"), ("abc", "A number is required."), (-1, "cannot be negative"), ("3.25", "multiple")],
)
def test_bad_quota_is_422(client_for, world, quantity, message, nothing_written):
    with nothing_written():
        response = call(
            client_for("officer-a"),
            "post",
            f"/campaigns/{world['campaign'].pk}/quotas",
            {"unit": "HS-A1", "quantity": quantity},
        )
    assert message in _assert_422(response, "quantity")["fields"]["quantity"][0]


def test_quota_of_a_list_or_object_is_422(client_for, world, nothing_written):
    with nothing_written():
        for value in ([1], {"a": 1}, None):
            response = call(
                client_for("officer-a"),
                "post",
                f"/campaigns/{world['campaign'].pk}/quotas",
                {"unit": "HS-A1", "quantity": value},
            )
            _assert_422(response, "quantity")


def test_unknown_field_is_422(client_for, world, nothing_written):
    with nothing_written():
        response = call(
            client_for("officer-a"),
            "post",
            f"/campaigns/{world['campaign'].pk}/quotas",
            {"unit": "HS-A1", "quantity": "4", "bonus": 1},
        )
    _assert_422(response, "bonus")


def test_session_outside_campaign_dates_is_422(client_for, world, nothing_written):
    campaign = world["campaign"]
    with nothing_written():
        response = call(
            client_for("leader-a1"),
            "post",
            f"/campaigns/{campaign.pk}/sessions",
            {
                "unit": "HS-A1",
                "on": (campaign.starts_on - timedelta(days=1)).isoformat(),
                "starts_at": "08:00",
                "ends_at": "10:00",
            },
        )
    assert "within the campaign" in _assert_422(response, "on")["detail"]


def test_attendance_for_person_outside_unit_is_422(client_for, world, unit_a1, nothing_written):
    a2_person = Person.objects.filter(household__unit__code="HS-A2").first()
    b1_person = Person.objects.filter(household__unit__code="HS-B1").first()
    path = f"/sessions/{world['session'].pk}/attendance"
    with nothing_written():
        body = _assert_422(call(client_for("officer-a"), "post", path, {"person": a2_person.pk}), "person")
        assert "not a member of a household of this unit" in body["fields"]["person"][0]
        _assert_422(call(client_for("leader-a1"), "post", path, {"person": b1_person.pk}), "person")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": "0", "measure": "kg"}, "quantity"),
        ({"quantity": "-2", "measure": "kg"}, "quantity"),
        ({"quantity": "two", "measure": "kg"}, "quantity"),
        ({"quantity": "2", "measure": "m3"}, "measure"),
        ({"quantity": "2", "measure": "kpw"}, "measure"),
    ],
)
def test_bad_delivery_is_422(client_for, world, today, body, field, nothing_written):
    with nothing_written():
        response = call(
            client_for("leader-a1"),
            "post",
            f"/shares/{world['share'].pk}/deliveries",
            body | {"delivered_on": today.isoformat()},
        )
    _assert_422(response, field)


def test_acknowledging_directive_not_addressed_is_422(make_directive, client_for, unit_a1, unit_a2, nothing_written):
    directive = make_directive(unit_a2)
    household = Household.objects.filter(unit=unit_a1).first()
    with nothing_written():
        response = call(
            client_for("officer-a"), "post", f"/directives/{directive.pk}/acknowledgements", {"household": household.pk}
        )
    assert "not addressed" in _assert_422(response, "household")["fields"]["household"][0]
    # To the leader of A1, a directive sent only to A2 does not exist.
    assert call(client_for("leader-a1"), "get", f"/directives/{directive.pk}").status_code == 404


def test_full_cycle_through_the_api_keeps_the_audit_chain(client_for, cast, unit_a1, today):
    officer, leader = client_for("officer-a"), client_for("leader-a1")
    before = AuditEntry.objects.count()

    directive = call(
        officer,
        "post",
        "/directives",
        {
            "area": "HS-A",
            "title_ko": "월동 준비",
            "title_en": "Prepare for winter",
            "text_en": "Seal windows.",
            "effective_on": today.isoformat(),
            "due_on": (today + timedelta(days=3)).isoformat(),
            "attachments": [{"title": "Guide", "url": "https://example.org/guide"}],
        },
    )
    assert directive.status_code == 201, directive.content
    directive = directive.json()
    assert directive["office"] == "HS-A-OFFICE" and directive["attachments"][0]["title"] == "Guide"
    household = Household.objects.filter(unit=unit_a1).order_by("number").first()
    ack = call(leader, "post", f"/directives/{directive['id']}/acknowledgements", {"household": household.pk})
    assert ack.status_code == 201
    stamp = call(leader, "post", f"/acknowledgements/{ack.json()['id']}/confirm")
    assert stamp.status_code == 201
    assert stamp.json()["page_url"] == f"/stamps/{stamp.json()['serial']}/" and stamp.json()["duty_kind"] == "directive"

    campaign = call(
        officer,
        "post",
        "/campaigns",
        {
            "area": "HS-A1",
            "title_en": "Street cleaning",
            "measure": "person_hours",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=5)).isoformat(),
            "rule": "working-age",
        },
    )
    assert campaign.status_code == 201, campaign.content
    campaign_id = campaign.json()["id"]
    quota = call(officer, "post", f"/campaigns/{campaign_id}/quotas", {"unit": "HS-A1", "quantity": 12})
    assert quota.status_code == 201 and quota.json()["allocated"] == "12.00"
    session = call(
        leader,
        "post",
        f"/campaigns/{campaign_id}/sessions",
        {"unit": "HS-A1", "on": today.isoformat(), "starts_at": "07:00", "ends_at": "11:00"},
    )
    assert session.status_code == 201
    shares = call(leader, "get", f"/campaigns/{campaign_id}/shares?unit=HS-A1").json()["items"]
    target = next(s for s in shares if float(s["quantity"]) > 0)
    members = Person.objects.filter(household_id=target["household"]).order_by("pk")
    sheet = call(leader, "put", f"/sessions/{session.json()['id']}/attendance", {"persons": [p.pk for p in members]})
    assert sheet.status_code == 200
    share = call(leader, "get", f"/shares/{target['id']}")
    assert share.status_code == 200
    share = share.json()
    assert share["explanation"]["rule"]["method"] == "working_age"
    # Every member attended the whole four-hour session: far more than the household's share of the 12 hours.
    assert Decimal(share["done"]) == 4 * len(members) > Decimal(share["due"]) and share["fulfilled"] is True
    assert call(leader, "post", f"/shares/{target['id']}/confirm").status_code == 201
    unattended = next(s for s in shares if s["id"] != target["id"] and Decimal(s["quantity"]) > 0)
    response = call(leader, "post", f"/shares/{unattended['id']}/confirm")
    assert response.status_code == 422 and "Not fulfilled" in response.json()["detail"]

    levy = call(
        officer,
        "post",
        "/levies",
        {
            "area": "HS-A1",
            "kind": "cash",
            "measure": "kpw",
            "title_en": "Cash for the school roof",
            "starts_on": today.isoformat(),
            "due_on": (today + timedelta(days=10)).isoformat(),
        },
    )
    assert levy.status_code == 201, levy.content
    levy = levy.json()
    levy_quota = call(officer, "post", f"/levies/{levy['id']}/quotas", {"unit": "HS-A1", "quantity": "2000"})
    assert levy_quota.status_code == 201, levy_quota.content
    assert levy_quota.json()["households"] == 4 and levy_quota.json()["allocated"] == "2000.00"
    levy_shares = call(leader, "get", f"/levies/{levy['id']}/shares?unit=HS-A1")
    assert levy_shares.status_code == 200
    levy_share = levy_shares.json()["items"][0]
    delivery = call(
        leader,
        "post",
        f"/shares/{levy_share['id']}/deliveries",
        {"quantity": levy_share["quantity"], "measure": "kpw", "delivered_on": today.isoformat(), "receiver": "박순희"},
    )
    assert delivery.status_code == 201 and delivery.json()["receipt_url"].endswith("/receipt/")
    assert call(leader, "post", f"/shares/{levy_share['id']}/confirm").status_code == 201
    # The last household's share of the campaign is more than the half hour waived.
    assert Decimal(shares[-1]["quantity"]) > Decimal("0.5")
    waiver = call(
        leader, "post", f"/shares/{shares[-1]['id']}/waivers", {"reason": "Sick child at home", "quantity": "0.5"}
    )
    assert waiver.status_code == 201, waiver.content
    decided = call(officer, "post", f"/waivers/{waiver.json()['id']}/decide", {"approve": True})
    assert decided.status_code == 200 and decided.json()["status"] == "approved"

    day = call(leader, "get", "/day")
    assert day.status_code == 200 and day.json()["unit"] == "HS-A1"
    progress = call(officer, "get", f"/levies/{levy['id']}/progress")
    assert progress.status_code == 200 and progress.json()["units"][0]["confirmed"] == 1

    assert AuditEntry.objects.count() > before + 8
    assert DirectiveAcknowledgement.objects.get(pk=ack.json()["id"]).stamp_serial
    assert audit_verify().ok


def test_confirming_answers_the_stamp_as_documented(client_for, cast, world, today):
    """Both confirmations answer the whole stamp they issued: what their schema promises, as GET /stamps/{serial}."""
    leader = client_for("leader-a1")
    share = world["share"]
    services.delivery_record(
        actor=cast["leader-a1"], share=share, quantity=share.quantity, measure="kg", delivered_on=today
    )
    ack = services.directive_acknowledge(
        actor=cast["leader-a1"], directive=world["directive"], household=share.household
    )
    document = leader.get(f"{API}/openapi.json").json()
    for template, path, kind in [
        ("/shares/{share_id}/confirm", f"/shares/{share.pk}/confirm", "levy"),
        ("/acknowledgements/{ack_id}/confirm", f"/acknowledgements/{ack.pk}/confirm", "directive"),
    ]:
        created = document["paths"][API + template]["post"]["responses"]["201"]["content"]["application/json"]
        documented = document["components"]["schemas"][created["schema"]["$ref"].rsplit("/", 1)[-1]]
        response = call(leader, "post", path)
        assert response.status_code == 201, response.content
        stamp = response.json()
        assert set(stamp) == set(documented["properties"]) == set(documented["required"])
        assert stamp["duty_kind"] == kind and stamp["household"] == share.household_id
        assert stamp == call(leader, "get", f"/stamps/{stamp['serial']}").json()


def test_openapi_lists_the_duties_tags(client_for):
    schema = client_for("officer-a").get(f"{API}/openapi.json").json()
    tags = {tag for operation in schema["paths"].values() for op in operation.values() for tag in op.get("tags", [])}
    assert {"directives", "campaigns", "levies", "shares", "duties"} <= tags


@pytest.mark.parametrize("starts_at", ["08:00+01:00", "25:00", "8", 800, "08:00:00Z"])
def test_session_time_must_be_a_plain_clock_time(client_for, world, today, starts_at, nothing_written):
    with nothing_written():
        response = call(
            client_for("leader-a1"),
            "post",
            f"/campaigns/{world['campaign'].pk}/sessions",
            {"unit": "HS-A1", "on": today.isoformat(), "starts_at": starts_at, "ends_at": "12:00"},
        )
    assert "A time is written HH:MM." in _assert_422(response, "starts_at")["fields"]["starts_at"]
