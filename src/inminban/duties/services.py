"""Every write about duties: permission first, then validation, then the change, then the audit entry, all in one
transaction. Officers (MANAGE_AREAS) issue directives, campaigns, levies and quotas and decide waivers; leaders
(CHANGE on their unit) record acknowledgements, sessions, attendance and deliveries and confirm fulfilled shares;
residents acknowledge directives and ask for waivers for their own household only."""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inminban.areas.access import CHANGE, MANAGE_AREAS, require, scope_for
from inminban.areas.models import Area, Office
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError
from inminban.common.measures import measure_words
from inminban.common.snapshots import snapshot
from inminban.common.validators import END_NOT_AFTER_START, effective_date, effective_period, past_date
from inminban.common.wording import amount
from inminban.registry.models import Household, Membership, Person
from inminban.registry.selectors import persons_visible as registry_persons_visible

from .allocation import AllocationError, allocate
from .models import (
    CENT,
    DEFAULT_STEPS,
    AllocationRule,
    Attendance,
    Campaign,
    Delivery,
    Directive,
    DirectiveAcknowledgement,
    DirectiveAttachment,
    DutyExemption,
    ExemptionReason,
    Levy,
    Measure,
    Quota,
    Session,
    Share,
    Standing,
    Waiver,
    plain,
)
from .rules import age_on, household_weight, unit_facts

STANDING_ACTIONS = {Standing.ACTIVE: "resume", Standing.SUSPENDED: "suspend", Standing.CANCELLED: "cancel"}
STANDING_ALREADY = {
    Standing.ACTIVE: "It is already in force.",
    Standing.SUSPENDED: "It is already suspended.",
    Standing.CANCELLED: "It is already cancelled.",
}
MAX_QUANTITY = Decimal("100000000000")  # 10^11: the columns hold 12 whole digits
DIRECTIVE_FIELDS = ("office", "area", "title_ko", "title_en", "effective_on", "due_on", "requires_ack")
OBLIGATION_FIELDS = ("office", "area", "title_ko", "title_en", "measure", "step", "rule", "place", "starts_on")
CAMPAIGN_MEASURES = (Measure.PERSON_HOURS, Measure.M3, Measure.KG)
LEVY_MEASURES = {
    Levy.Kind.FOOD: (Measure.KG,),
    Levy.Kind.MATERIALS: (Measure.KG, Measure.M3),
    Levy.Kind.MANURE: (Measure.KG, Measure.M3),
    Levy.Kind.CASH: (Measure.KPW,),
}


# Checks ---------------------------------------------------------------------------------------------------------


def _text(field: str, value, *, required: bool = True, max_length: int = 200) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(field, "Text is required here.")
    value = (value or "").strip()
    if required and not value:
        raise DomainError(field, "This field is required.")
    if len(value) > max_length:
        raise DomainError(field, "At most %(count)s characters.", params={"count": max_length})
    return value


def quantity_value(field: str, value, *, allow_zero: bool = False) -> Decimal:
    """A quantity as a Decimal with at most two decimals; rejects text, NaN, infinities and negatives."""
    if isinstance(value, bool) or value is None:
        raise DomainError(field, "A number is required.")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(field, "A number is required.") from None
    if not number.is_finite():
        raise DomainError(field, "A finite number is required.")
    if number < 0:
        raise DomainError(field, "The quantity cannot be negative.")
    if number == 0 and not allow_zero:
        raise DomainError(field, "The quantity must be more than zero.")
    if number >= MAX_QUANTITY:
        raise DomainError(field, "The quantity is too large.")
    if number != number.quantize(CENT):
        raise DomainError(field, "At most two decimal places.")
    return number.quantize(CENT)


def _titles(title_ko: str, title_en: str) -> tuple[str, str]:
    title_ko = _text("title_ko", title_ko, required=False)
    title_en = _text("title_en", title_en, required=False)
    if not title_ko and not title_en:
        raise DomainError("title_en", "A title in Korean or English is required.")
    return title_ko, title_en


def _require_office(actor: User, office: Office, area: Area) -> None:
    """Officers act for their own office, on areas it governs."""
    require(actor, MANAGE_AREAS, area)
    require(actor, MANAGE_AREAS, office.area)
    if not area.path.startswith(office.area.path):
        raise DomainError("area", f"{area.code} is outside the area of {office.code}.")


def _is_own_household(actor: User, household: Household) -> bool:
    return household.pk in scope_for(actor).household_ids


def _require_own_or_change(actor: User, household: Household, unit: Area) -> str:
    """Residents act for their own household; anyone else needs CHANGE on the unit. Returns the channel."""
    if _is_own_household(actor, household):
        return DirectiveAcknowledgement.Channel.RESIDENT
    require(actor, CHANGE, unit)
    return DirectiveAcknowledgement.Channel.LEADER


def _audit(actor: User, action: str, obj, *, area: Area, household_id: int | None = None, before=None, after=None):
    audit_record(
        actor=actor, action=action, target=obj, area=area, household_id=household_id, before=before, after=after
    )


def _stamp_issue(**kwargs):
    # Imported here: the stamps app depends on nothing in duties, and duties works (minus stamps) without it.
    from inminban.stamps.services import stamp_issue

    return stamp_issue(**kwargs)


# Allocation rules and exemptions ----------------------------------------------------------------------------------


@transaction.atomic
def rule_create(
    *,
    actor: User,
    code: str,
    method: str,
    name_ko: str = "",
    name_en: str = "",
    min_age: int = 17,
    max_age: int = 60,
    exempt_reasons: Iterable[str] | None = None,
    exempt_occupations: Iterable[str] = (),
    office: Office | None = None,
) -> AllocationRule:
    """Add an allocation rule: deployment-wide (administrators) or for one office (its officers)."""
    if office is None:
        if not scope_for(actor).is_admin:
            raise DomainError("office", "Only an administrator can add a rule for the whole deployment.")
    else:
        require(actor, MANAGE_AREAS, office.area)
    code = _text("code", code, max_length=48)
    if AllocationRule.objects.filter(code=code).exists():
        raise DomainError("code", f"The rule code {code!r} is already used.")
    if method not in AllocationRule.Method.values:
        raise DomainError("method", f"Unknown method {method!r}; one of {', '.join(AllocationRule.Method.values)}.")
    for field, value in (("min_age", min_age), ("max_age", max_age)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 120:
            raise DomainError(field, "An age from 0 to 120 is required.")
    if min_age > max_age:
        raise DomainError("max_age", "The oldest liable age cannot be below the youngest.")
    reasons = list(ExemptionReason.values if exempt_reasons is None else exempt_reasons)
    unknown = [reason for reason in reasons if reason not in ExemptionReason.values]
    if unknown:
        raise DomainError("exempt_reasons", f"Unknown exemption {unknown[0]!r}.")
    occupations = [_text("exempt_occupations", title, max_length=128) for title in exempt_occupations]
    if len(occupations) > 50:
        raise DomainError("exempt_occupations", "At most 50 exempt occupations.")
    rule = AllocationRule(
        code=code,
        name_ko=_text("name_ko", name_ko, required=False, max_length=128),
        name_en=_text("name_en", name_en, required=False, max_length=128),
        office=office,
        method=method,
        min_age=min_age,
        max_age=max_age,
        exempt_reasons=sorted(set(reasons)),
        exempt_occupations=sorted(set(occupations)),
    )
    rule.full_clean()
    rule.save()
    _audit(actor, "allocation_rule.create", rule, area=office.area if office else None, after=rule.as_params())
    return rule


def _check_exemption_overlap(person: Person, reason: str, since: date, until: date | None, exclude_pk=None) -> None:
    overlapping = DutyExemption.objects.filter(person=person, reason=reason).exclude(pk=exclude_pk)
    overlapping = overlapping.exclude(until__lte=since)
    if until is not None:
        overlapping = overlapping.filter(since__lt=until)
    if overlapping.exists():
        raise DomainError("since", "The person already has this exemption over these dates.")


@transaction.atomic
def exemption_record(
    *, actor: User, person: Person, reason: str, since: date, until: date | None = None
) -> DutyExemption:
    """Excuse a person from labour and levies for a reason from the fixed list (leader or officer of the unit)."""
    if person.household_id is None:
        raise DomainError("person", "The person is not in a household.")
    unit = person.household.unit
    require(actor, CHANGE, unit)
    if reason not in ExemptionReason.values:
        raise DomainError("reason", f"Unknown reason {reason!r}; one of {', '.join(ExemptionReason.values)}.")
    effective_period(since, until)
    _check_exemption_overlap(person, reason, since, until)
    exemption = DutyExemption(
        person=person, reason=reason, since=since, until=until, recorded_by=actor, recorded_at=timezone.now()
    )
    exemption.full_clean()
    exemption.save()
    _audit(
        actor,
        "exemption.record",
        exemption,
        area=unit,
        # Restricted data: the reason stays in the exemption row (leader and office only), and the entry is not
        # tied to the household, so it never shows in the household's change history seen by residents.
        after=snapshot(exemption, ("person", "since", "until")),
    )
    return exemption


@transaction.atomic
def exemption_end(*, actor: User, exemption: DutyExemption, until: date) -> DutyExemption:
    """End an exemption on a date (exclusive)."""
    unit = exemption.person.household.unit
    require(actor, CHANGE, unit)
    until = effective_date("until", until)
    if until <= exemption.since:
        raise DomainError("until", END_NOT_AFTER_START)
    if exemption.until is not None and exemption.until <= until:
        raise DomainError("until", "The exemption already ends by then.")
    before = snapshot(exemption, ("until",))
    exemption.until = until
    exemption.save(update_fields=["until"])
    _audit(
        actor,
        "exemption.end",
        exemption,
        area=unit,
        before=before,
        after=snapshot(exemption, ("until",)),
    )
    return exemption


@transaction.atomic
def exemption_update(
    *, actor: User, exemption: DutyExemption, since: date | None = None, until: date | None = None
) -> DutyExemption:
    """Correct the dates of an exemption, e.g. a start dated years ahead by mistake (which no end could follow)."""
    unit = exemption.person.household.unit
    require(actor, CHANGE, unit)
    new_since = effective_date("since", since) if since is not None else exemption.since
    new_until = effective_date("until", until) if until is not None else exemption.until
    if new_until is not None and new_until <= new_since:
        raise DomainError("until", END_NOT_AFTER_START)
    _check_exemption_overlap(exemption.person, exemption.reason, new_since, new_until, exclude_pk=exemption.pk)
    before = snapshot(exemption, ("since", "until"))
    exemption.since, exemption.until = new_since, new_until
    exemption.full_clean()
    exemption.save(update_fields=["since", "until"])
    # Not tied to the household, and without the reason: see exemption_record.
    _audit(
        actor, "exemption.update", exemption, area=unit, before=before, after=snapshot(exemption, ("since", "until"))
    )
    return exemption


# Directives -----------------------------------------------------------------------------------------------------


def _attachments(items) -> list[tuple[str, str]]:
    validate = URLValidator(schemes=["http", "https"])
    result = []
    for item in items or ():
        title, url = (item.get("title"), item.get("url")) if isinstance(item, dict) else item
        url = _text("attachments", url, max_length=500)
        try:
            validate(url)
        except ValidationError:
            raise DomainError("attachments", f"{url!r} is not an http(s) address.") from None
        result.append((_text("attachments", title or url, max_length=200), url))
    if len(result) > 20:
        raise DomainError("attachments", "At most 20 attachments.")
    return result


@transaction.atomic
def directive_issue(
    *,
    actor: User,
    office: Office,
    area: Area,
    effective_on: date,
    title_ko: str = "",
    title_en: str = "",
    text_ko: str = "",
    text_en: str = "",
    due_on: date | None = None,
    requires_ack: bool = True,
    attachments: Iterable = (),
) -> Directive:
    """An office sends a directive to every household under `area`."""
    _require_office(actor, office, area)
    title_ko, title_en = _titles(title_ko, title_en)
    text_ko = _text("text_ko", text_ko, required=False, max_length=20000)
    text_en = _text("text_en", text_en, required=False, max_length=20000)
    if not text_ko and not text_en:
        raise DomainError("text_en", "The text in Korean or English is required.")
    effective_on = effective_date("effective_on", effective_on)
    due_on = effective_date("due_on", due_on, required=False)
    if requires_ack and due_on is None:
        raise DomainError("due_on", "A directive that asks for acknowledgement needs a due date.")
    if due_on is not None and due_on < effective_on:
        raise DomainError("due_on", "The due date cannot come before the effective date.")
    links = _attachments(attachments)
    directive = Directive(
        office=office,
        area=area,
        title_ko=title_ko,
        title_en=title_en,
        text_ko=text_ko,
        text_en=text_en,
        effective_on=effective_on,
        due_on=due_on,
        requires_ack=bool(requires_ack),
        issued_by=actor,
        issued_at=timezone.now(),
    )
    directive.full_clean()
    directive.save()
    DirectiveAttachment.objects.bulk_create(
        DirectiveAttachment(directive=directive, title=title, url=url) for title, url in links
    )
    _audit(
        actor,
        "directive.issue",
        directive,
        area=area,
        after=snapshot(directive, DIRECTIVE_FIELDS) | {"attachments": [url for _, url in links]},
    )
    return directive


@transaction.atomic
def directive_acknowledge(*, actor: User, directive: Directive, household: Household) -> DirectiveAcknowledgement:
    """Record that a household received a directive: the resident for their own household, or the leader."""
    channel = _require_own_or_change(actor, household, household.unit)
    if not directive.requires_ack:
        raise DomainError("directive", "This directive does not ask for acknowledgement.")
    if not household.unit.path.startswith(directive.area.path) or household.dissolved_on is not None:
        raise DomainError(
            "household",
            "This directive is not addressed to household %(number)s.",
            params={"number": household.number},
        )
    if directive.effective_on > timezone.localdate():
        raise DomainError(
            "directive",
            "The directive takes effect only on %(day)s.",
            params={"day": directive.effective_on.isoformat()},
        )
    existing = DirectiveAcknowledgement.objects.filter(directive=directive, household=household).first()
    if existing is not None:
        raise DomainError(
            "household",
            "Household %(number)s has already acknowledged this directive.",
            params={"number": household.number},
        )
    ack = DirectiveAcknowledgement(
        directive=directive,
        household=household,
        acknowledged_at=timezone.now(),
        recorded_by=actor,
        channel=channel,
    )
    ack.save()
    _audit(
        actor,
        "directive.acknowledge",
        ack,
        area=household.unit,
        household_id=household.pk,
        after={"directive": directive.pk, "household": household.pk, "channel": channel},
    )
    return ack


@transaction.atomic
def acknowledgement_confirm(*, actor: User, acknowledgement: DirectiveAcknowledgement):
    """The leader confirms an acknowledgement; a stamp is issued for the household. Returns the stamp."""
    ack = (
        DirectiveAcknowledgement.objects.select_for_update()
        .select_related("directive", "household__unit")
        .get(pk=acknowledgement.pk)
    )
    household, directive = ack.household, ack.directive
    require(actor, CHANGE, household.unit)
    if ack.confirmed_at is not None:
        raise DomainError("acknowledgement", f"Already confirmed; stamp {ack.stamp_serial}.")
    stamp = _stamp_issue(
        actor=actor,
        household=household,
        duty_kind="directive",
        duty_ref=directive.ref,
        duty_title=(directive.title_ko or directive.title_en)[:120],
        quantity=Decimal("1"),
        measure="",  # the duty kind already says "acknowledged"; every character counts in the QR code
        period_start=directive.effective_on,
        period_end=directive.due_on or directive.effective_on,
    )
    ack.confirmed_at, ack.confirmed_by, ack.stamp_serial = timezone.now(), actor, str(stamp.serial)
    ack.save(update_fields=["confirmed_at", "confirmed_by", "stamp_serial"])
    _audit(
        actor,
        "directive.confirm",
        ack,
        area=household.unit,
        household_id=household.pk,
        after={"directive": directive.pk, "household": household.pk, "stamp": ack.stamp_serial},
    )
    acknowledgement.confirmed_at, acknowledgement.stamp_serial = ack.confirmed_at, ack.stamp_serial
    return stamp


def acknowledgement_undo_until(acknowledgement: DirectiveAcknowledgement) -> datetime:
    """Until when a mistaken tap can be taken back (INMINBAN_ACK_UNDO_MINUTES after it)."""
    return acknowledgement.acknowledged_at + timedelta(minutes=settings.ACK_UNDO_MINUTES)


@transaction.atomic
def acknowledgement_undo(*, actor: User, acknowledgement: DirectiveAcknowledgement, reason: str) -> None:
    """Take back an acknowledgement tapped by mistake: only by whoever recorded it, only before its stamp, and only
    within INMINBAN_ACK_UNDO_MINUTES of the tap. Audited as a correction of its own, with the reason; the household
    can then be acknowledged again."""
    ack = (
        DirectiveAcknowledgement.objects.select_for_update()
        .select_related("directive", "household__unit")
        .filter(pk=acknowledgement.pk)
        .first()
    )
    if ack is None:
        raise DomainError("acknowledgement", "This acknowledgement was already taken back.")
    household = ack.household
    _require_own_or_change(actor, household, household.unit)
    reason = _text("reason", reason)
    if ack.recorded_by_id != actor.pk:
        raise DomainError("acknowledgement", "Only whoever recorded an acknowledgement can take it back.")
    if ack.confirmed_at is not None:
        raise DomainError("acknowledgement", "A stamp was issued for this acknowledgement; it can no longer be undone.")
    if timezone.now() > acknowledgement_undo_until(ack):
        raise DomainError(
            "acknowledgement",
            "An acknowledgement can be undone only within %(minutes)d minutes of the tap.",
            params={"minutes": settings.ACK_UNDO_MINUTES},
        )
    _audit(
        actor,
        "directive.acknowledge_undo",
        ack,
        area=household.unit,
        household_id=household.pk,
        before={
            "directive": ack.directive_id,
            "household": household.pk,
            "channel": ack.channel,
            "acknowledged_at": ack.acknowledged_at,
        },
        after={"reason": reason},
    )
    ack.delete()


# Campaigns and levies ---------------------------------------------------------------------------------------------


def _obligation_values(
    *,
    actor,
    office,
    area,
    title_ko,
    title_en,
    description_ko,
    description_en,
    measure,
    allowed_measures,
    rule,
    place,
    starts_on,
    step,
) -> dict:
    _require_office(actor, office, area)
    title_ko, title_en = _titles(title_ko, title_en)
    if measure not in allowed_measures:
        raise DomainError(
            "measure",
            "Choose one of the measures offered: %(measures)s.",
            params={"measures": ", ".join(measure_words(m) for m in allowed_measures)},
        )
    if not isinstance(rule, AllocationRule):
        raise DomainError("rule", "An allocation rule is required.")
    if rule.office_id is not None and not area.path.startswith(rule.office.area.path):
        raise DomainError("rule", f"The rule {rule.code} belongs to another office.")
    step = DEFAULT_STEPS[measure] if step is None else quantity_value("step", step)
    return {
        "office": office,
        "area": area,
        "title_ko": title_ko,
        "title_en": title_en,
        "description_ko": _text("description_ko", description_ko, required=False, max_length=20000),
        "description_en": _text("description_en", description_en, required=False, max_length=20000),
        "measure": measure,
        "step": step,
        "rule": rule,
        "place": _text("place", place, required=False),
        "starts_on": effective_date("starts_on", starts_on),
        "created_by": actor,
        "created_at": timezone.now(),
    }


@transaction.atomic
def campaign_create(
    *,
    actor: User,
    office: Office,
    area: Area,
    measure: str,
    rule: AllocationRule,
    starts_on: date,
    ends_on: date,
    title_ko: str = "",
    title_en: str = "",
    description_ko: str = "",
    description_en: str = "",
    place: str = "",
    step=None,
) -> Campaign:
    """An office calls a labour campaign over `area`; quotas per unit follow with `quota_set`."""
    values = _obligation_values(
        actor=actor,
        office=office,
        area=area,
        title_ko=title_ko,
        title_en=title_en,
        description_ko=description_ko,
        description_en=description_en,
        measure=measure,
        allowed_measures=CAMPAIGN_MEASURES,
        rule=rule,
        place=place,
        starts_on=starts_on,
        step=step,
    )
    ends_on = effective_date("ends_on", ends_on)
    if ends_on < values["starts_on"]:
        raise DomainError("ends_on", "The campaign cannot end before it starts.")
    campaign = Campaign(**values, ends_on=ends_on)
    campaign.full_clean()
    campaign.save()
    _audit(
        actor,
        "campaign.create",
        campaign,
        area=area,
        after=snapshot(campaign, (*OBLIGATION_FIELDS, "ends_on")),
    )
    return campaign


@transaction.atomic
def levy_create(
    *,
    actor: User,
    office: Office,
    area: Area,
    kind: str,
    measure: str,
    rule: AllocationRule,
    starts_on: date,
    due_on: date,
    title_ko: str = "",
    title_en: str = "",
    description_ko: str = "",
    description_en: str = "",
    place: str = "",
    step=None,
) -> Levy:
    """An office lays a levy of goods or cash on `area`; quotas per unit follow with `quota_set`."""
    if kind not in Levy.Kind.values:
        _require_office(actor, office, area)
        raise DomainError("kind", f"Unknown kind {kind!r}; one of {', '.join(Levy.Kind.values)}.")
    values = _obligation_values(
        actor=actor,
        office=office,
        area=area,
        title_ko=title_ko,
        title_en=title_en,
        description_ko=description_ko,
        description_en=description_en,
        measure=measure,
        allowed_measures=LEVY_MEASURES[kind],
        rule=rule,
        place=place,
        starts_on=starts_on,
        step=step,
    )
    due_on = effective_date("due_on", due_on)
    if due_on < values["starts_on"]:
        raise DomainError("due_on", "The levy cannot be due before it starts.")
    levy = Levy(**values, kind=kind, due_on=due_on)
    levy.full_clean()
    levy.save()
    _audit(actor, "levy.create", levy, area=area, after=snapshot(levy, (*OBLIGATION_FIELDS, "kind", "due_on")))
    return levy


@transaction.atomic
def obligation_standing_set(*, actor: User, obligation: Campaign | Levy, standing: str, reason: str) -> Campaign | Levy:
    """The issuing office (or one above it) suspends, cancels or resumes a campaign or levy. Suspending or cancelling
    cancels every open share in one statement (what was still owed is forgiven, never passed on); resuming a
    suspension restores exactly those shares. While it is stopped, rules that require its stamp count it as
    fulfilled, and stamps already issued stay valid; a cancellation is final. Governance's `suspensions` wraps this
    with the petitions' answers, the directive to the households and their notifications."""
    model = type(obligation)
    obligation = model.objects.select_for_update().select_related("office__area", "area").get(pk=obligation.pk)
    _require_office(actor, obligation.office, obligation.area)
    if standing not in Standing.values:
        raise DomainError("standing", f"One of: {', '.join(Standing.values)}.")
    reason = _text("reason", reason, max_length=300)
    if obligation.standing == Standing.CANCELLED:
        raise DomainError("standing", "The obligation was cancelled; a cancellation cannot be undone.")
    if standing == obligation.standing:
        raise DomainError("standing", STANDING_ALREADY[standing])
    before = snapshot(obligation, ("standing", "standing_reason"))
    now = timezone.now()
    obligation.standing, obligation.standing_reason = standing, reason
    obligation.standing_changed_at, obligation.standing_changed_by = now, actor
    obligation.save(update_fields=["standing", "standing_reason", "standing_changed_at", "standing_changed_by"])
    shares = Share.objects.filter(**{f"quota__{key}": value for key, value in _quota_filter(obligation).items()})
    if standing == Standing.ACTIVE:
        # Only a suspension can be resumed, and a suspension is the only thing that cancels shares of an obligation
        # still open to resuming: every share cancelled now was cancelled by it.
        changed = {
            "shares_restored": shares.filter(cancelled_at__isnull=False).update(
                cancelled_at=None, cancelled_remaining=None
            )
        }
    else:
        # Open shares are forgiven, not passed on: nobody else's share grows. Fulfilled ones keep their claim to a
        # stamp, and stamps already issued stay valid.
        changed = {
            "shares_cancelled": shares.filter(
                cancelled_at__isnull=True, confirmed_at__isnull=True, done__lt=F("quantity") - F("waived")
            ).update(cancelled_at=now, cancelled_remaining=F("quantity") - F("waived") - F("done"))
        }
    _audit(
        actor,
        f"{model._meta.model_name}.{STANDING_ACTIONS[standing]}",
        obligation,
        area=obligation.area,
        before=before,
        after=snapshot(obligation, ("standing", "standing_reason")) | changed,
    )
    return obligation


def _quota_filter(obligation: Campaign | Levy) -> dict:
    return {"campaign": obligation} if isinstance(obligation, Campaign) else {"levy": obligation}


def _quota_started(quota: Quota) -> bool:
    shares = Share.objects.filter(quota=quota)
    return (
        shares.filter(done__gt=0).exists()
        or shares.filter(waived__gt=0).exists()
        or shares.filter(confirmed_at__isnull=False).exists()
        or Waiver.objects.filter(share__quota=quota).exists()
        or Attendance.objects.filter(share__quota=quota).exists()
        or Delivery.objects.filter(share__quota=quota).exists()
    )


@transaction.atomic
def quota_set(*, actor: User, obligation: Campaign | Levy, unit: Area, quantity) -> Quota:
    """Set a unit's quota and allocate it to the unit's households under the obligation's rule, exactly, by
    largest remainder. Re-setting is allowed until a household has started on its share."""
    require(actor, MANAGE_AREAS, unit)
    if not unit.level.is_unit:
        raise DomainError("unit", f"{unit.code} is not a unit.")
    if not unit.path.startswith(obligation.area.path):
        raise DomainError("unit", "This unit is outside the area this was issued to.")
    quantity = quantity_value("quantity", quantity, allow_zero=True)
    if obligation.is_stopped:
        # Re-allocating would hand the stopped duty to households again (or to other households).
        raise DomainError("quantity", "The issuer stopped this; its quotas cannot change.")
    step = obligation.step
    if quantity % step:
        raise DomainError(
            "quantity",
            "The quota must be a whole multiple of %(step)s.",
            params={"step": amount(step, obligation.measure)},
        )
    quota = Quota.objects.select_for_update().filter(unit=unit, **_quota_filter(obligation)).first()
    if quota is not None and _quota_started(quota):
        raise DomainError("quantity", "Households have already started on this quota; it can no longer change.")

    on = timezone.localdate()
    rule = obligation.rule
    params = rule.as_params()
    facts = unit_facts(
        unit=unit,
        on=on,
        need_jobs=bool(params["exempt_occupations"]),
        need_income=rule.method == AllocationRule.Method.CAPACITY,
    )
    weighings = {household.pk: household_weight(params, members) for household, members in facts.items()}
    steps = int(quantity / step)
    try:
        allotments = allocate(steps, [(pk, w.weight) for pk, w in weighings.items()], salt=obligation.ref)
    except AllocationError:
        why = (
            "No household of the unit can carry a share under this rule: none has declared an income."
            if rule.method == AllocationRule.Method.CAPACITY
            else "No household of the unit can carry a share under this rule: every member is exempt."
        )
        raise DomainError("quantity", why) from None

    before = None
    if quota is None:
        quota = Quota(unit=unit, quantity=quantity, as_of=on, set_by=actor, set_at=timezone.now())
        setattr(quota, "campaign" if isinstance(obligation, Campaign) else "levy", obligation)
    else:
        before = {"quantity": quota.quantity, "as_of": quota.as_of}
        quota.quantity, quota.as_of, quota.set_by, quota.set_at = quantity, on, actor, timezone.now()
        Share.objects.filter(quota=quota).delete()
    quota.full_clean(validate_constraints=False)
    quota.save()
    common = {"rule": params, "as_of": on.isoformat(), "quota": str(quantity), "step": str(step), "steps": steps}
    shares = [
        Share(
            quota=quota,
            household_id=allotment.key,
            quantity=(allotment.share * step).quantize(CENT),
            explanation=common
            | weighings[allotment.key].explain()
            | {"allotment": allotment.explain(), "share": str((allotment.share * step).quantize(CENT))},
        )
        for allotment in allotments
    ]
    Share.objects.bulk_create(shares, batch_size=500)
    _audit(
        actor,
        "quota.set",
        quota,
        area=unit,
        before=before,
        after={
            "obligation": obligation.ref,
            "unit": unit.code,
            "quantity": quantity,
            "as_of": on,
            "rule": rule.code,
            "shares": {str(share.household_id): str(share.quantity) for share in shares},
        },
    )
    return quota


# Waivers --------------------------------------------------------------------------------------------------------


def _locked_share(share: Share) -> Share:
    return Share.objects.select_for_update().select_related("quota__unit", "household").get(pk=share.pk)


def _refuse_cancelled(share: Share, field: str = "share") -> None:
    """Nothing is recorded against a share its issuer cancelled (by suspending or cancelling the obligation)."""
    if share.cancelled_at is not None:
        raise DomainError(field, "The issuer stopped this duty: nothing more is asked of this household for it.")


@transaction.atomic
def waiver_request(*, actor: User, share: Share, reason: str, quantity=None) -> Waiver:
    """Ask to be let off (part of) a share for hardship: the household itself or its leader."""
    share = _locked_share(share)
    _require_own_or_change(actor, share.household, share.quota.unit)
    _refuse_cancelled(share)
    if share.confirmed_at is not None:
        raise DomainError("share", "This share is already confirmed.")
    open_amount = share.due - share.done
    if open_amount <= 0:
        raise DomainError("share", "Nothing is left to waive on this share.")
    quantity = open_amount if quantity is None else quantity_value("quantity", quantity)
    if quantity > open_amount:
        raise DomainError(
            "quantity",
            "At most %(amount)s can be waived: that is what is left to do.",
            params={"amount": amount(open_amount, share.quota.obligation.measure)},
        )
    reason = _text("reason", reason, max_length=300)
    if Waiver.objects.filter(share=share, status=Waiver.Status.PENDING).exists():
        raise DomainError("share", "A waiver request for this share is already waiting for a decision.")
    waiver = Waiver(share=share, quantity=quantity, reason=reason, requested_by=actor, requested_at=timezone.now())
    waiver.save()
    _audit(
        actor,
        "waiver.request",
        waiver,
        area=share.quota.unit,
        household_id=share.household_id,
        after={"share": share.pk, "quantity": quantity, "reason": reason},
    )
    return waiver


@transaction.atomic
def waiver_decide(*, actor: User, waiver: Waiver, approve: bool, note: str = "") -> Waiver:
    """An officer approves or rejects a waiver. Approved amounts are forgiven, not passed to the neighbours."""
    waiver = Waiver.objects.select_for_update().get(pk=waiver.pk)
    share = _locked_share(waiver.share)
    require(actor, MANAGE_AREAS, share.quota.unit)
    if waiver.status != Waiver.Status.PENDING:
        raise DomainError(
            "waiver",
            "This request was already approved."
            if waiver.status == Waiver.Status.APPROVED
            else "This request was already rejected.",
        )
    if not isinstance(approve, bool):
        raise DomainError("approve", "Approve or reject.")
    note = _text("note", note, required=False, max_length=300)
    if approve:
        _refuse_cancelled(share, "waiver")
        if share.confirmed_at is not None:
            raise DomainError("waiver", "The share is already confirmed.")
        if waiver.quantity > share.due - share.done:
            raise DomainError(
                "waiver",
                "Only %(amount)s is left to do on this share now.",
                params={"amount": amount(share.due - share.done, share.quota.obligation.measure)},
            )
        Share.objects.filter(pk=share.pk).update(waived=F("waived") + waiver.quantity)
    waiver.status = Waiver.Status.APPROVED if approve else Waiver.Status.REJECTED
    waiver.decided_by, waiver.decided_at, waiver.decision_note = actor, timezone.now(), note
    waiver.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _audit(
        actor,
        f"waiver.{waiver.status}",
        waiver,
        area=share.quota.unit,
        household_id=share.household_id,
        before={"status": Waiver.Status.PENDING, "waived": share.waived},
        after={"status": waiver.status, "waived": share.waived + (waiver.quantity if approve else 0), "note": note},
    )
    return waiver


# Sessions and attendance --------------------------------------------------------------------------------------


@transaction.atomic
def session_create(
    *, actor: User, campaign: Campaign, unit: Area, on: date, starts_at: time, ends_at: time, place: str = ""
) -> Session:
    """Schedule a turnout of a unit for a campaign, on a day within the campaign."""
    require(actor, CHANGE, unit)
    if not Quota.objects.filter(campaign=campaign, unit=unit).exists():
        raise DomainError("unit", "The campaign has no quota for this unit.")
    on = effective_date("on", on)
    if not campaign.starts_on <= on <= campaign.ends_on:
        raise DomainError(
            "on",
            "The session must fall within the campaign, %(start)s to %(end)s.",
            params={"start": campaign.starts_on.isoformat(), "end": campaign.ends_on.isoformat()},
        )
    if not isinstance(starts_at, time) or not isinstance(ends_at, time):
        raise DomainError("starts_at", "Start and end times are required (HH:MM).")
    if ends_at <= starts_at:
        raise DomainError("ends_at", "The session must end after it starts.")
    session = Session(
        campaign=campaign,
        unit=unit,
        on=on,
        starts_at=starts_at,
        ends_at=ends_at,
        place=_text("place", place, required=False) or campaign.place,
        created_by=actor,
        created_at=timezone.now(),
    )
    session.full_clean()
    session.save()
    _audit(
        actor,
        "session.create",
        session,
        area=unit,
        after=snapshot(session, ("campaign", "unit", "on", "starts_at", "ends_at", "place")),
    )
    return session


@transaction.atomic
def attendance_record(*, actor: User, session: Session, person: Person, hours=None) -> Attendance:
    """A person worked at a session; the hours go to their household's share of the campaign."""
    require(actor, CHANGE, session.unit)
    if session.on > timezone.localdate():
        raise DomainError(
            "session", "The session on %(day)s has not taken place yet.", params={"day": session.on.isoformat()}
        )
    membership = (
        Membership.objects.current_on(session.on)
        .filter(person=person, household__unit=session.unit)
        .select_related("household")
        .first()
    )
    if membership is None:
        raise DomainError(
            "person", "%(person)s is not a member of a household of this unit.", params={"person": str(person)}
        )
    household = membership.household
    share = (
        Share.objects.select_for_update().filter(quota__campaign_id=session.campaign_id, household=household).first()
    )
    if share is None:
        raise DomainError(
            "person", "Household %(number)s has no share in this campaign.", params={"number": household.number}
        )
    _refuse_cancelled(share, "person")
    if share.confirmed_at is not None:
        raise DomainError(
            "person",
            "The share of household %(number)s is already confirmed.",
            params={"number": household.number},
        )
    if Attendance.objects.filter(session=session, person=person).exists():
        raise DomainError("person", "%(person)s is already recorded at this session.", params={"person": str(person)})
    hours = session.hours if hours is None else quantity_value("hours", hours)
    if hours > session.hours:
        raise DomainError(
            "hours",
            "At most %(hours)s hours: the length of the session.",
            params={"hours": plain(session.hours)},
        )
    attendance = Attendance(
        session=session,
        person=person,
        household=household,
        share=share,
        hours=hours,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    attendance.save()
    if session.campaign.measure == Measure.PERSON_HOURS:
        Share.objects.filter(pk=share.pk).update(done=F("done") + hours)
    _audit(
        actor,
        "attendance.record",
        attendance,
        area=session.unit,
        household_id=household.pk,
        after={"session": session.pk, "person": person.pk, "household": household.pk, "hours": hours},
    )
    return attendance


@transaction.atomic
def attendance_remove(*, actor: User, attendance: Attendance) -> None:
    """Take back an attendance recorded by mistake, unless the share is already confirmed."""
    session = attendance.session
    require(actor, CHANGE, session.unit)
    share = Share.objects.select_for_update().get(pk=attendance.share_id)
    if share.confirmed_at is not None:
        raise DomainError("attendance", "The household's share is already confirmed.")
    after = {"session": session.pk, "person": attendance.person_id, "hours": attendance.hours}
    _audit(
        actor, "attendance.remove", attendance, area=session.unit, household_id=attendance.household_id, before=after
    )
    if session.campaign.measure == Measure.PERSON_HOURS:
        Share.objects.filter(pk=share.pk).update(done=F("done") - attendance.hours)
    attendance.delete()


def _person_ids(values: Iterable) -> set[int]:
    wanted = set()
    for value in values:
        try:
            person_id = int(value)
        except (TypeError, ValueError):
            raise DomainError("person", f"{value!r} is not a person id.") from None
        if not 1 <= person_id < 2**63:
            raise DomainError("person", f"{value!r} is not a person id.")
        wanted.add(person_id)
    return wanted


@transaction.atomic
def session_sheet_save(
    *, actor: User, session: Session, person_ids: Iterable, overrides: dict[int, str] | None = None
) -> dict:
    """The attendance sheet as the leader fills it on the page. Like `session_attendance_set`, but a person newly
    marked present who is outside the working ages of the campaign's rule is recorded only with an override that
    gives a reason, audited as its own action ("attendance.age_override") next to the attendance."""
    require(actor, CHANGE, session.unit)
    wanted = _person_ids(person_ids)
    overrides = overrides or {}
    present = set(session.attendances.values_list("person_id", flat=True))
    rule = session.campaign.rule
    reasons = {}
    newcomers = registry_persons_visible(actor=actor).filter(pk__in=wanted - present).order_by("family_name", "pk")
    for person in newcomers:
        age = age_on(person.birth_date, session.on)
        if rule.min_age <= age <= rule.max_age:
            continue
        reason = _text("reason", overrides.get(person.pk), required=False)
        if not reason:
            raise DomainError(
                "reason",
                "%(name)s is %(age)d, outside the working ages of this campaign (%(min)d to %(max)d): give a reason "
                "to record the attendance anyway.",
                params={"name": person.full_name, "age": age, "min": rule.min_age, "max": rule.max_age},
            )
        reasons[person.pk] = (reason, age)
    result = session_attendance_set(actor=actor, session=session, person_ids=wanted)
    attendances = Attendance.objects.filter(session=session, person_id__in=reasons).order_by("person_id")
    for attendance in attendances:
        reason, age = reasons[attendance.person_id]
        _audit(
            actor,
            "attendance.age_override",
            attendance,
            area=session.unit,
            household_id=attendance.household_id,
            after={
                "session": session.pk,
                "person": attendance.person_id,
                "age": age,
                "min_age": rule.min_age,
                "max_age": rule.max_age,
                "reason": reason,
            },
        )
    return result


@transaction.atomic
def session_attendance_set(*, actor: User, session: Session, person_ids: Iterable[int]) -> dict:
    """The attendance sheet: exactly these persons were present (full session). Adds and removes as needed;
    any bad entry rejects the whole sheet."""
    require(actor, CHANGE, session.unit)
    wanted = _person_ids(person_ids)
    present = {attendance.person_id: attendance for attendance in session.attendances.select_related("session")}
    # Only persons the leader may see: an id from another unit answers exactly like an unknown one.
    visible = registry_persons_visible(actor=actor).filter(pk__in=wanted - set(present))
    persons = {person.pk: person for person in visible}
    missing = wanted - set(present) - set(persons)
    if missing:
        raise DomainError("person", f"No person {min(missing)} that you can see.")
    added = [attendance_record(actor=actor, session=session, person=persons[pk]) for pk in sorted(persons)]
    removed = [pk for pk in sorted(set(present) - wanted)]
    for pk in removed:
        attendance_remove(actor=actor, attendance=present[pk])
    return {"added": [a.person_id for a in added], "removed": removed}


# Deliveries -------------------------------------------------------------------------------------------------------


@transaction.atomic
def delivery_record(
    *, actor: User, share: Share, quantity, measure: str, delivered_on: date, receiver: str = ""
) -> Delivery:
    """Goods or cash handed over towards a share; partial deliveries accumulate, each with a receipt number."""
    share = _locked_share(share)
    unit = share.quota.unit
    require(actor, CHANGE, unit)
    obligation = share.quota.obligation
    if obligation.measure == Measure.PERSON_HOURS:
        raise DomainError("share", "This campaign is counted in person-hours, from attendance.")
    if measure != obligation.measure:
        raise DomainError(
            "measure", "This is counted in %(measure)s.", params={"measure": measure_words(obligation.measure)}
        )
    quantity = quantity_value("quantity", quantity)
    _refuse_cancelled(share)
    if share.confirmed_at is not None:
        raise DomainError("share", "This share is already confirmed.")
    if quantity > share.remaining:
        raise DomainError(
            "quantity",
            "Only %(amount)s is still owed.",
            params={"amount": amount(share.remaining, obligation.measure)},
        )
    delivered_on = past_date("delivered_on", delivered_on)
    if delivered_on < obligation.starts_on:
        raise DomainError(
            "delivered_on",
            "Nothing can be delivered before the start, %(day)s.",
            params={"day": obligation.starts_on.isoformat()},
        )
    receiver = _text("receiver", receiver, required=False, max_length=128) or actor.get_full_name() or actor.username
    # Lock the campaign or levy so receipt numbers run 1, 2, 3 … without gaps or clashes.
    type(obligation).objects.select_for_update().filter(pk=obligation.pk).exists()
    prefix = "L" if isinstance(obligation, Levy) else "C"
    count = Delivery.objects.filter(**{f"share__quota__{type(obligation).__name__.lower()}": obligation}).count()
    delivery = Delivery(
        share=share,
        quantity=quantity,
        measure=measure,
        delivered_on=delivered_on,
        receiver=receiver,
        receipt_number=f"{prefix}{obligation.pk}-{count + 1:05d}",
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    delivery.save()
    Share.objects.filter(pk=share.pk).update(done=F("done") + quantity)
    _audit(
        actor,
        "delivery.record",
        delivery,
        area=unit,
        household_id=share.household_id,
        after=snapshot(delivery, ("share", "quantity", "measure", "delivered_on", "receiver", "receipt_number")),
    )
    return delivery


# Confirmation and stamps ------------------------------------------------------------------------------------------


@transaction.atomic
def share_confirm(*, actor: User, share: Share):
    """The leader confirms a fulfilled share; the stamps app issues the stamp. Returns the stamp. A share with
    nothing due (exempt, or fully waived) has nothing to confirm: its explanation is the household's record."""
    share = _locked_share(share)
    unit = share.quota.unit
    require(actor, CHANGE, unit)
    if share.confirmed_at is not None:
        raise DomainError("share", f"Already confirmed; stamp {share.stamp_serial}.")
    _refuse_cancelled(share)
    if share.due <= 0:
        raise DomainError("share", "Nothing is due on this share (exempt or waived); there is nothing to confirm.")
    if not share.fulfilled:
        raise DomainError(
            "share",
            "Not fulfilled yet: %(done)s of %(due)s done.",
            params={"done": plain(share.done), "due": plain(share.due)},
        )
    obligation = share.quota.obligation
    stamp = _stamp_issue(
        actor=actor,
        household=share.household,
        duty_kind=obligation.duty_kind,
        duty_ref=obligation.ref,
        duty_title=(obligation.title_ko or obligation.title_en)[:120],
        quantity=share.done,
        measure=obligation.measure,
        period_start=obligation.starts_on,
        period_end=obligation.period_end,
    )
    share.confirmed_at, share.confirmed_by, share.stamp_serial = timezone.now(), actor, str(stamp.serial)
    share.save(update_fields=["confirmed_at", "confirmed_by", "stamp_serial"])
    _audit(
        actor,
        "share.confirm",
        share,
        area=unit,
        household_id=share.household_id,
        after={"obligation": obligation.ref, "done": share.done, "due": share.due, "stamp": share.stamp_serial},
    )
    return stamp
