"""The web pages: who may see and do what, and that bad input comes back as a form error with nothing written."""

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from inminban.duties import selectors, services
from inminban.duties.models import Attendance, Delivery, Directive, DirectiveAcknowledgement, Quota
from inminban.registry.models import Household, Person


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


@pytest.fixture
def world(make_directive, make_campaign, make_levy, make_session, cast, unit_a1, unit_b1, office_b, equal_rule, today):
    """A directive, a campaign with a session and a levy in A1, and a directive and a levy in B1."""
    directive = make_directive(unit_a1.parent)
    campaign = make_campaign(unit_a1.parent)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    session = make_session(campaign, unit_a1)
    levy = make_levy(unit_a1.parent)
    levy_quota = services.quota_set(actor=cast["officer-a"], obligation=levy, unit=unit_a1, quantity="40")
    directive_b = make_directive(unit_b1, actor=cast["officer-b"], office=office_b)
    levy_b = make_levy(unit_b1, actor=cast["officer-b"], office=office_b)
    quota_b = services.quota_set(actor=cast["officer-b"], obligation=levy_b, unit=unit_b1, quantity="8")
    return {
        "directive": directive,
        "campaign": campaign,
        "session": session,
        "levy": levy,
        "share": levy_quota.shares.order_by("household__number").first(),
        "directive_b": directive_b,
        "levy_b": levy_b,
        "share_b": quota_b.shares.first(),
    }


def _own_household(cast):
    return cast["resident-a1"].role_assignments.get(role="resident").person.household


def test_anonymous_is_sent_to_log_in(client_for, world):
    client = client_for(None)
    for url in ["/day/", "/duties/", f"/directives/{world['directive'].pk}/", f"/shares/{world['share'].pk}/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    "path",
    [
        "/directives/{directive_b}/",
        "/levies/{levy_b}/",
        "/levies/{levy_b}/units/HS-B1/",
        "/campaigns/{campaign}/units/HS-B1/",
        "/shares/{share_b}/",
    ],
)
def test_leader_a1_gets_404_for_unit_b1(client_for, world, path):
    url = path.format(**{key: getattr(value, "pk", None) for key, value in world.items()})
    assert client_for("leader-a1").get(url).status_code == 404


def test_pages_render_for_the_people_who_use_them(client_for, world, unit_a1):
    leader, officer = client_for("leader-a1"), client_for("officer-a")
    day = leader.get("/day/")
    assert day.status_code == 200
    assert world["directive"].title_en in day.content.decode()
    dashboard = officer.get("/duties/")
    assert dashboard.status_code == 200 and b"<svg" in dashboard.content
    for url in [
        f"/directives/{world['directive'].pk}/?unit=HS-A1",
        f"/campaigns/{world['campaign'].pk}/",
        f"/campaigns/{world['campaign'].pk}/units/HS-A1/",
        f"/levies/{world['levy'].pk}/",
        f"/levies/{world['levy'].pk}/units/HS-A1/",
        f"/sessions/{world['session'].pk}/",
        f"/shares/{world['share'].pk}/",
        "/duties/waivers/",
        "/directives/new/",
        "/campaigns/new/",
        "/levies/new/",
    ]:
        assert officer.get(url).status_code == 200, url
    assert leader.get("/duties/exemptions/").status_code == 200
    assert client_for("auditor").get(f"/levies/{world['levy'].pk}/units/HS-A1/").status_code == 200


def test_auditor_reads_but_cannot_write(client_for, world, nothing_written):
    auditor = client_for("auditor")
    household = Household.objects.filter(unit__code="HS-A1").first()
    with nothing_written():
        assert auditor.get("/directives/new/").status_code == 403
        assert auditor.post("/campaigns/new/", {}).status_code == 403
        response = auditor.post(f"/directives/{world['directive'].pk}/acknowledge/", {"household": household.pk})
        assert response.status_code == 403
        assert auditor.post(f"/shares/{world['share'].pk}/confirm/").status_code == 403
        assert auditor.get("/duties/exemptions/").status_code == 403


def test_leader_acknowledges_with_one_tap(client_for, world):
    household = Household.objects.filter(unit__code="HS-A1").order_by("number").first()
    response = client_for("leader-a1").post(
        f"/directives/{world['directive'].pk}/acknowledge/",
        {"household": household.pk, "next": f"/directives/{world['directive'].pk}/?unit=HS-A1"},
        follow=True,
    )
    assert response.status_code == 200
    assert DirectiveAcknowledgement.objects.filter(directive=world["directive"], household=household).exists()
    assert f"Household {household.number} acknowledged" in response.content.decode()


def test_leader_of_b1_cannot_acknowledge_in_a1(client_for, world, nothing_written):
    household = Household.objects.filter(unit__code="HS-A1").first()
    with nothing_written():
        response = client_for("leader-b1").post(
            f"/directives/{world['directive'].pk}/acknowledge/", {"household": household.pk}
        )
    assert response.status_code == 404


def test_resident_sees_and_acknowledges_only_own_household(client_for, cast, world, nothing_written):
    resident = client_for("resident-a1")
    own = _own_household(cast)
    page = resident.get(f"/directives/{world['directive'].pk}/")
    assert page.status_code == 200 and "We have read it" in page.content.decode()
    response = resident.post(f"/directives/{world['directive'].pk}/acknowledge/", {"household": own.pk})
    assert response.status_code == 302
    ack = DirectiveAcknowledgement.objects.get(directive=world["directive"], household=own)
    assert ack.channel == "resident"
    neighbour = Household.objects.filter(unit=own.unit).exclude(pk=own.pk).first()
    with nothing_written():
        response = resident.post(f"/directives/{world['directive'].pk}/acknowledge/", {"household": neighbour.pk})
    assert response.status_code == 404
    own_share = world["levy"].quotas.get().shares.get(household=own)
    other_share = world["levy"].quotas.get().shares.exclude(household=own).first()
    assert resident.get(f"/shares/{own_share.pk}/").status_code == 200
    assert resident.get(f"/shares/{other_share.pk}/").status_code == 404
    assert resident.get("/duties/exemptions/").status_code == 403


def test_officer_issues_a_directive_from_the_form(client_for, unit_a1, today):
    response = client_for("officer-a").post(
        "/directives/new/",
        {
            "area": unit_a1.pk,
            "title_ko": "봄철 위생월간",
            "title_en": "Spring hygiene month",
            "text_ko": "집 주변을 청소하십시오.",
            "effective_on": today.isoformat(),
            "due_on": (today + timedelta(days=5)).isoformat(),
            "requires_ack": "on",
            "attachments": "Order | https://example.org/order.pdf",
        },
    )
    directive = Directive.objects.get(title_en="Spring hygiene month")
    assert response.status_code == 302 and response["Location"] == f"/directives/{directive.pk}/"
    assert directive.office.code == "HS-A-OFFICE" and directive.attachments.get().title == "Order"


def test_bad_directive_form_shows_the_field_error(client_for, unit_a1, today, nothing_written):
    with nothing_written():
        response = client_for("officer-a").post(
            "/directives/new/",
            {"area": unit_a1.pk, "title_en": "No text", "effective_on": today.isoformat(), "requires_ack": "on"},
        )
    assert response.status_code == 422
    assert "The text in Korean or English is required." in response.content.decode()


@pytest.mark.parametrize(("quantity", "message"), [("abc", "A number is required."), ("-4", "cannot be negative")])
def test_bad_quota_form_writes_nothing(client_for, world, unit_a1, quantity, message, nothing_written):
    campaign = world["campaign"]
    with nothing_written():
        response = client_for("officer-a").post(
            f"/campaigns/{campaign.pk}/", {"form": "quota", "quota-unit": unit_a1.pk, "quota-quantity": quantity}
        )
    assert response.status_code == 422
    assert message in response.content.decode()


def test_quota_form_allocates(client_for, world, unit_a1):
    campaign = world["campaign"]
    response = client_for("officer-a").post(
        f"/campaigns/{campaign.pk}/", {"form": "quota", "quota-unit": unit_a1.pk, "quota-quantity": "20"}
    )
    assert response.status_code == 302
    assert Quota.objects.get(campaign=campaign, unit=unit_a1).quantity == 20


def test_session_outside_campaign_form_error(client_for, world, unit_a1, today, nothing_written):
    campaign = world["campaign"]
    with nothing_written():
        response = client_for("leader-a1").post(
            f"/campaigns/{campaign.pk}/",
            {
                "form": "session",
                "session-unit": unit_a1.pk,
                "session-on": (campaign.ends_on + timedelta(days=1)).isoformat(),
                "session-starts_at": "08:00",
                "session-ends_at": "11:00",
            },
        )
    assert response.status_code == 422
    assert "within the campaign" in response.content.decode()


def test_attendance_sheet_checkboxes(client_for, world, unit_a1, unit_b1, nothing_written):
    session = world["session"]
    persons = list(Person.objects.filter(household__unit=unit_a1).order_by("pk")[:2])
    client = client_for("leader-a1")
    response = client.post(f"/sessions/{session.pk}/", {"person": [p.pk for p in persons]})
    assert response.status_code == 302
    assert set(Attendance.objects.filter(session=session).values_list("person_id", flat=True)) == {
        p.pk for p in persons
    }
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert f'value="{persons[0].pk}" checked' in page
    outsider = Person.objects.filter(household__unit=unit_b1).first()
    with nothing_written():
        response = client.post(f"/sessions/{session.pk}/", {"person": [persons[0].pk, outsider.pk]})
    assert response.status_code == 422


def test_delivery_form_then_printable_receipt(client_for, cast, world, today, nothing_written):
    share = world["share"]
    assert share.household == _own_household(cast)  # so resident-a1 may read its receipt
    client = client_for("leader-a1")
    with nothing_written():
        response = client.post(
            f"/shares/{share.pk}/",
            {"form": "delivery", "delivery-quantity": "2", "delivery-measure": "m3", "delivery-delivered_on": today},
        )
        assert response.status_code == 422 and "counted in kilograms" in response.content.decode()
        response = client.post(
            f"/shares/{share.pk}/",
            {"form": "delivery", "delivery-quantity": "0", "delivery-measure": "kg", "delivery-delivered_on": today},
        )
        assert response.status_code == 422 and "more than zero" in response.content.decode()
    response = client.post(
        f"/shares/{share.pk}/",
        {"form": "delivery", "delivery-quantity": "2.5", "delivery-measure": "kg", "delivery-delivered_on": today},
    )
    delivery = Delivery.objects.get(share=share)
    assert response.status_code == 302 and response["Location"] == f"/deliveries/{delivery.pk}/receipt/"
    receipt = client.get(response["Location"]).content.decode()
    assert delivery.receipt_number in receipt and "2.5 kg" in receipt
    assert client_for("leader-b1").get(f"/deliveries/{delivery.pk}/receipt/").status_code == 404
    own = client_for("resident-a1").get(f"/deliveries/{delivery.pk}/receipt/")
    assert own.status_code == 200
    assert delivery.receipt_number in own.content.decode()


def test_confirm_button_issues_a_stamp(client_for, world, today):
    share = world["share"]
    services.delivery_record(
        actor=world["levy"].created_by, share=share, quantity=share.quantity, measure="kg", delivered_on=today
    )
    response = client_for("leader-a1").post(f"/shares/{share.pk}/confirm/")
    share.refresh_from_db()
    assert share.stamp_serial
    assert response.status_code == 302 and response["Location"] == f"/stamps/{share.stamp_serial}/"


def test_waiver_request_and_decision(client_for, world):
    share = world["share"]
    response = client_for("leader-a1").post(
        f"/shares/{share.pk}/", {"form": "waiver", "waiver-quantity": "", "waiver-reason": "House burned down"}
    )
    assert response.status_code == 302
    waiver = share.waivers.get()
    assert client_for("leader-a1").post(f"/waivers/{waiver.pk}/decide/", {"decision": "approve"}).status_code == 403
    response = client_for("officer-a").post(f"/waivers/{waiver.pk}/decide/", {"decision": "approve", "note": "ok"})
    assert response.status_code == 302
    share.refresh_from_db()
    assert share.waived == share.quantity


def test_household_include_shows_duties_and_hides_exemptions(cast, world, rf: RequestFactory, today):
    own = _own_household(cast)
    member = Person.objects.filter(household=own).first()
    services.exemption_record(actor=cast["leader-a1"], person=member, reason="pregnancy", since=today)
    request = rf.get(f"/households/{own.pk}/")
    request.user = cast["resident-a1"]
    html = render_to_string(
        "duties/_household_duties.html",
        {"household_duties": selectors.household_duties(actor=cast["resident-a1"], household=own)},
        request=request,
    )
    assert world["directive"].title_en in html and world["levy"].title_en in html
    assert "Pregnancy" not in html and "pregnancy" not in html
    assert not selectors.exemptions_visible(actor=cast["resident-a1"]).exists()
    assert not selectors.exemptions_visible(actor=cast["auditor"]).exists()
    assert selectors.exemptions_visible(actor=cast["leader-a1"]).filter(person=member).count() == 1
    assert not selectors.exemptions_visible(actor=cast["leader-b1"]).filter(person=member).exists()
