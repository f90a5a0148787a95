"""Appeals against denials: a household denied in a cycle, or refused a clearance, asks the program's office to look
again, with a reason and, if it has one, a document. The resident files it, or the unit leader on the household's
behalf; the office decides within the program's `appeal_days`.

Upheld, an appeal grants what was denied with the decision as its reason: the entitlement becomes eligible with the
quantity the cycle's own norms give the members it counted (the cycle's totals and tally follow, and a voucher is
issued if the cycle is already handing out), or the clearance is issued as a signed clearance stamp. Rejected, it
says why. Either way the denial's own record (outcomes, what was missing) stays as the cycle or clerk wrote it."""

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from inminban.areas.access import MANAGE_AREAS, VIEW, active_assignments, restrict, scope_for, subtree_q
from inminban.areas.models import Role
from inminban.audit.services import access_record, audit_record
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.registry.models import Household

from . import wording
from .clearances import clearance_stamp_issue
from .models import Appeal, Clearance, Cycle, CycleTally, Entitlement, Program
from .services import _require_office, text_value

MAX_ATTACHMENT = 2 * 1024 * 1024
# What an attachment may be, recognised by its first bytes (not its name): a scan or a photo of a document.
SIGNATURES = {"pdf": (b"%PDF-",), "jpeg": (b"\xff\xd8\xff",), "png": (b"\x89PNG\r\n\x1a\n",)}
EXTENSIONS = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png"}
# A cycle's denials can be appealed once the office approved it, until it closes (before approval a new
# computation may change the row; after closing nothing more is handed out).
APPEALABLE = (Cycle.Status.APPROVED, Cycle.Status.DISTRIBUTING)


# Who may file --------------------------------------------------------------------------------------------------------


def _leads(actor, household: Household) -> bool:
    return any(
        household.unit.path.startswith(assignment.area.path)
        for assignment in active_assignments(actor).filter(role=Role.LEADER)
    )


def may_file(actor, household: Household) -> bool:
    """A resident of the household, or the leader of its unit (on its behalf); an administrator."""
    scope = scope_for(actor)
    return scope.is_admin or household.pk in scope.household_ids or _leads(actor, household)


def _require_filer(actor, household: Household) -> None:
    if may_file(actor, household):
        return
    if scope_for(actor).allows_area(VIEW, household.unit):
        raise NotPermitted("only the household or its unit leader may appeal")
    raise NotVisible("household not found")


def _attachment(attachment) -> tuple[str, str] | None:
    """(kind, a safe file name) for an uploaded document, or DomainError naming `attachment`."""
    if attachment is None:
        return None
    size = getattr(attachment, "size", None)
    if size is None or size > MAX_ATTACHMENT:
        raise DomainError("attachment", "At most 2 MB.")
    if size == 0:
        raise DomainError("attachment", "The file is empty.")
    attachment.seek(0)
    head = attachment.read(16)
    attachment.seek(0)
    kind = next((kind for kind, marks in SIGNATURES.items() if head.startswith(marks)), None)
    if kind is None:
        raise DomainError("attachment", "A PDF, JPEG or PNG file.")
    name = (getattr(attachment, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()[:150] or f"document{EXTENSIONS[kind]}"
    return kind, name


# Writing -------------------------------------------------------------------------------------------------------------


@transaction.atomic
def appeal_file(
    *,
    actor: User,
    entitlement: Entitlement | None = None,
    clearance: Clearance | None = None,
    reason: str,
    attachment=None,
) -> Appeal:
    """Appeal a denial: a cycle's entitlement that was denied, or a clearance that was refused. One open appeal per
    denial; the office has the program's `appeal_days` to decide."""
    if (entitlement is None) == (clearance is None):
        raise DomainError("entitlement", "Name the denial to appeal: an entitlement or a clearance.")
    if entitlement is not None:
        entitlement = Entitlement.objects.select_related("cycle__program", "household__unit", "unit").get(
            pk=entitlement.pk
        )
        household, program, field = entitlement.household, entitlement.cycle.program, "entitlement"
    else:
        clearance = Clearance.objects.select_related("program", "household__unit", "unit").get(pk=clearance.pk)
        household, program, field = clearance.household, clearance.program, "clearance"
    _require_filer(actor, household)
    if entitlement is not None:
        if entitlement.eligible:
            raise DomainError("entitlement", "Only a denial can be appealed; this household is entitled.")
        if entitlement.cycle.status not in APPEALABLE:
            raise DomainError(
                "entitlement", "A cycle's denial can be appealed once the office approved it, until it closes."
            )
        if not wording.concerns(entitlement, program):
            raise DomainError("entitlement", "This benefit is only for unit leaders.")
        pending = Appeal.objects.filter(entitlement=entitlement)
    else:
        if clearance.granted:
            raise DomainError("clearance", "Only a denial can be appealed; this clearance was granted.")
        pending = Appeal.objects.filter(clearance=clearance)
    if pending.filter(status=Appeal.Status.OPEN).exists():
        raise DomainError(field, "An appeal against this denial is already waiting for a decision.", code="duplicate")
    reason = text_value("reason", reason, max_length=2000, required=True)
    document = _attachment(attachment)
    today = timezone.localdate()
    appeal = Appeal(
        program=program,
        household=household,
        unit=household.unit,
        entitlement=entitlement,
        clearance=clearance,
        reason=reason,
        filed_by=actor,
        filed_at=timezone.now(),
        due_on=today + timedelta(days=program.appeal_days),
    )
    appeal.full_clean(exclude=["attachment", "decided_by"])
    if document is not None:
        appeal.attachment_name = document[1]
    appeal.save()
    audit_record(
        actor=actor,
        action="appeal.file",
        target=appeal,
        area=appeal.unit,
        household_id=household.pk,
        after={
            "program": program.pk,
            "household": household.pk,
            field: (entitlement or clearance).pk,
            "reason": reason,
            "attachment": appeal.attachment_name,
            "due_on": appeal.due_on,
        },
    )
    if document is not None:
        # Stored last, once nothing else can refuse the appeal, so a refused one leaves no file behind.
        appeal.attachment.save(f"appeal{EXTENSIONS[document[0]]}", attachment, save=False)
        Appeal.objects.filter(pk=appeal.pk).update(attachment=appeal.attachment.name)
    return appeal


def amount_for(cycle: Cycle, entitlement: Entitlement) -> int:
    """What the cycle's own norms give the members it counted for this household (as cycle_sql computes it for an
    eligible one): the quantity an upheld appeal grants."""
    snapshot = cycle.snapshot["version"]
    norms = snapshot["norms"]
    total = leaders = 0
    for item in filter(None, entitlement.members.split(";")):
        lead = item.endswith("*")
        _person, _sep, category = item.rstrip("*").partition(":")
        index = int(category)
        amount = int(norms[index]["amount"]) if 0 <= index < len(norms) else 0
        total += amount
        leaders += amount if lead else 0
    kind = cycle.program.kind
    if kind == Program.Kind.GRAIN_RATION:
        return total * cycle.days
    if kind == Program.Kind.LEADER_BENEFIT:
        return leaders * int(snapshot["benefit_days"])
    return total


def _grant_entitlement(actor, appeal: Appeal) -> dict:
    from .vouchers import OPEN_STATUSES, _issue_range, voucher_measure, voucher_quantity

    entitlement = Entitlement.objects.select_for_update().get(pk=appeal.entitlement_id)
    cycle = Cycle.objects.select_for_update().select_related("program").get(pk=entitlement.cycle_id)
    if cycle.status not in APPEALABLE:
        raise DomainError("upheld", "The cycle is closed: nothing more can be handed out in it.")
    quantity = amount_for(cycle, entitlement)
    if quantity <= 0:
        raise DomainError(
            "upheld",
            "No member of the household falls in a category of the program's norms, so upholding would grant nothing.",
        )
    entitlement.eligible, entitlement.quantity, entitlement.appeal = True, quantity, appeal
    entitlement.save(update_fields=["eligible", "quantity", "appeal"])
    tallies = CycleTally.objects.filter(cycle=cycle, unit=entitlement.unit, outcomes=entitlement.outcomes)
    denied = tallies.filter(eligible=False)
    denied.update(households=F("households") - 1)
    denied.filter(households__lte=0).delete()
    if not tallies.filter(eligible=True).update(households=F("households") + 1, quantity=F("quantity") + quantity):
        CycleTally.objects.create(
            cycle=cycle,
            unit=entitlement.unit,
            eligible=True,
            outcomes=entitlement.outcomes,
            households=1,
            quantity=quantity,
        )
    Cycle.objects.filter(pk=cycle.pk).update(
        entitled=F("entitled") + 1, denied=F("denied") - 1, total_quantity=F("total_quantity") + quantity
    )
    # In the audit as the voucher says it (kilograms or won), with its measure, as a reader of the history wants it.
    result = {
        "entitlement": entitlement.pk,
        "eligible": True,
        "quantity": voucher_quantity(cycle.program, quantity),
        "measure": voucher_measure(cycle.program),
    }
    if cycle.status in OPEN_STATUSES:
        hid = entitlement.household_id
        _issue_range(actor=actor, cycle=cycle, low=hid, high=hid + 1)
        entitlement.refresh_from_db(fields=["voucher"])
        result["voucher"] = str(entitlement.voucher.serial) if entitlement.voucher_id else None
    return result


def _grant_clearance(actor, appeal: Appeal) -> dict:
    clearance = Clearance.objects.select_for_update().select_related("program__office", "household__unit", "person")
    clearance = clearance.get(pk=appeal.clearance_id)
    if clearance.granted:  # pragma: no cover - an open appeal is only ever against a denial
        raise DomainError("upheld", "The clearance was already granted.")
    clearance.granted, clearance.appeal = True, appeal
    clearance.stamp = clearance_stamp_issue(actor=actor, clearance=clearance)
    clearance.save(update_fields=["granted", "appeal", "stamp"])
    return {"clearance": clearance.pk, "granted": True, "stamp": str(clearance.stamp.serial)}


@transaction.atomic
def appeal_decide(*, actor: User, appeal: Appeal, upheld: bool, decision: str) -> Appeal:
    """The program's office decides an open appeal. Upheld: what was denied is granted, with `decision` as its
    reason. Rejected: `decision` says why."""
    locked = Appeal.objects.select_for_update().select_related("program__office__area", "program__area")
    appeal = locked.get(pk=appeal.pk)
    _require_office(actor, appeal.program.office, appeal.program.area)
    if appeal.status != Appeal.Status.OPEN:
        raise DomainError("status", "This appeal was already decided.")
    if not isinstance(upheld, bool):
        raise DomainError("upheld", "Say whether the appeal is upheld: true or false.")
    decision = text_value("decision", decision, max_length=2000, required=True)
    appeal.status = Appeal.Status.UPHELD if upheld else Appeal.Status.REJECTED
    appeal.decision, appeal.decided_by, appeal.decided_at = decision, actor, timezone.now()
    appeal.save(update_fields=["status", "decision", "decided_by", "decided_at"])
    after = {"status": appeal.status, "decision": decision, "program": appeal.program_id}
    if upheld:
        after |= _grant_entitlement(actor, appeal) if appeal.entitlement_id else _grant_clearance(actor, appeal)
    # Two literal actions, so that the audit table's source scan finds both.
    recorded = {
        "target": appeal,
        "area": appeal.unit,
        "household_id": appeal.household_id,
        "before": {"status": Appeal.Status.OPEN},
        "after": after,
    }
    if upheld:
        audit_record(actor=actor, action="appeal.uphold", **recorded)
    else:
        audit_record(actor=actor, action="appeal.reject", **recorded)
    return appeal


# Reading -------------------------------------------------------------------------------------------------------------


def appeals_visible(*, actor) -> QuerySet[Appeal]:
    """Appeals of the households in view: a resident's own, a leader's unit's, the office's area's."""
    related = ("program__office", "program__area", "household", "unit", "entitlement__cycle", "clearance__person")
    return restrict(Appeal.objects.select_related(*related), actor, VIEW)


def appeal_detail(*, actor, pk) -> Appeal:
    """One appeal the actor may read; the read is noted in the household's access log."""
    try:
        appeal = appeals_visible(actor=actor).get(pk=pk)
    except (Appeal.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"appeal {pk} not found") from None
    access_record(actor=actor, household=appeal.household)
    return appeal


def household_appeals(*, actor, household: Household) -> QuerySet[Appeal]:
    return appeals_visible(actor=actor).filter(household=household).order_by("-filed_at", "-id")


def appeal_queue(*, actor, status: str | None = Appeal.Status.OPEN) -> QuerySet[Appeal]:
    """The appeals the actor's office decides (programs over an area they govern), the nearest deadline first."""
    scope = scope_for(actor)
    rows = appeals_visible(actor=actor)
    if not scope.is_admin:
        q = Q(pk__in=[])
        for prefix in scope.prefixes(MANAGE_AREAS):
            q |= subtree_q("program__area__path", prefix)
        rows = rows.filter(q)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("due_on", "filed_at", "id")


def is_overdue(appeal: Appeal, today: date | None = None) -> bool:
    return appeal.status == Appeal.Status.OPEN and appeal.due_on < (today or timezone.localdate())
