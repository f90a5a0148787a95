"""Hand-outs at a counter against vouchers: the check after a scan, a redemption recorded online, the redemptions an
offline counter uploads later, the conflicts an upload can reveal, and the office's resolution of them.

Of a voucher's redemptions, those that fit within its quantity, in the order they were handed out, stand; the rest are
conflicts (`_settle`). Online, a clerk is refused before handing out more than is left, so a conflict only arises from
redemptions recorded offline."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from inminban.areas.access import MANAGE_AREAS, REDEEM, can, require
from inminban.audit.services import access_record, audit_record
from inminban.common.errors import DomainError, NotVisible
from inminban.stamps import codec
from inminban.stamps.documents import server_verifier
from inminban.stamps.models import Stamp
from inminban.stamps.verify import REASONS

from .counters import require_counter, text_value
from .models import Counter, Cycle, Entitlement, Program, Redemption
from .vouchers import OPEN_STATUSES, voucher_measure, voucher_quantity

MAX_UPLOAD = 5000  # redemptions per uploaded batch

# Checking a voucher ----------------------------------------------------------------------------------------------

REFUSALS = {
    "not_a_voucher": "This is a stamp, not a voucher.",
    "other_cycle": "This voucher is for another cycle: %(cycle)s.",
    "cycle_closed": "The cycle of this voucher is closed: its vouchers have expired.",
    "cycle_not_open": "The cycle of this voucher is not approved for distribution.",
    "not_served_here": "This voucher is for a household this counter does not serve.",
    "used_up": "Already handed out in full: %(what)s.",
    "not_enough_left": "Only %(left)s is left on this voucher.",
    "unknown_voucher": "No such voucher was issued.",
}


@dataclass
class VoucherCheck:
    """What a clerk sees after a scan: whether the voucher can be redeemed here, and the household's figures."""

    ok: bool
    reason: str
    message: str
    voucher: Stamp | None = None
    entitlement: Entitlement | None = None
    claims: dict | None = None
    previous: list[Redemption] = field(default_factory=list)

    @property
    def left(self) -> int:
        return self.entitlement.left if self.entitlement else 0


def _redemption_words(redemption: Redemption) -> str:
    when = timezone.localtime(redemption.handed_at).strftime("%Y-%m-%d %H:%M")
    who = redemption.clerk_name or redemption.clerk.get_full_name() or redemption.clerk.username
    return f"{who}, {redemption.counter.name}, {when}"


def amount_words(program: Program, amount: int) -> str:
    from .explain import amount_text

    return amount_text(amount, program.kind)


# Verifier reasons after which the voucher's own record still decides the answer: a voucher of a closed cycle was
# revoked (or has expired) because the cycle closed, and the clerk is told that, not only "revoked".
_SIGNED_BUT_REFUSED = ("revoked", "expired")


def voucher_check(*, actor, counter: Counter, text: str, cycle: Cycle | None = None) -> VoucherCheck:
    """Verify a voucher text at a counter and find what is left on it. Writes nothing but the read in the household's
    access log; refusals carry a reason code."""
    require_counter(actor, counter)
    if not isinstance(text, str) or not text.strip():
        raise DomainError("voucher", "Scan or type the voucher's text.")
    result = server_verifier().verify(text)
    claims = result.claims.as_dict() if result.claims else None
    if result.claims is not None and result.claims.duty_kind != codec.VOUCHER:
        return VoucherCheck(False, "not_a_voucher", REFUSALS["not_a_voucher"], claims=claims)
    if not result.ok and (result.claims is None or result.reason not in _SIGNED_BUT_REFUSED):
        return VoucherCheck(False, result.reason, result.message, claims=claims)
    voucher = (
        Stamp.objects.filter(serial=result.claims.serial, duty_kind=Stamp.DutyKind.VOUCHER)
        .select_related("household", "unit")
        .first()
    )
    entitlement = (
        Entitlement.objects.filter(voucher=voucher).select_related("cycle__program", "household").first()
        if voucher
        else None
    )
    if entitlement is None:
        if not result.ok:
            return VoucherCheck(False, result.reason, result.message, claims=claims)
        return VoucherCheck(False, "unknown_voucher", REFUSALS["unknown_voucher"], claims=claims)
    # A voucher for a household outside what this counter serves is not there for this clerk (404 in the API).
    # (require_counter has shown that the actor works at the counter or manages its area, which holds the unit.)
    if not voucher.unit.path.startswith(counter.area.path):
        raise NotVisible("voucher not found")
    if not (can(actor, REDEEM, voucher.unit) or can(actor, MANAGE_AREAS, voucher.unit)):
        raise NotVisible("voucher not found")
    # What the clerk is about to see of the household (members counted, what it received): in its access log.
    access_record(actor=actor, household=entitlement.household)
    found = {"voucher": voucher, "entitlement": entitlement, "claims": claims}
    voucher_cycle = entitlement.cycle
    if cycle is not None and voucher_cycle.pk != cycle.pk:
        return VoucherCheck(False, "other_cycle", REFUSALS["other_cycle"] % {"cycle": str(voucher_cycle)}, **found)
    if voucher_cycle.status == Cycle.Status.CLOSED:
        return VoucherCheck(False, "cycle_closed", REFUSALS["cycle_closed"], **found)
    if voucher_cycle.status not in OPEN_STATUSES:
        return VoucherCheck(False, "cycle_not_open", REFUSALS["cycle_not_open"], **found)
    if not result.ok:
        return VoucherCheck(False, result.reason, result.message, **found)
    previous = list(
        Redemption.objects.filter(entitlement=entitlement, status=Redemption.Status.ACCEPTED).select_related(
            "counter", "clerk"
        )
    )
    if entitlement.left <= 0:
        what = "; ".join(_redemption_words(redemption) for redemption in previous) or "—"
        return VoucherCheck(False, "used_up", REFUSALS["used_up"] % {"what": what}, previous=previous, **found)
    return VoucherCheck(True, "valid", "The voucher is valid.", previous=previous, **found)


def _refuse(check: VoucherCheck) -> None:
    raise DomainError("voucher", check.message, code=f"voucher_{check.reason}")


# Redeeming -------------------------------------------------------------------------------------------------------


def _quantity(value, left: int) -> int:
    if value is None:
        return left
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError("quantity", "A whole number is required.")
    if value <= 0:
        raise DomainError("quantity", "Hand out more than nothing.")
    if value >= 10**12:
        raise DomainError("quantity", "The quantity is too large.")
    return value


def _settle(entitlement: Entitlement) -> list[Redemption]:
    """Decide which of the voucher's redemptions stand: in the order they were handed out, each that fits in what is
    left stands, the others are conflicts with the one that used the voucher up. Updates what was redeemed. Returns
    the redemptions whose status changed. The caller holds the entitlement's row lock."""
    changed = []
    left = entitlement.quantity
    standing = None
    for redemption in Redemption.objects.filter(entitlement=entitlement).exclude(status=Redemption.Status.RESOLVED):
        if redemption.quantity <= left:
            status, excess, conflict_with = Redemption.Status.ACCEPTED, 0, None
            left -= redemption.quantity
            standing = redemption
        else:
            status, excess, conflict_with = Redemption.Status.CONFLICT, redemption.quantity - left, standing
        if (redemption.status, redemption.excess, redemption.conflict_with_id) != (
            status,
            excess,
            conflict_with.pk if conflict_with else None,
        ):
            redemption.status, redemption.excess, redemption.conflict_with = status, excess, conflict_with
            redemption.save(update_fields=["status", "excess", "conflict_with"])
            changed.append(redemption)
    redeemed = entitlement.quantity - left
    if redeemed != entitlement.redeemed:
        entitlement.redeemed = redeemed
        entitlement.save(update_fields=["redeemed"])
    return changed


def _redemption_after(redemption: Redemption) -> dict:
    """What the audit keeps of a redemption: amounts as the voucher says them (kilograms or won), with their measure."""
    program = redemption.cycle.program
    return {
        "uid": redemption.uid,
        "voucher": redemption.voucher.serial,
        "cycle": redemption.cycle_id,
        "counter": redemption.counter_id,
        "handed": voucher_quantity(program, redemption.quantity),
        "measure": voucher_measure(program),
        "handed_at": redemption.handed_at,
        "offline": redemption.offline,
        "status": redemption.status,
        "excess": voucher_quantity(program, redemption.excess),
    }


def _write(*, actor, counter: Counter, entitlement: Entitlement, voucher: Stamp, quantity: int, **values) -> Redemption:
    redemption = Redemption(
        uid=values.get("uid") or uuid.uuid4(),
        voucher=voucher,
        entitlement=entitlement,
        cycle_id=entitlement.cycle_id,
        household_id=entitlement.household_id,
        unit_id=entitlement.unit_id,
        counter=counter,
        clerk=actor,
        clerk_name=values.get("clerk_name", ""),
        quantity=quantity,
        handed_at=values.get("handed_at") or timezone.now(),
        recorded_at=timezone.now(),
        offline=values.get("offline", False),
        status=Redemption.Status.ACCEPTED,
    )
    redemption.save()
    return redemption


def _lock_cycle_open(cycle_id: int) -> None:
    """Hold the cycle open for this transaction: a share lock on PostgreSQL, so that closing it (which locks its row
    for update and revokes what is left) waits for a hand-out in progress, and a hand-out waits for a closing; then
    the cycle must still be open. SQLite runs one writer at a time, so a plain read suffices there."""
    table = Cycle._meta.db_table
    with connection.cursor() as cursor:
        lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
        cursor.execute(f"SELECT status FROM {table} WHERE id = %s{lock}", [cycle_id])
        row = cursor.fetchone()
    if row is None or row[0] not in OPEN_STATUSES:
        raise DomainError("voucher", REFUSALS["cycle_closed"], code="voucher_cycle_closed")


@transaction.atomic
def redemption_record(
    *, actor, counter: Counter, text: str, quantity: int | None = None, cycle: Cycle | None = None, uid=None
) -> Redemption:
    """A clerk hands out what a voucher entitles (all that is left, or `quantity` of it). Refused, naming who redeemed
    it, where and when, if nothing is left; refused if more is asked than is left."""
    check = voucher_check(actor=actor, counter=counter, text=text, cycle=cycle)
    if not check.ok:
        _refuse(check)
    _lock_cycle_open(check.entitlement.cycle_id)
    entitlement = Entitlement.objects.select_for_update().get(pk=check.entitlement.pk)
    if entitlement.left <= 0:  # another counter took the rest between the check and the lock
        _refuse(voucher_check(actor=actor, counter=counter, text=text, cycle=cycle))
    quantity = _quantity(quantity, entitlement.left)
    program = entitlement.cycle.program
    if quantity > entitlement.left:
        raise DomainError(
            "quantity",
            REFUSALS["not_enough_left"],
            code="voucher_not_enough_left",
            params={"left": amount_words(program, entitlement.left)},
        )
    if uid is not None and Redemption.objects.filter(uid=uid).exists():
        raise DomainError("id", "A redemption with this id was already recorded.")
    redemption = _write(
        actor=actor, counter=counter, entitlement=entitlement, voucher=check.voucher, quantity=quantity, uid=uid
    )
    settled = _settle_remembering(entitlement, {redemption.pk})
    redemption.refresh_from_db()
    _audit_settled(actor, settled)
    audit_record(
        actor=actor,
        action="redemption.record",
        target=redemption,
        area=entitlement.unit,
        household_id=entitlement.household_id,
        after=_redemption_after(redemption),
    )
    return redemption


@dataclass
class UploadResult:
    recorded: list[Redemption] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # uids recorded by an earlier upload
    conflicts: list[Redemption] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)  # {"id", "reason", "message"}: a voucher that does not verify


def _upload_item(index: int, item) -> dict:
    where = f"redemptions.{index}"
    if not isinstance(item, dict):
        raise DomainError(where, "Each redemption is an object.")
    try:
        uid = uuid.UUID(str(item.get("id")))
    except ValueError:
        raise DomainError(f"{where}.id", "A UUID the counter gave the redemption is required.") from None
    voucher = item.get("voucher")
    if not isinstance(voucher, str) or not voucher.strip() or len(voucher) > codec.MAX_TEXT_LENGTH:
        raise DomainError(f"{where}.voucher", "The voucher's text is required.")
    quantity = item.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity < 10**12:
        raise DomainError(f"{where}.quantity", "A whole number above zero is required.")
    handed_at = item.get("handed_at")
    try:
        handed = parse_datetime(handed_at) if isinstance(handed_at, str) else None
    except ValueError:  # well-formed but no such time (month 13, 25 o'clock)
        handed = None
    if handed is None or timezone.is_naive(handed):
        raise DomainError(f"{where}.handed_at", "A date and time with its time zone is required.")
    if handed > timezone.now() + timedelta(minutes=10):
        raise DomainError(f"{where}.handed_at", "The time lies in the future.")
    clerk_name = item.get("clerk", "")
    if not isinstance(clerk_name, str) or len(clerk_name) > 150:
        raise DomainError(f"{where}.clerk", "At most 150 characters.")
    return {"uid": uid, "voucher": voucher.strip(), "quantity": quantity, "handed_at": handed, "clerk": clerk_name}


def _upload_refusal(verifier, counter: Counter, item: dict):
    """(voucher, entitlement) for an uploaded redemption, or why it cannot be counted. The voucher is checked as it
    stood when it was handed out: one revoked or expired since (a cycle that closed meanwhile) still counts."""
    found = verifier.verify(item["voucher"], now=item["handed_at"])

    def refused(reason: str, message: str) -> dict:
        return {"id": str(item["uid"]), "reason": reason, "message": message}

    if found.claims is not None and found.claims.duty_kind != codec.VOUCHER:
        return refused("not_a_voucher", REFUSALS["not_a_voucher"])
    if found.claims is None or found.reason not in ("valid", "revoked"):
        return refused(found.reason, found.message)
    voucher = Stamp.objects.filter(serial=found.claims.serial, duty_kind=Stamp.DutyKind.VOUCHER).first()
    entitlement = (
        Entitlement.objects.filter(voucher=voucher).select_related("unit", "cycle").first() if voucher else None
    )
    if entitlement is None:
        return refused("unknown_voucher", REFUSALS["unknown_voucher"])
    if not entitlement.unit.path.startswith(counter.area.path):
        return refused("not_served_here", REFUSALS["not_served_here"])
    cycle = entitlement.cycle
    if cycle.status == Cycle.Status.CLOSED and cycle.closed_at is not None and cycle.closed_at <= item["handed_at"]:
        return refused("cycle_closed", REFUSALS["cycle_closed"])
    if found.reason == "revoked":
        if voucher.revoked_at is None or voucher.revoked_at <= item["handed_at"]:
            return refused("revoked", found.message)
        # Revoked only after it was handed out; the verifier stopped at the revocation, so expiry is checked here.
        if found.claims.expires_at is not None and item["handed_at"] >= found.claims.expires_at:
            return refused("expired", REASONS["expired"])
    return voucher, entitlement


def _settle_remembering(entitlement: Entitlement, new_ids: set[int]) -> list[tuple[Redemption, tuple[str, int]]]:
    """`_settle`, and which of the redemptions recorded before (not those in `new_ids`) changed, with what they were."""
    before = {
        pk: (status, excess)
        for pk, status, excess in Redemption.objects.filter(entitlement=entitlement).values_list(
            "pk", "status", "excess"
        )
    }
    return [(redemption, before[redemption.pk]) for redemption in _settle(entitlement) if redemption.pk not in new_ids]


def _audit_settled(actor, settled: list[tuple[Redemption, tuple[str, int]]]) -> None:
    """A redemption recorded earlier that a later write showed to come after another: audited as it changed."""
    for redemption, (status, excess) in settled:
        program = redemption.cycle.program
        audit_record(
            actor=actor,
            action="redemption.settle",
            target=redemption,
            area=redemption.unit,
            household_id=redemption.household_id,
            before={"status": status, "excess": voucher_quantity(program, excess)},
            after={
                "status": redemption.status,
                "excess": voucher_quantity(program, redemption.excess),
                "measure": voucher_measure(program),
                "counter": redemption.counter_id,
                "conflict_with": redemption.conflict_with.uid if redemption.conflict_with_id else None,
            },
        )


def _id_in_use(item: dict) -> dict:
    return {
        "id": str(item["uid"]),
        "reason": "id_in_use",
        "message": "Another counter's hand-out has this id: it was not recorded for this counter.",
    }


@transaction.atomic
def redemptions_upload(*, actor, counter: Counter, items: list) -> UploadResult:
    """Record the redemptions an offline counter kept, each with the id the counter gave it. An id already recorded
    is skipped (a retried upload writes nothing); one whose voucher does not verify is listed as refused and not
    counted. Of the rest, what fits in what was left stands, in the order handed out; the others are conflicts.

    Uploads of one counter run one at a time (its row is locked), and the vouchers' entitlements are locked in key
    order, so two counters uploading redemptions of the same vouchers wait for each other instead of deadlocking.
    A redemption recorded earlier that an upload shows to have come later than another (handed out after it) turns
    into a conflict: it is listed with this upload's conflicts and audited as `redemption.settle`."""
    require_counter(actor, counter)
    if not isinstance(items, list) or not items:
        raise DomainError("redemptions", "A list of redemptions is required.")
    if len(items) > MAX_UPLOAD:
        raise DomainError("redemptions", "At most %(count)s redemptions per upload.", params={"count": MAX_UPLOAD})
    parsed = [_upload_item(index, item) for index, item in enumerate(items)]
    uids = [item["uid"] for item in parsed]
    if len(set(uids)) != len(uids):
        raise DomainError("redemptions", "The same redemption id appears twice in the upload.")
    Counter.objects.select_for_update().filter(pk=counter.pk).first()
    known = dict(Redemption.objects.filter(uid__in=uids).values_list("uid", "counter_id"))
    result = UploadResult(already=[str(uid) for uid in uids if known.get(uid) == counter.pk])
    verifier = server_verifier()
    accepted = []
    for item in parsed:
        if item["uid"] in known:
            if known[item["uid"]] != counter.pk:
                # Another counter's hand-out has this id (a pack directory reused for another counter): not this
                # counter's, and not to be marked as uploaded by it.
                result.refused.append(_id_in_use(item))
            continue
        found = _upload_refusal(verifier, counter, item)
        if isinstance(found, dict):
            result.refused.append(found)
        else:
            accepted.append((item, *found))
    locked = {
        entitlement.pk: entitlement
        for entitlement in Entitlement.objects.select_for_update()
        .filter(pk__in={entitlement.pk for _, _, entitlement in accepted})
        .order_by("pk")
    }
    for item, voucher, entitlement in accepted:
        try:
            with transaction.atomic():
                redemption = _write(
                    actor=actor,
                    counter=counter,
                    entitlement=locked[entitlement.pk],
                    voucher=voucher,
                    quantity=item["quantity"],
                    uid=item["uid"],
                    handed_at=item["handed_at"],
                    clerk_name=item["clerk"],
                    offline=True,
                )
        except IntegrityError:  # another counter's upload recorded this id a moment ago
            result.refused.append(_id_in_use(item))
            continue
        result.recorded.append(redemption)
    new_ids = {redemption.pk for redemption in result.recorded}
    settled = []
    for entitlement in locked.values():
        settled += _settle_remembering(entitlement, new_ids)
    for redemption in result.recorded:
        redemption.refresh_from_db()
        if redemption.status == Redemption.Status.CONFLICT:
            result.conflicts.append(redemption)
        audit_record(
            actor=actor,
            action="redemption.upload",
            target=redemption,
            area=redemption.unit,
            household_id=redemption.household_id,
            after=_redemption_after(redemption),
        )
    for redemption, _before in settled:
        if redemption.status == Redemption.Status.CONFLICT:
            result.conflicts.append(redemption)
    _audit_settled(actor, settled)
    return result


@transaction.atomic
def redemption_conflict_resolve(*, actor, redemption: Redemption, note: str) -> Redemption:
    """The office settles a conflict (the goods were handed out twice): what it decided, in words. The redemption
    then stops counting as open; it never counts towards what the household received."""
    require(actor, MANAGE_AREAS, redemption.unit)
    redemption = Redemption.objects.select_for_update().get(pk=redemption.pk)
    if redemption.status != Redemption.Status.CONFLICT:
        raise DomainError("redemption", "Only a conflict can be resolved.")
    note = text_value("note", note, max_length=300, required=True)
    redemption.status = Redemption.Status.RESOLVED
    redemption.resolved_by, redemption.resolved_at, redemption.resolution = actor, timezone.now(), note
    redemption.save(update_fields=["status", "resolved_by", "resolved_at", "resolution"])
    audit_record(
        actor=actor,
        action="redemption.resolve",
        target=redemption,
        area=redemption.unit,
        household_id=redemption.household_id,
        before={"status": Redemption.Status.CONFLICT},
        after={"status": redemption.status, "resolution": note},
    )
    return redemption
