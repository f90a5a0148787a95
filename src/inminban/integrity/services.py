"""Answering and deciding integrity flags, and setting the detection rules. Every change is audited with the flag's
status before and after and its pattern, never the explanation's or the reason's words (they may name people).

The flagged leader answers (open → explained); the office governing the unit, or an office above it, decides
(dismissed or upheld, with a reason), never the flagged leader themself; a decided flag is final. An office's
detection rules are set by an office above it (not by the office whose units they watch) or by an administrator."""

from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from inminban.areas.access import MANAGE_AREAS, require, scope_for
from inminban.areas.models import Office
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.common.validators import text_value

from .models import DetectionRule, Flag, Pattern
from .rules import BOUNDS, DAYS, MEANINGS, MIN_COUNT_MAX, NONE, PERCENT, Rule, rule_for

EXPLANATION_MAX = 2000
REASON_MAX = 2000
UNDECIDED = (Flag.Status.OPEN, Flag.Status.EXPLAINED)
DECISIONS = (Flag.Status.DISMISSED, Flag.Status.UPHELD)

ALREADY_DECIDED = gettext_noop("This flag was already decided; a decision is final.")


def _visible(actor, flag: Flag) -> bool:
    from .selectors import flags_visible

    return flags_visible(actor=actor).filter(pk=flag.pk).exists()


def _locked(flag: Flag) -> Flag:
    return Flag.objects.select_for_update(of=("self",)).select_related("unit", "office__area").get(pk=flag.pk)


def may_explain(actor, flag: Flag) -> bool:
    """The flagged leader, while the flag is undecided."""
    return bool(flag.leader_id) and flag.leader_id == getattr(actor, "pk", None) and flag.status in UNDECIDED


def may_decide(actor, flag: Flag) -> bool:
    """An officer of the office governing the unit or of an office above it (MANAGE_AREAS over the unit), or an
    administrator; never the flagged leader. Only while the flag is undecided."""
    if flag.status not in UNDECIDED:
        return False
    scope = scope_for(actor)
    if scope.user_id is None or scope.user_id == flag.leader_id:
        return False
    return scope.allows_area(MANAGE_AREAS, flag.unit)


def _audit(actor, action: str, flag: Flag, before_status: str) -> None:
    about = {"pattern": flag.pattern, "unit": flag.unit_id, "office": flag.office_id}
    audit_record(
        actor=actor,
        action=action,
        target=flag,
        area=flag.unit,
        before={"status": before_status} | about,
        after={"status": flag.status} | about,
    )


@transaction.atomic
def flag_explain(*, actor: User, flag: Flag, explanation: str) -> Flag:
    """The flagged leader answers a flag (open → explained); they may reword the answer until the office decides."""
    if not _visible(actor, flag):
        raise NotVisible(f"flag {flag.pk} not found")
    flag = _locked(flag)
    if flag.leader_id != actor.pk:
        raise NotPermitted("only the leader the flag is about answers it")
    if flag.status not in UNDECIDED:
        raise DomainError("status", ALREADY_DECIDED)
    explanation = text_value("explanation", explanation, max_length=EXPLANATION_MAX)
    before = flag.status
    flag.status = Flag.Status.EXPLAINED
    flag.explanation, flag.explained_by, flag.explained_at = explanation, actor, timezone.now()
    flag.save(update_fields=["status", "explanation", "explained_by", "explained_at"])
    _audit(actor, "flag.explain", flag, before)
    return flag


@transaction.atomic
def flag_decide(*, actor: User, flag: Flag, status: str, reason: str) -> Flag:
    """The office decides a flag, open or explained: dismissed (nothing wrong) or upheld, always with its reason."""
    if not _visible(actor, flag):
        raise NotVisible(f"flag {flag.pk} not found")
    flag = _locked(flag)
    scope = scope_for(actor)
    if scope.user_id == flag.leader_id or not scope.allows_area(MANAGE_AREAS, flag.unit):
        raise NotPermitted("only the office governing the unit, or one above it, decides a flag")
    if status not in DECISIONS:
        raise DomainError("status", gettext_noop("Choose dismissed or upheld."))
    reason = text_value("reason", reason, max_length=REASON_MAX)
    if flag.status not in UNDECIDED:
        raise DomainError("status", ALREADY_DECIDED)
    before = flag.status
    flag.status = status
    flag.decision_reason, flag.decided_by, flag.decided_at = reason, actor, timezone.now()
    flag.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
    # Two literal actions, so that the audit table's source scan finds both.
    if status == Flag.Status.DISMISSED:
        _audit(actor, "flag.dismiss", flag, before)
    else:
        _audit(actor, "flag.uphold", flag, before)
    return flag


# Detection rules ---------------------------------------------------------------------------------------------------


def may_set_rules(actor, office: Office) -> bool:
    """An officer of an office above `office` (not its own officers: the office whose units are watched does not
    set how closely), or an administrator."""
    scope = scope_for(actor)
    if scope.is_admin:
        return True
    above = [prefix for prefix in scope.prefixes(MANAGE_AREAS) if prefix != office.area.path]
    return any(office.area.path.startswith(prefix) for prefix in above)


def threshold_value(pattern: str, value) -> Decimal:
    """A pattern's threshold: a number within what the pattern's kind allows (days, a ratio, a percentage, or
    nothing), with at most two decimals (whole days)."""
    kind = MEANINGS[pattern].threshold
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise DomainError("threshold", gettext_noop("A number is required."))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError("threshold", gettext_noop("A number is required.")) from None
    if not number.is_finite():
        raise DomainError("threshold", gettext_noop("A number is required."))
    if number < 0:
        raise DomainError("threshold", gettext_noop("The threshold cannot be negative."))
    low, high = BOUNDS[kind]
    if kind == NONE and number != 0:
        raise DomainError("threshold", gettext_noop("This pattern has no threshold: leave it at 0."))
    if kind == PERCENT and number > high:
        raise DomainError("threshold", gettext_noop("A percentage from 0 to 100."))
    if number > high:
        raise DomainError("threshold", gettext_noop("At most %(high)s."), params={"high": high})
    if number < low:
        raise DomainError("threshold", gettext_noop("At least %(low)s."), params={"low": low})
    if kind == DAYS and number != number.to_integral_value():
        raise DomainError("threshold", gettext_noop("A whole number of days."))
    if number != number.quantize(Decimal("0.01")):
        raise DomainError("threshold", gettext_noop("At most two decimals."))
    return number.quantize(Decimal("0.01"))


def min_count_value(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (1 <= value <= MIN_COUNT_MAX):
        raise DomainError(
            "min_count",
            gettext_noop("A whole number from %(low)s to %(high)s."),
            params={"low": 1, "high": MIN_COUNT_MAX},
        )
    return value


RULE_FIELDS = ("enabled", "threshold", "min_count")


@transaction.atomic
def detection_rule_set(
    *,
    actor: User,
    office: Office,
    pattern: str,
    enabled: bool | None = None,
    threshold=None,
    min_count: int | None = None,
) -> DetectionRule | Rule:
    """Set whether and how closely a pattern is looked for in `office`'s subtree (offices below without a row of
    their own inherit it). What is not given keeps the value the office works by now. Returns the office's row, or
    the rule it already works by when nothing changes."""
    require(actor, MANAGE_AREAS, office.area)
    if not may_set_rules(actor, office):
        raise NotPermitted("an office's detection rules are set by an office above it")
    if pattern not in Pattern.values:
        raise DomainError("pattern", gettext_noop("Unknown pattern."))
    if enabled is not None and not isinstance(enabled, bool):
        raise DomainError("enabled", gettext_noop("Send true or false."))
    values = {}
    if enabled is not None:
        values["enabled"] = enabled
    if threshold is not None:
        values["threshold"] = threshold_value(pattern, threshold)
    if min_count is not None:
        values["min_count"] = min_count_value(min_count)
    current = rule_for(office, pattern)
    before = {name: getattr(current, name) for name in RULE_FIELDS}
    if all(values.get(name, before[name]) == before[name] for name in RULE_FIELDS):
        # Nothing changes: no entry in the audit log, and no row of its own that would cut the office off from
        # what an office above later sets.
        return current
    row = DetectionRule.objects.select_for_update(of=("self",)).filter(office=office, pattern=pattern).first()
    if row is None:
        row = DetectionRule(office=office, pattern=pattern, **before)
    for name, value in values.items():
        setattr(row, name, value)
    row.changed_by, row.changed_at = actor, timezone.now()
    row.full_clean(exclude=["office", "changed_by"], validate_constraints=False)
    row.save()
    after = {name: getattr(row, name) for name in RULE_FIELDS}
    audit_record(
        actor=actor,
        action="detection_rule.set",
        target=row,
        area=office.area,
        before=before | {"office": office.pk, "pattern": pattern},
        after=after | {"office": office.pk, "pattern": pattern},
    )
    return row
