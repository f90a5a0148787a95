"""Feedback reports: an office asks how a campaign or a levy is going, mid-way, and the system compiles it per unit
and in total, once, when asked. The report is kept as it was compiled (`FeedbackReport.content`), so that it can be
printed and compared with a later one.

Compiled set-based: one grouped query per table (quotas, shares, waivers, petitions, signatures, the allocations'
explanations) and one per distinct as-of day of the quotas for the exemptions, whatever the number of units.

What each figure means (the report says it too, in `content["basis"]`):
- quota: what the office asked of the unit; allocated: the sum of the households' shares;
- due: allocated less approved waivers; done: hours attended or goods delivered;
- shortfall: what is still owed on shares in force (due − done, never below zero); shares the issuer cancelled
  (by suspending or cancelling it) are left out of it and counted apart with what they still owed;
- waivers: requested (every request, by count and quantity), granted (approved ones), pending;
- exemptions by reason: persons with a recorded exemption (disability, pregnancy, infant care) in force on the
  quota's as-of day, among the unit's members that day: the day the allocation read the registry. Whether the
  allocation excused them depends on the rule (which reasons it honours, the working ages); the number it did excuse
  for a recorded reason is `excused_by_exemption`, read from the shares' explanations;
- petitions: petitions about the obligation opened in the unit, and the households' signatures (not withdrawn) from
  the unit on them; complaints: petitions about an official's conduct opened in the unit since the obligation
  started (a conduct petition names an official, not a duty; one that does name it counts too), and their
  signatures. Withdrawn petitions are left out."""

from collections import defaultdict
from datetime import datetime, time
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_noop

from inminban.areas.access import MANAGE_AREAS, VIEW, require, restrict, subtree_q
from inminban.areas.models import Area
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError, NotVisible
from inminban.duties import selectors as duty_selectors
from inminban.duties.models import Campaign, ExemptionReason, Levy, Quota, Share, Waiver
from inminban.registry.models import Membership

from .models import FeedbackReport, Petition, Signature

ZERO = Decimal("0")
AMOUNT = DecimalField(max_digits=20, decimal_places=2)
BASIS = {
    "shortfall": "due minus done on shares in force, never below zero; cancelled shares counted apart",
    "exemptions": "persons with a recorded exemption in force on the quota's as-of day, among the unit's members then",
    "excused_by_exemption": "persons the allocation excused for a recorded exemption (from the shares' explanations)",
    "petitions": "petitions about it opened in the unit; signatures not withdrawn from the unit's households",
    "complaints": "petitions about an official's conduct opened in the unit since it started (or naming it), and "
    "their signatures",
}
FIGURES = ("quota", "allocated", "waived", "due", "done", "shortfall", "cancelled_remaining")
COUNTS = (
    "households",
    "fulfilled",
    "cancelled_shares",
    "waivers_requested",
    "waivers_granted",
    "waivers_pending",
    "excused_by_exemption",
    "petitions",
    "signatures",
    "complaints",
    "complaint_signatures",
)
QUANTITIES = ("waivers_requested_quantity", "waivers_granted_quantity")


def _obligation_q(obligation: Campaign | Levy, prefix: str = "") -> dict:
    field = "campaign" if isinstance(obligation, Campaign) else "levy"
    return {f"{prefix}{field}": obligation}


def _text(value) -> str:
    return format(Decimal(value or 0).quantize(Decimal("0.01")).normalize(), "f")


def compile_report(*, obligation: Campaign | Levy, area: Area) -> dict:
    """The report's content for the units of `area` that have a quota of the obligation (JSON-ready)."""
    quotas = list(
        Quota.objects.filter(subtree_q("unit__path", area.path), **_obligation_q(obligation))
        .values("unit_id", "unit__code", "unit__name_ko", "unit__name_en", "unit__path", "quantity", "as_of")
        .order_by("unit__path")
    )
    unit_ids = [row["unit_id"] for row in quotas]
    rows = {
        row["unit_id"]: {
            "unit": row["unit__code"],
            "name_ko": row["unit__name_ko"],
            "name_en": row["unit__name_en"],
            "as_of": row["as_of"].isoformat(),
            "quota": row["quantity"],
            **{name: ZERO for name in FIGURES if name != "quota"},
            **{name: 0 for name in COUNTS},
            **{name: ZERO for name in QUANTITIES},
            "exemptions": {reason: 0 for reason in ExemptionReason.values},
        }
        for row in quotas
    }

    shares = Share.objects.filter(**_obligation_q(obligation, "quota__"), quota__unit_id__in=unit_ids)
    due = F("quantity") - F("waived")
    in_force = Q(cancelled_at__isnull=True)
    owing = Case(When(in_force & Q(done__lt=due), then=due - F("done")), default=Value(ZERO), output_field=AMOUNT)
    for row in (
        shares.values("quota__unit_id")
        .annotate(
            households=Count("id"),
            allocated_sum=Sum("quantity"),
            waived_sum=Sum("waived"),
            done_sum=Sum("done"),
            shortfall_sum=Sum(owing),
            fulfilled=Count("id", filter=in_force & Q(done__gte=due, quantity__gt=F("waived"))),
            cancelled_shares=Count("id", filter=~in_force),
            cancelled_remaining_sum=Sum("cancelled_remaining"),
        )
        .order_by()
    ):
        target = rows[row["quota__unit_id"]]
        for name in ("households", "fulfilled", "cancelled_shares"):
            target[name] = row[name]
        for name in ("allocated", "waived", "done", "shortfall", "cancelled_remaining"):
            target[name] = row[f"{name}_sum"] or ZERO
        target["due"] = target["allocated"] - target["waived"]

    approved = Q(status=Waiver.Status.APPROVED)
    for row in (
        Waiver.objects.filter(share__in=shares)
        .values("share__quota__unit_id")
        .annotate(
            requested=Count("id"),
            requested_quantity=Sum("quantity"),
            granted=Count("id", filter=approved),
            granted_quantity=Sum("quantity", filter=approved),
            pending=Count("id", filter=Q(status=Waiver.Status.PENDING)),
        )
        .order_by()
    ):
        target = rows[row["share__quota__unit_id"]]
        target["waivers_requested"], target["waivers_granted"] = row["requested"], row["granted"]
        target["waivers_pending"] = row["pending"]
        target["waivers_requested_quantity"] = row["requested_quantity"] or ZERO
        target["waivers_granted_quantity"] = row["granted_quantity"] or ZERO

    # What the allocation itself excused: the explanation keeps counts only (no reason per person, by design).
    for unit_id, explanation in shares.values_list("quota__unit_id", "explanation"):
        rows[unit_id]["excused_by_exemption"] += int(((explanation or {}).get("exempt") or {}).get("exemption") or 0)

    by_day = defaultdict(list)
    for row in quotas:
        by_day[row["as_of"]].append(row["unit_id"])
    for day, units in sorted(by_day.items()):
        exempt = Q(person__duty_exemptions__since__lte=day) & (
            Q(person__duty_exemptions__until__isnull=True) | Q(person__duty_exemptions__until__gt=day)
        )
        for unit_id, reason, count in (
            Membership.objects.current_on(day)
            .filter(exempt, household__unit_id__in=units)
            .values_list("household__unit_id", "person__duty_exemptions__reason")
            .annotate(n=Count("person_id", distinct=True))
            .order_by()
        ):
            rows[unit_id]["exemptions"][reason] = count

    # Complaints: a conduct petition names an official, not a duty (petitions.py refuses both at once), so those
    # opened in the units since the obligation started count, and any that does name it.
    since = timezone.make_aware(datetime.combine(obligation.starts_on, time.min))
    conduct = Q(subject=Petition.Subject.CONDUCT)
    about = (
        Petition.objects.filter(unit_id__in=unit_ids)
        .filter(Q(**_obligation_q(obligation)) | conduct & Q(opened_at__gte=since))
        .exclude(status=Petition.Status.WITHDRAWN)
    )
    for row in (
        about.values("unit_id")
        .annotate(complaints=Count("id", filter=conduct), petitions=Count("id", filter=~conduct))
        .order_by()
    ):
        rows[row["unit_id"]]["petitions"], rows[row["unit_id"]]["complaints"] = row["petitions"], row["complaints"]
    conduct = Q(petition__subject=Petition.Subject.CONDUCT)
    for row in (
        Signature.objects.filter(petition__in=about.values("pk"), unit_id__in=unit_ids, withdrawn_at__isnull=True)
        .values("unit_id")
        .annotate(complaint_signatures=Count("id", filter=conduct), signatures=Count("id", filter=~conduct))
        .order_by()
    ):
        rows[row["unit_id"]]["signatures"] = row["signatures"]
        rows[row["unit_id"]]["complaint_signatures"] = row["complaint_signatures"]

    units = [rows[unit_id] for unit_id in unit_ids]
    total = {name: sum((row[name] for row in units), ZERO) for name in (*FIGURES, *QUANTITIES)}
    total |= {name: sum(row[name] for row in units) for name in COUNTS}
    total["exemptions"] = {reason: sum(row["exemptions"][reason] for row in units) for reason in ExemptionReason.values}
    for row in (*units, total):
        for name in (*FIGURES, *QUANTITIES):
            row[name] = _text(row[name])
    return {
        "obligation": {
            "ref": obligation.ref,
            "kind": "campaign" if isinstance(obligation, Campaign) else "levy",
            "title_ko": obligation.title_ko,
            "title_en": obligation.title_en,
            "measure": obligation.measure,
            "standing": obligation.standing,
            "standing_reason": obligation.standing_reason,
            "starts_on": obligation.starts_on.isoformat(),
            "ends_on": obligation.period_end.isoformat(),
        },
        "area": {"code": area.code, "name_ko": area.name_ko, "name_en": area.name_en},
        "rule_exempt_reasons": sorted(obligation.rule.exempt_reasons or []),
        "basis": BASIS,
        "units": units,
        "total": total,
    }


@transaction.atomic
def feedback_report_request(*, actor: User, obligation: Campaign | Levy, area: Area | None = None) -> FeedbackReport:
    """An office over the obligation's area (or over a part of it, given as `area`) asks for a report; it is compiled
    now and kept. Audited."""
    area = area or obligation.area
    require(actor, MANAGE_AREAS, area)
    obligation.refresh_from_db(fields=["standing", "standing_reason"])  # as it stands now, not as the caller read it
    if not area.path.startswith(obligation.area.path):
        raise DomainError("area", gettext_noop("This area is outside the area this was issued to."))
    office = duty_selectors.default_office(actor=actor, area=area)
    if office is None:
        raise DomainError("area", gettext_noop("No office of yours governs this area."))
    report = FeedbackReport(
        office=office,
        area=area,
        requested_by=actor,
        requested_at=timezone.now(),
        content=compile_report(obligation=obligation, area=area),
        **_obligation_q(obligation),
    )
    report.full_clean()
    report.save()
    total = report.content["total"]
    audit_record(
        actor=actor,
        action="feedback_report.request",
        target=report,
        area=area,
        after={
            "obligation": obligation.ref,
            "office": office.code,
            "area": area.code,
            "units": len(report.content["units"]),
            "shortfall": total["shortfall"],
        },
    )
    return report


# Selectors ---------------------------------------------------------------------------------------------------------


def feedback_reports_visible(*, actor) -> QuerySet[FeedbackReport]:
    """Reports on areas the actor may look into: the offices that asked, the offices above, auditors."""
    return restrict(
        FeedbackReport.objects.select_related("office__area", "area", "campaign", "levy", "requested_by"), actor, VIEW
    )


def feedback_report_detail(*, actor, pk) -> FeedbackReport:
    try:
        return feedback_reports_visible(actor=actor).get(pk=pk)
    except (FeedbackReport.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"feedback report {pk} not found") from None


def feedback_reports_of(*, actor, obligation: Campaign | Levy) -> QuerySet[FeedbackReport]:
    return feedback_reports_visible(actor=actor).filter(**_obligation_q(obligation))
