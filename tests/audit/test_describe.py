"""Audit entries as sentences: every action the code can write reads as a translated sentence, with translated
field labels, references by name (linked only where the viewer may open them), unchanged fields left out."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone, translation

from inminban.areas.models import Office
from inminban.audit.describe import ACTIONS, FIELD_LABELS, describe, describe_entries
from inminban.audit.models import AuditEntry
from inminban.duties.models import Campaign, Directive, Levy, Share, Waiver
from inminban.entitlements.models import Counter, Cycle, Program
from inminban.registry.models import Dwelling, Person
from inminban.stamps.models import SigningKey, Stamp

SOURCE = Path(__file__).resolve().parents[2] / "src" / "inminban"

# Actions written with an f-string: the f-string as it stands in the source, and the actions it can make. A new
# f-string action fails the test below until it is listed here (and described in ACTIONS).
COMPUTED_ACTIONS = {
    'f"{model._meta.model_name}.{STANDING_ACTIONS[standing]}"': {
        f"{kind}.{verb}" for kind in ("campaign", "levy") for verb in ("suspend", "cancel", "resume")
    },
    'f"waiver.{waiver.status}"': {"waiver.approved", "waiver.rejected"},
    'f"person.{status}"': {"person.moved_away", "person.deceased"},
}

LITERAL = re.compile(r'\baction=\s*"([a-z_]+\.[a-z_]+)"|\b_audit\(\s*\w+,\s*"([a-z_]+\.[a-z_]+)"')
COMPUTED = re.compile(r'\baction=\s*(f"[^"]+")|\b_audit\(\s*\w+,\s*(f"[^"]+")')


def actions_in_source() -> set[str]:
    """Every action a service can write, read from the code: `audit_record(action="…")`, the apps' `_audit(actor,
    "…")` wrappers, and the f-string actions expanded by COMPUTED_ACTIONS."""
    found = set()
    for path in SOURCE.rglob("*.py"):
        if "migrations" in path.parts or path.parent.name == "audit" and path.name == "describe.py":
            continue
        text = path.read_text(encoding="utf-8")
        for match in LITERAL.finditer(text):
            found.add(match.group(1) or match.group(2))
        for match in COMPUTED.finditer(text):
            fstring = match.group(1) or match.group(2)
            assert fstring in COMPUTED_ACTIONS, f"{path.name}: list what {fstring} can be in COMPUTED_ACTIONS"
            found |= COMPUTED_ACTIONS[fstring]
    return found


def test_the_source_scan_finds_the_actions_it_should():
    found = actions_in_source()
    # One of each way of writing an action: a literal, an app wrapper, an f-string, a keyword passed on.
    assert {"stamp.issue", "share.confirm", "household.register", "levy.suspend", "cycle.approve"} <= found
    assert len(found) > 60


def test_every_action_the_code_writes_has_a_description():
    missing = actions_in_source() - set(ACTIONS)
    assert not missing, f"describe these actions in audit/describe.py ACTIONS: {sorted(missing)}"


# Rendering every action -------------------------------------------------------------------------------------------

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
DOTTED_CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _samples(cast) -> dict[str, AuditEntry]:
    """An entry for each action, shaped as its service writes it, about real records of the demo city. Used where
    the test database has no entry of that action (the demo writes only some)."""
    person = Person.objects.filter(household__unit__code="HS-A1").order_by("pk").first()
    household = person.household
    campaign, levy = Campaign.objects.order_by("pk").first(), Levy.objects.order_by("pk").first()
    directive = Directive.objects.order_by("pk").first()
    share = Share.objects.filter(household=household).order_by("pk").first()
    waiver = Waiver.objects.order_by("pk").first()
    stamp = Stamp.objects.order_by("pk").first()
    key = SigningKey.objects.order_by("pk").first()
    program, cycle = Program.objects.order_by("pk").first(), Cycle.objects.order_by("pk").first()
    dwelling = Dwelling.objects.filter(unit=household.unit).order_by("pk").first()
    membership = person.memberships.order_by("pk").first()
    job = person.occupations.order_by("pk").first()
    user = cast["leader-a1"]
    today = timezone.localdate().isoformat()

    def entry(action, target, before=None, after=None, target_type=None, household_id=None):
        return AuditEntry(
            seq=0,
            at=timezone.now(),
            actor=cast["officer-a"],
            actor_name="officer-a",
            action=action,
            target_type=target_type or target._meta.label_lower,
            target_id=str(target.pk),
            target_repr=str(target),
            area_path=household.unit.path,
            household_id=household_id,
            before=before,
            after=after,
            origin={},
            prev_hash="0" * 64,
            hash="0" * 64,
        )

    standing = {"standing": "suspended", "standing_reason": "홍수"}
    counter = Counter.objects.filter(code="T-C1").first() or Counter.objects.create(
        office=Office.objects.get(area=household.unit.parent),
        area=household.unit.parent,
        code="T-C1",
        name_ko="성후동 식량공급소",
        name_en="Songhu-dong distribution centre",
        created_by=user,
        created_at=timezone.now(),
    )
    handed = {
        "uid": "6f1c2b9e-2d7a-4c1e-9a0b-5d7f3e2c1a00",
        "voucher": str(stamp.serial),
        "cycle": cycle.pk,
        "counter": counter.pk,
        "handed": "3.5",
        "measure": "kg",
        "handed_at": timezone.now().isoformat(),
        "offline": True,
        "status": "conflict",
        "excess": "1.5",
    }
    return {
        "cycle.vouchers_issue": entry("cycle.vouchers_issue", cycle, None, {"vouchers": 12, "valid_until": today}),
        "cycle.vouchers_expire": entry("cycle.vouchers_expire", cycle, None, {"vouchers": 3}),
        "counter.create": entry("counter.create", counter, None, {
            "office": counter.office_id, "area": counter.area_id, "code": "T-C1", "name_ko": counter.name_ko,
            "name_en": counter.name_en, "address": "중심거리 12", "opening_hours": "월–토 08:00–13:00",
            "active": True}),
        "counter.clerk_assign": entry("counter.clerk_assign", counter, None, {
            "user": user.pk, "counter": counter.pk, "assignment": 1}),
        "redemption.record": entry("redemption.record", household, None, {**handed, "offline": False,
            "status": "accepted", "excess": "0"}, target_type="entitlements.redemption", household_id=household.pk),
        "redemption.upload": entry("redemption.upload", household, None, handed,
            target_type="entitlements.redemption", household_id=household.pk),
        "clearance.grant": entry("clearance.grant", household, None, {
            "program": program.pk, "person": person.pk, "household": household.pk, "on": today, "granted": True,
            "outcomes": "YS", "stamp": str(stamp.serial)}, target_type="entitlements.clearance",
            household_id=household.pk),
        "clearance.deny": entry("clearance.deny", household, None, {
            "program": program.pk, "person": person.pk, "household": household.pk, "on": today, "granted": False,
            "outcomes": "YN", "missing": ["거리 청소 확인도장이 없음"]}, target_type="entitlements.clearance",
            household_id=household.pk),
        "appeal.file": entry("appeal.file", household, None, {
            "program": program.pk, "household": household.pk, "entitlement": 1, "reason": "입원 중이었음",
            "attachment": "진단서.pdf", "due_on": today}, target_type="entitlements.appeal", household_id=household.pk),
        "appeal.uphold": entry("appeal.uphold", household, {"status": "open"}, {
            "status": "upheld", "decision": "입원 기록 확인", "program": program.pk, "entitlement": 1,
            "eligible": True},
            target_type="entitlements.appeal", household_id=household.pk),
        "appeal.reject": entry("appeal.reject", household, {"status": "open"}, {
            "status": "rejected", "decision": "기한 내 몫을 채우지 않음", "program": program.pk},
            target_type="entitlements.appeal", household_id=household.pk),
        "redemption.settle": entry("redemption.settle", household, {"status": "accepted", "excess": "0"}, {
            "status": "conflict", "excess": "1.5", "conflict_with": None, "counter": counter.pk},
            target_type="entitlements.redemption", household_id=household.pk),
        "redemption.resolve": entry("redemption.resolve", household, {"status": "conflict"}, {
            "status": "resolved", "resolution": "다음 달 배급에서 덜어냄"}, target_type="entitlements.redemption",
            household_id=household.pk),
        "dwelling.update": entry("dwelling.update", dwelling, {"address": "옛 주소", "kind": "row"}, {
            "address": "새 주소", "kind": "apartment"}),
        "household.set_head": entry(
            "household.set_head", household, {"head": household.head_id}, {"head": person.pk}, household_id=household.pk
        ),
        "household.move": entry("household.move", household, {"unit": household.unit_id, "dwelling": dwelling.pk}, {
            "unit": household.unit_id, "dwelling": dwelling.pk, "on": today}, household_id=household.pk),
        "move.update": entry("move.update", household, {"on": "2026-01-01"}, {"on": today}, household_id=household.pk),
        "person.update": entry("person.update", person, {"given_name": "옛이름", "sex": "F"}, {
            "given_name": person.given_name, "sex": "F"}, household_id=household.pk),
        "person.move": entry("person.move", person, {"household": household.pk}, {
            "household": household.pk, "relation": "child", "on": today}, household_id=household.pk),
        "person.moved_away": entry("person.moved_away", person, {"status": "resident"}, {
            "status": "moved_away", "on": today}, household_id=household.pk),
        "person.deceased": entry("person.deceased", person, {"status": "resident"}, {
            "status": "deceased", "on": today}, household_id=household.pk),
        "membership.add": entry("membership.add", membership, None, {
            "household": household.pk, "person": person.pk, "relation": "spouse", "since": today}),
        "membership.update": entry("membership.update", membership, {"since": "2020-01-01"}, {
            "household": household.pk, "person": person.pk, "since": today}),
        "occupation.update": entry("occupation.update", job, {"job_title": "옛 직종"}, {
            "person": person.pk, "job_title": "새 직종"}),
        "income.declare": entry("income.declare", person, None, {
            "person": person.pk, "amount": "3000.00", "currency": "KPW", "period": "month", "since": today}),
        "income.update": entry("income.update", person, {"since": "2020-01-01"}, {"person": person.pk, "since": today}),
        "allocation_rule.create": entry("allocation_rule.create", household.unit, None, {"rule": "equal"}),
        "exemption.record": entry("exemption.record", person, None, {"person": person.pk, "since": today}),
        "exemption.end": entry("exemption.end", person, {"until": None}, {"person": person.pk, "until": today}),
        "exemption.update": entry("exemption.update", person, {"since": "2020-01-01"}, {
            "person": person.pk, "since": today}),
        **{
            f"{obligation._meta.model_name}.{verb}": entry(
                f"{obligation._meta.model_name}.{verb}", obligation, {"standing": "active"}, standing
            )
            for obligation in (campaign, levy)
            for verb in ("suspend", "cancel", "resume")
        },
        "waiver.approved": entry("waiver.approved", waiver, {"status": "pending", "waived": "0"}, {
            "status": "approved", "waived": "5", "note": "승인"}, household_id=household.pk),
        "waiver.rejected": entry("waiver.rejected", waiver, {"status": "pending", "waived": "0"}, {
            "status": "rejected", "waived": "0", "note": ""}, household_id=household.pk),
        "attendance.remove": entry("attendance.remove", share, {
            "session": campaign.sessions.order_by("pk").first().pk, "person": person.pk, "hours": "4.00"},
            target_type="duties.attendance", household_id=household.pk),
        "stamp.revoke": entry("stamp.revoke", stamp, {"revoked_at": None}, {
            "revoked_at": timezone.now().isoformat(), "revoked_reason": "잘못 발급", "signing_key": "ab",
            "status_version": 2}, household_id=household.pk),
        "stamp.key_retire": entry("stamp.key_retire", key, {"retired_at": None}, {"retired_at": today}),
        "stamp.root_key_create": entry("stamp.root_key_create", key, None, {"kid": "ab", "purpose": "root"}),
        "program.revise": entry("program.revise", program, {"version": {"number": 1}}, {
            "version": {"number": 2}, "note": "기준량 조정"}),
        "cycle.generate_request": entry("cycle.generate_request", cycle, {"status": "draft"}, {
            "status": "generating", "job": 1}),
        "cycle.distribute": entry("cycle.distribute", cycle, {"status": "approved"}, {"status": "distributing"}),
        "cycle.close": entry("cycle.close", cycle, {"status": "distributing"}, {"status": "closed"}),
        "area.rename": entry("area.rename", household.unit, {"name_ko": "옛 이름", "name_en": "Old"}, {
            "name_ko": household.unit.name_ko, "name_en": household.unit.name_en}),
        "role.end": entry("role.end", user, {"until": None}, {
            "user": user.pk, "role": "leader", "area": household.unit_id, "until": today}),
        "account.create": entry("account.create", user, None, {"username": "new-user", "name": "김영수"}),
        "account.create_admin": entry("account.create_admin", user, None, {"username": "root", "is_superuser": True}),
        "account.password_reset": entry("account.password_reset", user, None, {
            "username": user.username, "code_expires_at": timezone.now().isoformat()}),
        "account.password_set": entry("account.password_set", user, None, {"username": user.username}),
        "account.password_change": entry("account.password_change", user, None, {
            "username": user.username, "sessions_ended": 2}),
        "login.lockout": entry("login.lockout", user, None, {
            "username": "x", "address": "10.0.0.1", "failures": 5, "until": today}, target_type="login.lockout"),
        "login.unlock": entry("login.unlock", user, {"failures": 5}, {"failures": 0}, target_type="login.lockout"),
        "session.end": entry("session.end", user, {"created_at": today, "address": "10.0.0.1"}, None,
            target_type="accounts.loginsession"),
        "token.create": entry("token.create", user, None, {"user": user.pk, "name": "script"},
            target_type="api.apitoken"),
        "token.revoke": entry("token.revoke", user, {"revoked_at": None}, {
            "revoked_at": timezone.now().isoformat(), "user": user.pk, "name": "script"}, target_type="api.apitoken"),
        "cycle.generate": entry("cycle.generate", cycle, {"status": "generating"}, {
            "status": "generated", "version": 1, "households": 16, "entitled": 12, "denied": 4,
            "total_quantity": 9000}),
        "cycle.approve": entry("cycle.approve", cycle, {"status": "generated"}, {
            "status": "approved", "generated_by": cast["officer-a"].pk}),
        "directive.acknowledge_undo": entry("directive.acknowledge_undo", household, {
            "directive": directive.pk, "household": household.pk, "channel": "leader",
            "acknowledged_at": timezone.now().isoformat()}, {"reason": "잘못 누름"},
            target_type="duties.directiveacknowledgement", household_id=household.pk),
        "attendance.age_override": entry("attendance.age_override", household, None, {
            "session": campaign.sessions.order_by("pk").first().pk, "person": person.pk, "age": 15, "min_age": 17,
            "max_age": 60, "reason": "스스로 나옴"}, target_type="duties.attendance", household_id=household.pk),
        # Consent votes (governance/votes.py)
        "governance_rules.set": entry("governance_rules.set", household.unit, {
            "office": counter.office_id, "quorum_percent": "50.00", "window_days": 7, "electorate": "household"}, {
            "office": counter.office_id, "quorum_percent": "60.00", "window_days": 10, "electorate": "adult"},
            target_type="governance.governancerules"),
        "nomination.create": entry("nomination.create", household.unit, None, {
            "unit": household.unit_id, "office": 1, "person": person.pk, "statement": "성실한 이웃"},
            target_type="governance.nomination", household_id=household.pk),
        **{
            f"nomination.{verb}": entry(f"nomination.{verb}", household.unit, {"status": "voting"}, {
                "status": status, "person": person.pk, "unit": household.unit_id}, target_type="governance.nomination")
            for verb, status in (("approve", "approved"), ("reject", "rejected"))
        },
        "nomination.withdraw": entry("nomination.withdraw", household.unit, {"status": "voting"}, {
            "status": "withdrawn", "person": person.pk, "unit": household.unit_id, "reason": "후보 사퇴"},
            target_type="governance.nomination"),
        **{
            action: entry(action, household.unit, None, {
                "kind": "consent", "unit": household.unit_id, "opens_at": timezone.now().isoformat(),
                "closes_at": timezone.now().isoformat(), "electorate": "household", "electorate_size": 25,
                "quorum_percent": "50.00", "approval_percent": "50.00"}, target_type="governance.consentvote")
            for action in ("vote.open", "vote.recall_open")
        },
        "vote.participate": entry("vote.participate", household.unit, None, {
            "household": household.pk, "unit": household.unit_id, "channel": "online"},
            target_type="governance.consentvote", household_id=household.pk),
        "vote.paper_tally": entry("vote.paper_tally", household.unit, None, {
            "vote": 1, "unit": household.unit_id, "sheet_number": "3-1", "yes": 4, "no": 2, "abstain": 1,
            "counted": 7}, target_type="governance.papertally"),
        "vote.close": entry("vote.close", household.unit, {"status": "open"}, {
            "status": "closed", "unit": household.unit_id, "electorate_size": 25, "ballots": 18, "yes": 5, "no": 10,
            "abstain": 3, "quorum_met": True, "approval_met": False, "passed": False},
            target_type="governance.consentvote"),
        "vote.withdraw": entry("vote.withdraw", household.unit, {"status": "open"}, {
            "status": "withdrawn", "unit": household.unit_id, "reason": "잘못 지명함"},
            target_type="governance.consentvote"),
        "appointment.create": entry("appointment.create", household.unit, None, {
            "unit": household.unit_id, "person": person.pk, "user": user.pk, "starts_on": today, "ends_on": today,
            "nomination": 1}, target_type="governance.appointment", household_id=household.pk),
        "appointment.recall": entry("appointment.recall", household.unit, {"recalled_on": None}, {
            "recalled_on": today, "person": person.pk, "unit": household.unit_id},
            target_type="governance.appointment"),
        "synth.generate": entry("synth.generate", household.unit, None, {"seed": 1, "units_per_district": 3}),
        # Petitions: the target stands in for a petition (the test demo has none); no household_id, by design.
        "petition.open": entry("petition.open", household, None, {
            "subject": "conduct", "title": "우물 수리", "text": "고쳐 주십시오", "campaign": None, "levy": None,
            "directive": None, "official_name": "김철수", "household": household.pk,
            "office": Office.objects.get(code="HS-A-OFFICE").pk, "due_at": timezone.now().isoformat(),
            "due_on": today}, target_type="governance.petition"),
        "petition.sign": entry("petition.sign", household, None, {
            "petition": 1, "title": "우물 수리", "household": household.pk}, target_type="governance.signature"),
        "petition.unsign": entry("petition.unsign", household, None, {
            "petition": 1, "title": "우물 수리", "household": household.pk}, target_type="governance.signature"),
        "petition.respond": entry("petition.respond", household, {"status": "open", "title": "우물 수리"}, {
            "status": "answered", "title": "우물 수리", "office": Office.objects.get(code="HS-A-OFFICE").pk,
            "outcome": "partly", "response": "다음 달에 고칩니다"}, target_type="governance.petition"),
        "petition.recall_reached": entry("petition.recall_reached", household, {
            "status": "open", "title": "반장 소환"}, {"status": "answered", "title": "반장 소환", "signatures": 8},
            target_type="governance.petition"),
        **{
            action: entry(action, household, {
                "office": Office.objects.get(code="HS-A-OFFICE").pk, "due_at": timezone.now().isoformat(),
                "title": "우물 수리"}, {
                "office": Office.objects.get(code="HS-OFFICE").pk,
                "due_at": (timezone.now() + timedelta(days=14)).isoformat(), "title": "우물 수리"},
                target_type="governance.petition")
            for action in ("petition.escalate_threshold", "petition.escalate_deadline")
        },
        "obligation.decision_publish": entry("obligation.decision_publish", campaign, None, {
            "obligation": campaign.ref, "standing": "suspended", "directive": directive.pk,
            "petitions_answered": [1, 2], "accounts_told": 14}),
        "feedback_report.request": entry("feedback_report.request", campaign, None, {
            "obligation": campaign.ref, "office": "HS-A-OFFICE", "area": household.unit.parent.code, "units": 3,
            "shortfall": "12.5"}, target_type="governance.feedbackreport"),
        # Overnight stays (registry/stays.py): dates only, never the guest; the target stands in for a stay.
        "stay.register": entry("stay.register", household, None, {
            "arrives_on": today, "departs_on": today, "late": True}, target_type="registry.stay",
            household_id=household.pk),
        "stay.update": entry("stay.update", household, {"arrives_on": today, "departs_on": today}, {
            "arrives_on": today, "departs_on": (timezone.localdate() + timedelta(days=3)).isoformat()},
            target_type="registry.stay", household_id=household.pk),
        "stay.confirm": entry("stay.confirm", household, {
            "arrives_on": today, "departs_on": today, "confirmed": False}, {
            "arrives_on": today, "departs_on": today, "confirmed": True}, target_type="registry.stay",
            household_id=household.pk),
        "stay_rules.set": entry("stay_rules.set", household.unit, {
            "office": counter.office_id, "deadline_time": "22:00:00", "deadline_days": 0}, {
            "office": counter.office_id, "deadline_time": "20:00:00", "deadline_days": 1},
            target_type="registry.stayrules"),
        "stays.purge": entry("stays.purge", household.unit, None, {
            "cutoff": today, "stays": 4, "other_records": 1}, target_type="registry.stays_purge"),
        # Health checks (health/services.py): the day, the kind of subject and the household, never a value.
        "healthcheck.record": entry("healthcheck.record", household, None, {
            "on": today, "subject": "unregistered_guest", "household": household.pk},
            target_type="health.healthcheck", household_id=household.pk),
        # Integrity flags (integrity/scan.py, services.py): status and pattern only; the target stands in for a flag.
        "integrity.scan": entry("integrity.scan", household.unit, None, {
            "pattern": "stay_unregistered", "raised": 2, "today": today}, target_type="integrity.scan"),
        **{
            action: entry(action, household.unit, {
                "status": "open", "pattern": "leader_own_attendance", "unit": household.unit_id,
                "office": counter.office_id}, {
                "status": status, "pattern": "leader_own_attendance", "unit": household.unit_id,
                "office": counter.office_id}, target_type="integrity.flag")
            for action, status in (("flag.explain", "explained"), ("flag.dismiss", "dismissed"),
                                   ("flag.uphold", "upheld"))
        },
        "detection_rule.set": entry("detection_rule.set", household.unit, {
            "enabled": True, "threshold": "3.00", "min_count": 1, "office": counter.office_id,
            "pattern": "late_attendance"}, {
            "enabled": True, "threshold": "5.00", "min_count": 1, "office": counter.office_id,
            "pattern": "late_attendance"}, target_type="integrity.detectionrule"),
    }  # fmt: skip


@pytest.fixture
def one_entry_per_action(cast, duty_history, entitlement_history):
    """The latest real entry of each action in the test database (the demo's registry, the duty history the services
    wrote), a sample for the others."""
    samples = _samples(cast)
    entries = {}
    for action in sorted(actions_in_source() | set(ACTIONS)):
        real = AuditEntry.objects.filter(action=action).order_by("-seq").first()
        entries[action] = real or samples.get(action)
    missing = [action for action, entry in entries.items() if entry is None]
    assert not missing, f"add a sample entry for {missing}"
    return entries


def _render(entries, actor, language):
    with translation.override(language):
        unlabelled = set()
        described = describe_entries(entries, actor=actor, unlabelled=unlabelled)
        return [
            (item, item.text, [(c.label, str(c.before), str(c.after)) for c in item.changes]) for item in described
        ], unlabelled


def test_every_action_renders_as_a_translated_sentence_in_both_languages(cast, one_entry_per_action):
    actions = list(one_entry_per_action)
    entries = [one_entry_per_action[action] for action in actions]
    english, unlabelled_en = _render(entries, cast["admin"], "en")
    korean, unlabelled_ko = _render(entries, cast["admin"], "ko")
    assert not unlabelled_en | unlabelled_ko, f"fields without a label: {sorted(unlabelled_en | unlabelled_ko)}"
    problems = []
    for action, (item_en, text_en, changes_en), (item_ko, text_ko, changes_ko) in zip(
        actions, english, korean, strict=True
    ):
        if not item_en.known:
            problems.append(f"{action}: not in ACTIONS")
        if item_en.text == f"{item_en.label}.":
            problems.append(f"{action}: a placeholder of its sentence could not be filled ({item_en.text})")
        if text_en == text_ko or not HANGUL.search(text_ko):
            problems.append(f"{action}: the Korean sentence is not translated ({text_ko})")
        if item_en.label == item_ko.label:
            problems.append(f"{action}: the label is not translated ({item_ko.label})")
        for text in (text_en, text_ko, item_en.actor, item_ko.actor):
            if SNAKE.search(text) or DOTTED_CODE.search(text) or "{" in text:
                problems.append(f"{action}: a code in {text!r}")
        for (label_en, before_en, after_en), (label_ko, before_ko, after_ko) in zip(
            changes_en, changes_ko, strict=True
        ):
            if label_en == label_ko or not HANGUL.search(label_ko):
                problems.append(f"{action}: field label {label_en!r} is not translated")
            for value in (before_en, after_en, before_ko, after_ko):
                if SNAKE.search(value) or "{" in value:
                    problems.append(f"{action}: a code in the value {value!r}")
    assert not problems, "\n".join(problems)


def test_every_sentence_and_label_of_the_table_is_translated():
    untranslated = []
    for code, spec in ACTIONS.items():
        for text in (spec.label, spec.sentence, *spec.by_measure.values()):
            with translation.override("en"):
                english = str(text)
            with translation.override("ko"):
                korean = str(text)
            if english == korean or not HANGUL.search(korean):
                untranslated.append(f"{code}: {english}")
    assert not untranslated, "\n".join(untranslated)


def test_every_field_label_is_translated():
    with translation.override("en"):
        english = {name: str(label) for name, label in FIELD_LABELS.items()}
    with translation.override("ko"):
        korean = {name: str(label) for name, label in FIELD_LABELS.items()}
    untranslated = [name for name in FIELD_LABELS if english[name] == korean[name] or not HANGUL.search(korean[name])]
    assert not untranslated


def test_an_unknown_action_is_a_generic_sentence_never_its_code(cast, household_a1):
    entry = AuditEntry.objects.filter(household_id=household_a1.pk).order_by("-seq").first()
    entry.action = "gadget.frobnicate"
    for language, text in (("en", "A record was changed."), ("ko", "기록이 바뀌였습니다.")):
        with translation.override(language):
            item = describe(entry, actor=cast["resident-a1"])
        assert item.text == text and not item.known
        assert "gadget" not in item.sentence


# Families of actions ----------------------------------------------------------------------------------------------


def _latest(action, **filters):
    return AuditEntry.objects.filter(action=action, **filters).order_by("-seq").first()


def test_a_share_confirmation_names_the_levy_the_quantity_in_words_and_the_stamp(cast, household_a1, duty_history):
    entry = _latest("share.confirm", household_id=household_a1.pk, after__obligation__startswith="levy:")
    levy = duty_history.levy
    with translation.override("en"):
        item = describe(entry, actor=cast["resident-a1"])
    assert item.text == f"Share of {levy.title_en} confirmed: 5 kilograms delivered; stamp issued."
    assert f'<a href="/levies/{levy.pk}/">{levy.title_en}</a>' in item.sentence
    assert f'<a href="/stamps/{entry.after["stamp"]}/">stamp</a>' in item.sentence
    assert "levy:" not in item.sentence
    with translation.override("ko"):
        item = describe(entry, actor=cast["resident-a1"])
    assert item.text.startswith(f"《{levy.title_ko}》 분담량 확인: 5 ") and item.text.endswith(" 바침, 확인도장 발급.")
    assert "kg" not in item.text and "kilograms" not in item.text


def test_a_labour_share_counts_person_hours_in_words(cast, household_a1, duty_history):
    entry = _latest("share.confirm", household_id=household_a1.pk, after__obligation__startswith="campaign:")
    with translation.override("en"):
        text = describe(entry, actor=cast["resident-a1"]).text
    assert re.search(r"confirmed: [\d.]+ person-hours worked; stamp issued\.$", text)
    with translation.override("ko"):
        text = describe(entry, actor=cast["resident-a1"]).text
    assert "인시" in text and "person_hours" not in text


def test_a_registration_lists_its_details_with_labels_and_choice_words(cast, household_a1):
    entry = _latest("person.register", household_id=household_a1.pk)
    person = Person.objects.get(pk=entry.target_id)
    with translation.override("en"):
        item = describe(entry, actor=cast["leader-a1"])
    assert item.text == f"{person.full_name} was registered in the household."
    labels = {change.label: str(change.after) for change in item.changes}
    assert set(labels) == {"Birth date", "Sex"}
    assert labels["Sex"] in ("Female", "Male")
    with translation.override("ko"):
        item = describe(entry, actor=cast["leader-a1"])
    assert {change.label for change in item.changes} == {"생년월일", "성별"}


def test_a_correction_lists_only_the_fields_that_changed(cast, worker_a1):
    from inminban.registry import services

    job = worker_a1.occupations.get(until=None)
    old = job.job_title
    services.occupation_update(actor=cast["leader-a1"], occupation=job, job_title="새 직함")
    entry = _latest("occupation.update")
    with translation.override("en"):
        item = describe(entry, actor=cast["resident-a1"])
    assert [(c.label, str(c.before), str(c.after)) for c in item.changes] == [("Job title", old, "새 직함")]
    assert item.text == f"The job of {worker_a1.full_name} was corrected."


def test_who_did_it_is_named_with_their_role_never_by_user_name(cast, household_a1, duty_history):
    entry = _latest("share.confirm", household_id=household_a1.pk)
    with translation.override("en"):
        item = describe(entry, actor=cast["resident-a1"])
    leader = cast["leader-a1"].role_assignments.get(role="leader").person
    assert item.actor == f"{leader.full_name} (unit leader)"
    assert entry.actor_name not in item.actor
    with translation.override("ko"):
        assert describe(entry, actor=cast["resident-a1"]).actor == f"{leader.full_name} (인민반장)"
    issued = _latest("directive.issue")
    with translation.override("en"):
        assert describe(issued, actor=cast["auditor"]).actor.startswith("an officer of ")


def test_references_are_linked_only_where_the_viewer_may_open_them(cast, household_a1, duty_history):
    entry = _latest("quota.set", after__unit="HS-A1")
    unit_code = entry.after["unit"]
    with translation.override("en"):
        officer = describe(entry, actor=cast["officer-a"])
        resident = describe(entry, actor=cast["resident-a1"])
    assert f'href="/units/{unit_code}/"' in officer.sentence
    assert 'href="/units/' not in resident.sentence  # a resident cannot open the unit page
    assert officer.text == resident.text  # the unit is still named


def test_a_stamp_issue_and_an_acknowledgement(cast, household_a1, duty_history):
    stamp_entry = _latest("stamp.issue", household_id=household_a1.pk)
    ack = _latest("directive.acknowledge", household_id=household_a1.pk)
    with translation.override("en"):
        stamp_text = describe(stamp_entry, actor=cast["resident-a1"]).text
        ack_text = describe(ack, actor=cast["resident-a1"]).text
    assert stamp_text.startswith("Stamp issued for ") and re.search(r": [\d.]+ (person-hours|kilograms)\.$", stamp_text)
    assert ack_text.startswith(f"Household {household_a1.number} acknowledged the directive ")


def test_a_page_of_entries_costs_a_few_queries_not_a_few_per_entry(
    cast, household_a1, duty_history, django_assert_max_num_queries
):
    entries = list(AuditEntry.objects.filter(household_id=household_a1.pk).order_by("-seq")[:50])
    assert len(entries) >= 15
    with django_assert_max_num_queries(30):
        describe_entries(entries, actor=cast["resident-a1"])


def test_a_correction_with_its_reason(cast, person_a1):
    from inminban.registry import services

    old = person_a1.given_name
    services.person_update(actor=cast["leader-a1"], person=person_a1, reason="출생증 확인", given_name="새이름")
    entry = _latest("person.update")
    for language, labels in (("en", ("Given name", "Reason")), ("ko", ("이름", "사유"))):
        with translation.override(language):
            item = describe(entry, actor=cast["resident-a1"])
        changes = {c.label: (str(c.before), str(c.after), c.created) for c in item.changes}
        assert changes == {labels[0]: (old, "새이름", False), labels[1]: ("", "출생증 확인", True)}
