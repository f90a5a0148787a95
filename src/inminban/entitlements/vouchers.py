"""The vouchers an approved cycle issues, and their expiry when it closes.

A voucher is a stamp of kind "voucher" (see stamps/codec.py): signed by the program office's key, verified with the
same trust list and status lists, revoked the same way. A cycle's vouchers are written set-based, one INSERT … SELECT
per range of households, with `encoded` empty: each is signed the first time it is shown or printed
(`stamps.services.stamp_encoded`), since signing millions at approval would take longer than computing the cycle.
Counters are in counters.py, hand-outs against vouchers in redemptions.py."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from inminban.audit.services import audit_record
from inminban.common.errors import DomainError
from inminban.stamps.models import SigningKey, Stamp
from inminban.stamps.services import office_signing_key

from .models import Cycle, Entitlement, Program

VOUCHER_INLINE_LIMIT = 5000  # up to this many vouchers are written in the approval itself; more in a background job
OPEN_STATUSES = (Cycle.Status.APPROVED, Cycle.Status.DISTRIBUTING)


def voucher_ref(cycle: Cycle) -> str:
    return f"cycle:{cycle.pk}"


def voucher_measure(program: Program) -> str:
    return "kpw" if program.kind == Program.Kind.CASH_BENEFIT else "kg"


def voucher_quantity(program: Program, amount: int) -> Decimal:
    """What a voucher says for an entitlement of `amount` (grams or won): kilograms of grain, or won."""
    if program.kind == Program.Kind.CASH_BENEFIT:
        return Decimal(amount)
    return (Decimal(amount) / 1000).quantize(Decimal("0.001"))


def voucher_expiry(cycle: Cycle) -> datetime:
    """The end of the last day a voucher may be redeemed: the cycle's last day plus the grace days, local time."""
    last_day = cycle.period_end + timedelta(days=settings.VOUCHER_GRACE_DAYS)
    return timezone.make_aware(datetime.combine(last_day + timedelta(days=1), datetime.min.time()))


# Issuing ---------------------------------------------------------------------------------------------------------


def _serial_sql() -> str:
    if connection.vendor == "postgresql":
        return "gen_random_uuid()"
    return "lower(hex(randomblob(16)))"  # how Django stores a UUID on SQLite: 32 hex digits


def _issue_range(*, actor, cycle: Cycle, low: int, high: int) -> int:
    """Write the vouchers of the cycle's entitled households with low <= id < high that have none yet, and link them
    to their entitlements. One transaction; safe to redo (households with a voucher are skipped)."""
    with transaction.atomic():
        program = cycle.program
        # The key's row lock first, then the count: the indexes reserved are exactly the rows the INSERT writes.
        key = office_signing_key(actor=actor, office=program.office)
        pending = Entitlement.objects.filter(
            cycle=cycle, eligible=True, voucher__isnull=True, household_id__gte=low, household_id__lt=high
        )
        count = pending.count()
        if not count:
            return 0
        base = key.next_status_index
        SigningKey.objects.filter(pk=key.pk).update(next_status_index=base + count)
        ref = voucher_ref(cycle)
        divisor = "1" if program.kind == Program.Kind.CASH_BENEFIT else "1000.0"
        stamp_table, entitlement_table = Stamp._meta.db_table, Entitlement._meta.db_table
        insert = (
            f"INSERT INTO {stamp_table} (serial, household_id, person_id, duty_kind, duty_ref, duty_title,"
            " quantity, measure, period_start, period_end, unit_id, office_id, issued_at, issued_by_id, expires_at,"
            " signing_key_id, status_index, encoded, revoked_reason)"
            f" SELECT {_serial_sql()}, e.household_id, NULL, 'voucher', %s, %s, e.quantity / {divisor}, %s, %s, %s,"
            " e.unit_id, %s, %s, %s, %s, %s, %s + ROW_NUMBER() OVER (ORDER BY e.household_id) - 1, '', ''"
            f" FROM {entitlement_table} e WHERE e.cycle_id = %s AND e.eligible AND e.voucher_id IS NULL"
            " AND e.household_id >= %s AND e.household_id < %s"
        )
        params = [
            ref,
            (program.name_ko or program.name_en)[:120],
            voucher_measure(program),
            cycle.period_start,
            cycle.period_end,
            program.office_id,
            timezone.now().replace(microsecond=0),
            actor.pk if actor else None,
            voucher_expiry(cycle),
            key.pk,
            base,
            cycle.pk,
            low,
            high,
        ]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One statement: the new rows link themselves through RETURNING. A correlated lookup of each new
                # voucher among the household's stamps was planned before the new rows had statistics, as a scan.
                cursor.execute(
                    f"WITH issued AS ({insert} RETURNING id, household_id) UPDATE {entitlement_table} e"
                    " SET voucher_id = issued.id FROM issued"
                    " WHERE e.cycle_id = %s AND e.household_id = issued.household_id",
                    [*params, cycle.pk],
                )
            else:
                cursor.execute(insert, params)
                cursor.execute(
                    f"UPDATE {entitlement_table} SET voucher_id = (SELECT s.id FROM {stamp_table} s"
                    f" WHERE s.household_id = {entitlement_table}.household_id AND s.duty_kind = 'voucher'"
                    " AND s.duty_ref = %s) WHERE cycle_id = %s AND eligible AND voucher_id IS NULL"
                    " AND household_id >= %s AND household_id < %s",
                    [ref, cycle.pk, low, high],
                )
        return count


def cycle_vouchers_issue(*, actor, cycle: Cycle, progress=None, resume_from: int = 0) -> int:
    """Write a voucher for every entitled household of an approved cycle, range by range (a killed run resumes: each
    range skips the households that already have one). Audited once, when the last range is written."""
    from .services import chunk_ranges, default_chunk

    cycle = Cycle.objects.select_related("program__office__area", "program__area").get(pk=cycle.pk)
    if cycle.status not in OPEN_STATUSES:
        raise DomainError("status", "Vouchers are issued for an approved cycle.")
    bounds = cycle.snapshot.get("bounds") or [0, -1]
    ranges = chunk_ranges(bounds, default_chunk())
    written = 0
    for index in range(resume_from, len(ranges)):
        low, high = ranges[index]
        written += _issue_range(actor=actor, cycle=cycle, low=low, high=high)
        if progress is not None:
            progress(index + 1, len(ranges), f"households {low:,}–{high - 1:,}")
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.vouchers_issued_at is None:
            cycle.vouchers_issued_at = timezone.now()
            cycle.save(update_fields=["vouchers_issued_at"])
            total = Entitlement.objects.filter(cycle=cycle, voucher__isnull=False).count()
            audit_record(
                actor=actor,
                action="cycle.vouchers_issue",
                target=cycle,
                area=cycle.program.area,
                after={"vouchers": total, "valid_until": voucher_expiry(cycle)},
            )
    return written


def cycle_vouchers_schedule(*, actor, cycle: Cycle) -> None:
    """At approval, inside its transaction: write the vouchers now for a small cycle, or queue the job for a large
    one (the web and the API never write millions of rows in a request)."""
    from inminban.jobs.services import job_enqueue

    if cycle.entitled <= VOUCHER_INLINE_LIMIT:
        cycle_vouchers_issue(actor=actor, cycle=cycle)
        return
    job_enqueue(
        kind="cycle.issue_vouchers",
        params={"cycle": cycle.pk, "actor": actor.pk},
        actor=actor,
        dedupe_key=f"vouchers:{cycle.pk}",
    )


def cycle_vouchers_expire(*, actor, cycle: Cycle) -> int:
    """When a cycle closes, its vouchers with nothing handed out against them are revoked (the status lists then tell
    offline counters too); partly redeemed ones keep what was handed out, and are revoked for the rest."""
    vouchers = Stamp.objects.filter(
        duty_kind=Stamp.DutyKind.VOUCHER, duty_ref=voucher_ref(cycle), revoked_at__isnull=True
    ).filter(pk__in=Entitlement.objects.filter(cycle=cycle, redeemed__lt=F("quantity")).values("voucher_id"))
    key_ids = list(vouchers.values_list("signing_key_id", flat=True).distinct())
    count = vouchers.update(revoked_at=timezone.now(), revoked_reason="The cycle closed before it was collected.")
    for key_id in key_ids:
        key = SigningKey.objects.select_for_update().get(pk=key_id)
        key.status_version += 1
        key.save(update_fields=["status_version"])
    return count
