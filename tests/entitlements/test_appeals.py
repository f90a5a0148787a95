"""Appeals through the public API: a denied household (its resident, or its unit leader on its behalf) appeals, the
program's office decides by the deadline; upheld, the household is granted what the cycle's norms give it (with a
voucher, the cycle's totals and tally following) or its clearance; rejected, the denial stands with the reason."""

# ruff: noqa: F811 - the fixtures imported from clearance_world are named as arguments

import base64
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db.models import Sum
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.common.errors import DomainError
from inminban.entitlements import appeals, services
from inminban.entitlements.models import Appeal, Clearance, Cycle, CycleTally, Entitlement
from inminban.stamps.documents import export_documents
from inminban.stamps.models import Stamp
from inminban.stamps.offline import verifier_from_directory

from .clearance_world import (  # noqa: F401 - fixtures
    child_in,
    clerks,
    later,
    other_household,
    own_household,
    resident_of,
    school,
    unchanged,
)
from .conftest import call, fields_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def approved(street_ration, cast, checker) -> Cycle:
    """This month's ration, computed and approved: its vouchers are issued; the unstamped households are denied."""
    start = timezone.localdate().replace(day=1)
    cycle = services.cycle_create(actor=cast["officer-a"], program=street_ration, period_start=start)
    services.cycle_generate(actor=cast["officer-a"], cycle=cycle)
    return services.cycle_approve(actor=checker, cycle=cycle)


@pytest.fixture
def denial(approved, other_household) -> Entitlement:
    row = Entitlement.objects.get(cycle=approved, household=other_household)
    assert not row.eligible and row.voucher_id is None
    return row


@pytest.fixture
def denied_resident(cast, other_household):
    return resident_of(cast, other_household, "t-resident-other")


def _file(client, denial, reason="We worked at the street cleaning; the leader was ill that day.", **extra):
    return call(client, "POST", "/appeals", {"entitlement": denial.pk, "reason": reason, **extra})


def _tally_matches(cycle: Cycle) -> None:
    cycle.refresh_from_db()
    tallies = CycleTally.objects.filter(cycle=cycle)
    assert tallies.filter(eligible=True).aggregate(n=Sum("households"))["n"] == cycle.entitled
    assert tallies.filter(eligible=False).aggregate(n=Sum("households"))["n"] == cycle.denied
    assert tallies.aggregate(q=Sum("quantity"))["q"] == cycle.total_quantity
    rows = Entitlement.objects.filter(cycle=cycle)
    assert rows.filter(eligible=True).count() == cycle.entitled
    assert rows.aggregate(q=Sum("quantity"))["q"] == cycle.total_quantity


def test_resident_appeals_and_the_upheld_appeal_grants_the_ration_with_a_voucher(
    bearer, denial, denied_resident, approved, tmp_path
):
    before = Cycle.objects.get(pk=approved.pk)
    filed = _file(bearer(denied_resident), denial, attachment=base64.b64encode(PNG).decode(), attachment_name="x.png")
    assert filed.status_code == 201, filed.content
    body = filed.json()
    assert body["status"] == "open" and body["entitlement"] == denial.pk and body["attachment_name"] == "x.png"
    assert body["due_on"] == (timezone.localdate() + timedelta(days=14)).isoformat() and body["overdue"] is False
    appeal = Appeal.objects.get(pk=body["id"])
    assert appeal.attachment.name.endswith(".png") and appeal.attachment.read() == PNG
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "appeal.file" and entry.after["entitlement"] == denial.pk

    queue = call(bearer("officer-a"), "GET", "/appeals?queue=true").json()
    assert [item["id"] for item in queue["items"]] == [appeal.pk]

    decided = call(
        bearer("officer-a"), "POST", f"/appeals/{appeal.pk}/decide", {"upheld": True, "decision": "Confirmed."}
    )
    assert decided.status_code == 200, decided.content
    result = decided.json()
    denial.refresh_from_db()
    assert result["status"] == "upheld" and result["decision"] == "Confirmed."
    assert denial.eligible and denial.appeal_id == appeal.pk and denial.quantity > 0
    assert denial.quantity == appeals.amount_for(approved, denial)
    norms = approved.snapshot["version"]["norms"]
    daily = sum(norms[int(m.rstrip("*").split(":")[1])]["amount"] for m in denial.members.split(";") if m)
    assert denial.quantity == daily * approved.days
    assert result["quantity"] == denial.quantity and result["voucher"] == str(denial.voucher.serial)
    voucher = denial.voucher
    assert voucher.duty_kind == "voucher" and voucher.duty_ref == f"cycle:{approved.pk}"
    cycle = Cycle.objects.get(pk=approved.pk)
    assert (cycle.entitled, cycle.denied) == (before.entitled + 1, before.denied - 1)
    assert cycle.total_quantity == before.total_quantity + denial.quantity
    _tally_matches(cycle)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "appeal.uphold" and entry.before == {"status": "open"}
    assert Decimal(str(entry.after["quantity"])) * 1000 == denial.quantity and entry.after["measure"] == "kg"
    assert entry.after["voucher"] == str(voucher.serial)

    from inminban.stamps.services import stamp_encoded

    export_documents(tmp_path / "docs")
    assert verifier_from_directory(tmp_path / "docs").verify(stamp_encoded(voucher)).ok

    # The resident sees the decision, on the appeal and among the household's appeals.
    mine = call(bearer(denied_resident), "GET", f"/households/{denial.household_id}/appeals").json()
    assert [(a["id"], a["status"], a["decision"]) for a in mine] == [(appeal.pk, "upheld", "Confirmed.")]


def test_a_rejected_appeal_keeps_the_denial_and_says_why(bearer, denial, denied_resident, approved):
    appeal_id = _file(bearer(denied_resident), denial).json()["id"]
    before = Cycle.objects.get(pk=approved.pk)
    decided = call(
        bearer("officer-a"), "POST", f"/appeals/{appeal_id}/decide", {"upheld": False, "decision": "No record."}
    )
    assert decided.status_code == 200 and decided.json()["status"] == "rejected"
    assert decided.json()["quantity"] is None and decided.json()["voucher"] is None
    denial.refresh_from_db()
    assert not denial.eligible and denial.quantity == 0 and denial.voucher_id is None and denial.appeal_id is None
    cycle = Cycle.objects.get(pk=approved.pk)
    assert (cycle.entitled, cycle.denied, cycle.total_quantity) == (
        before.entitled,
        before.denied,
        before.total_quantity,
    )
    assert AuditEntry.objects.order_by("-seq").first().action == "appeal.reject"
    seen = call(bearer(denied_resident), "GET", f"/appeals/{appeal_id}").json()
    assert seen["decision"] == "No record." and seen["decided_by"] == "officer-a"
    # Once rejected, the household may appeal again (with something new to say).
    assert _file(bearer(denied_resident), denial).status_code == 201


def test_a_second_open_appeal_is_refused(bearer, denial, denied_resident, unchanged):
    client = bearer(denied_resident)
    assert _file(client, denial).status_code == 201
    leader = bearer("leader-a1")
    with unchanged():
        assert "entitlement" in fields_of(_file(client, denial))
        assert "entitlement" in fields_of(_file(leader, denial))


def test_the_leader_may_appeal_on_the_households_behalf(bearer, denial):
    response = _file(bearer("leader-a1"), denial)
    assert response.status_code == 201 and response.json()["filed_by"] == "leader-a1"


def test_a_leader_of_another_unit_cannot_appeal(bearer, denial, unchanged):
    client = bearer("leader-b1")
    with unchanged():
        assert "entitlement" in fields_of(_file(client, denial))


@pytest.mark.parametrize("username", ["officer-a", "auditor"])
def test_officers_and_auditors_do_not_file_appeals(username, bearer, denial, unchanged):
    client = bearer(username)
    with unchanged():
        fields_of(_file(client, denial), 403)


def test_bad_appeals_name_the_field_and_write_nothing(
    bearer, denial, denied_resident, approved, own_household, unchanged
):
    client = bearer(denied_resident)
    entitled = Entitlement.objects.get(cycle=approved, household=own_household)
    leader = bearer("leader-a1")
    cases = [
        (client, {"entitlement": denial.pk}, "reason"),
        (client, {"entitlement": denial.pk, "reason": ""}, "reason"),
        (client, {"entitlement": denial.pk, "reason": "   "}, "reason"),
        (client, {"entitlement": denial.pk, "reason": "x" * 2001}, "reason"),
        (client, {"reason": "Please"}, "entitlement"),
        (client, {"entitlement": denial.pk, "clearance": 1, "reason": "Please"}, "entitlement"),
        (client, {"entitlement": "1", "reason": "Please"}, "entitlement"),
        (client, {"entitlement": 10**12, "reason": "Please"}, "entitlement"),
        (leader, {"entitlement": entitled.pk, "reason": "Please"}, "entitlement"),
        (client, {"entitlement": denial.pk, "reason": "Please", "attachment": "not base64!"}, "attachment"),
        (
            client,
            {"entitlement": denial.pk, "reason": "Please", "attachment": base64.b64encode(b"MZ..").decode()},
            "attachment",
        ),
        (client, {"entitlement": denial.pk, "reason": "Please", "attachment_name": "a.pdf"}, "attachment"),
    ]
    with unchanged():
        for who, body, field in cases:
            assert field in fields_of(call(who, "POST", "/appeals", body)), body


def test_an_attachment_over_two_megabytes_is_refused(denial, denied_resident, unchanged):
    big = ContentFile(b"%PDF-" + b"0" * (2 * 1024 * 1024), name="big.pdf")
    with unchanged(), pytest.raises(DomainError) as refused:
        appeals.appeal_file(actor=denied_resident, entitlement=denial, reason="Please", attachment=big)
    assert refused.value.field == "attachment"


def test_decisions_are_for_the_programs_office_and_only_once(bearer, denial, denied_resident, unchanged):
    appeal_id = _file(bearer(denied_resident), denial).json()["id"]
    path = f"/appeals/{appeal_id}/decide"
    decision = {"upheld": True, "decision": "Yes."}
    clients = {name: bearer(name) for name in ("officer-a", "officer-b", "leader-a1", "auditor")}
    resident = bearer(denied_resident)
    with unchanged():
        fields_of(call(clients["officer-b"], "POST", path, decision), 404)
        fields_of(call(clients["leader-a1"], "POST", path, decision), 403)
        fields_of(call(clients["auditor"], "POST", path, decision), 403)
        fields_of(call(resident, "POST", path, decision), 403)
        assert "decision" in fields_of(call(clients["officer-a"], "POST", path, {"upheld": True, "decision": ""}))
        assert "decision" in fields_of(call(clients["officer-a"], "POST", path, {"upheld": True, "decision": " "}))
        assert "upheld" in fields_of(call(clients["officer-a"], "POST", path, {"upheld": "yes", "decision": "Y"}))
    assert call(clients["officer-a"], "POST", path, {"upheld": False, "decision": "No."}).status_code == 200
    with unchanged():
        assert "status" in fields_of(call(clients["officer-a"], "POST", path, decision))


def test_the_queue_puts_the_nearest_deadline_first_and_flags_the_overdue(bearer, denial, denied_resident, cast):
    first = _file(bearer(denied_resident), denial).json()["id"]
    Appeal.objects.filter(pk=first).update(due_on=timezone.localdate() - timedelta(days=1))
    queue = call(bearer("officer-a"), "GET", "/appeals?queue=true&status=open").json()["items"]
    assert queue[0]["id"] == first and queue[0]["overdue"] is True
    assert call(bearer("officer-b"), "GET", "/appeals?queue=true").json()["count"] == 0
    assert call(bearer("leader-b1"), "GET", f"/appeals/{first}").status_code == 404


def test_an_upheld_appeal_issues_the_refused_clearance_with_the_decision_as_its_reason(
    bearer, clerks, school, other_household, cast, tmp_path
):
    child = child_in(other_household)
    denied = call(
        bearer(clerks["school-a"]), "POST", "/clearances", {"program": school.pk, "person": child.pk, "on": later()}
    )
    clearance_id = denied.json()["id"]
    assert denied.json()["granted"] is False
    leader = bearer("leader-a1")
    filed = call(leader, "POST", "/appeals", {"clearance": clearance_id, "reason": "The stamp was lost."})
    assert filed.status_code == 201, filed.content
    decision = "The campaign's attendance sheet shows the household worked."
    decided = call(
        bearer("officer-a"), "POST", f"/appeals/{filed.json()['id']}/decide", {"upheld": True, "decision": decision}
    )
    assert decided.status_code == 200, decided.content
    clearance = Clearance.objects.get(pk=clearance_id)
    assert clearance.granted and clearance.appeal_id == filed.json()["id"] and clearance.outcomes == "YN"
    assert clearance.appeal.decision == decision
    stamp = Stamp.objects.get(pk=clearance.stamp_id)
    assert decided.json()["stamp"] == str(stamp.serial) and stamp.person_id == child.pk
    shown = call(leader, "GET", f"/clearances/{clearance_id}").json()
    assert shown["granted"] and shown["appeal"] == filed.json()["id"]
    export_documents(tmp_path / "docs")
    assert verifier_from_directory(tmp_path / "docs").verify(shown["stamp_text"]).ok
    with pytest.raises(DomainError):  # granted now: nothing left to appeal
        appeals.appeal_file(actor=cast["leader-a1"], clearance=clearance, reason="Again")
