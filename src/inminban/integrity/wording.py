"""What a flag says, in plain words in the UI language: the pattern's name, a short name for lists and charts, and one
sentence of what happened, filled from the flag's facts (numbers) and the day of its records. No codes, no names."""

from decimal import Decimal, InvalidOperation

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import Flag, Pattern

# Short names, for filters, lists and charts; the full name is the Pattern's label.
SHORT_NAMES = {
    Pattern.STAY_UNREGISTERED: gettext_lazy("Unregistered guest"),
    Pattern.LEADER_OWN_ATTENDANCE: gettext_lazy("Own household's attendance"),
    Pattern.LEADER_OWN_CONFIRMATION: gettext_lazy("Own household's stamp"),
    Pattern.STAMP_UNFULFILLED: gettext_lazy("Stamp without the work"),
    Pattern.BULK_ATTENDANCE: gettext_lazy("Attendance in bulk"),
    Pattern.LATE_ATTENDANCE: gettext_lazy("Late attendance"),
    Pattern.WAIVER_RATE: gettext_lazy("Many waivers"),
    Pattern.MEMBERS_BEFORE_CYCLE: gettext_lazy("Members before a ration"),
}

# What each pattern looks for, in one sentence (its name is the Pattern's label).
PATTERN_WORDS = {
    Pattern.STAY_UNREGISTERED: gettext_lazy(
        "A health worker saw a guest in a household that had registered no stay for that night. The flag is about "
        "the unit's records, never about the guest."
    ),
    Pattern.LEADER_OWN_ATTENDANCE: gettext_lazy("The unit's leader recorded attendance for their own household."),
    Pattern.LEADER_OWN_CONFIRMATION: gettext_lazy(
        "The unit's leader confirmed, and so stamped, a duty of their own household."
    ),
    Pattern.STAMP_UNFULFILLED: gettext_lazy(
        "A stamp was issued for a share whose recorded attendance or deliveries come to less than was due."
    ),
    Pattern.BULK_ATTENDANCE: gettext_lazy(
        "At one session, one person recorded the attendance of whole households in one go, within seconds, instead "
        "of person by person."
    ),
    Pattern.LATE_ATTENDANCE: gettext_lazy("Attendance was recorded long after the day of the session."),
    Pattern.WAIVER_RATE: gettext_lazy(
        "A unit's approved waivers and exemptions over a year, per share, are far above the rate of its district."
    ),
    Pattern.MEMBERS_BEFORE_CYCLE: gettext_lazy(
        "The leader alone, without an officer, added members to a household in the days before a ration or cash "
        "cycle counted the household's members, so that the household is owed more."
    ),
}

# What the threshold and the least count mean, per pattern, in the pattern's unit (rules.MEANINGS): label and help.
THRESHOLD_FIELDS = {
    Pattern.BULK_ATTENDANCE: (
        gettext_lazy("Per cent of the households that attended"),
        gettext_lazy(
            "A session is flagged when the households recorded whole in one go are at least this share of the "
            "households that attended it: from 0 to 100."
        ),
    ),
    Pattern.LATE_ATTENDANCE: (
        gettext_lazy("Days after the session"),
        gettext_lazy(
            "Attendance is flagged when it is recorded more than this many days after the day of the session: a "
            "whole number of days."
        ),
    ),
    Pattern.WAIVER_RATE: (
        gettext_lazy("Times the district's rate"),
        gettext_lazy(
            "A unit is flagged when its waivers and exemptions per share are at least this many times its "
            "district's rate, for example 3 or 2.5."
        ),
    ),
    Pattern.MEMBERS_BEFORE_CYCLE: (
        gettext_lazy("Days before the ration is counted"),
        gettext_lazy(
            "Members added by the leader alone are flagged when they were added this many days or fewer before "
            "the day a ration or cash cycle counts the household's members: a whole number of days."
        ),
    ),
}
MIN_COUNT_FIELDS = {
    Pattern.BULK_ATTENDANCE: (
        gettext_lazy("Households recorded in one go, at least"),
        gettext_lazy("…and only when at least this many households were recorded in one go."),
    ),
    Pattern.WAIVER_RATE: (
        gettext_lazy("Waivers and exemptions in the unit, at least"),
        gettext_lazy("…and only when the unit had at least this many in the year."),
    ),
}

STATUS_WORDS = {
    Flag.Status.OPEN: gettext_lazy("Open: waiting for the leader's answer or the office's decision"),
    Flag.Status.EXPLAINED: gettext_lazy("Answered by the leader: waiting for the office's decision"),
    Flag.Status.DISMISSED: gettext_lazy("Dismissed by the office"),
    Flag.Status.UPHELD: gettext_lazy("Upheld by the office"),
}

# What a threshold counts, per kind of pattern (rules.MEANINGS), for the rules page.
THRESHOLD_WORDS = {
    "none": gettext_lazy("No threshold: every occurrence is flagged"),
    "days": gettext_lazy("Days"),
    "ratio": gettext_lazy("Times the district's rate"),
    "percent": gettext_lazy("Per cent of the households that attended"),
}


def pattern_name(pattern: str) -> str:
    return str(Pattern(pattern).label) if pattern in Pattern.values else _("Other pattern")


def short_name(pattern: str) -> str:
    return str(SHORT_NAMES.get(pattern, _("Other pattern")))


def number(value) -> str:
    """A fact as people write it: 8 rather than 8.0, 2.5 rather than 2.50."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    text = format(amount.normalize(), "f")
    return text if text != "-0" else "0"


def _int(facts: dict, name: str) -> int:
    value = facts.get(name)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def flag_sentence(flag: Flag, household_number: str = "") -> str:
    """One sentence of what the records show."""
    facts = flag.facts if isinstance(flag.facts, dict) else {}
    day = date_format(flag.occurred_on, "DATE_FORMAT")
    values = {"day": day, "number": household_number or "—"}
    pattern = flag.pattern
    if pattern == Pattern.STAY_UNREGISTERED:
        return (
            _(
                "On %(day)s a health worker checked a guest sleeping in household %(number)s, and no stay was "
                "registered there for that night."
            )
            % values
        )
    if pattern == Pattern.LEADER_OWN_ATTENDANCE:
        count = _int(facts, "attendances")
        return ngettext(
            "At the session on %(day)s the leader recorded %(count)d attendance (%(hours)s person-hours) for their own "
            "household, number %(number)s.",
            "At the session on %(day)s the leader recorded %(count)d attendances (%(hours)s person-hours) for their "
            "own household, number %(number)s.",
            count,
        ) % (values | {"count": count, "hours": number(facts.get("hours", 0))})
    if pattern == Pattern.LEADER_OWN_CONFIRMATION:
        return (
            _("On %(day)s the leader confirmed a duty of their own household, number %(number)s, and it was stamped.")
            % values
        )
    if pattern == Pattern.STAMP_UNFULFILLED:
        return _(
            "On %(day)s a stamp was issued for the share of household %(number)s, but the attendance and deliveries "
            "recorded for it come to %(recorded)s of the %(due)s due."
        ) % (values | {"recorded": number(facts.get("recorded", 0)), "due": number(facts.get("due", 0))})
    if pattern == Pattern.BULK_ATTENDANCE:
        households = _int(facts, "households")
        return ngettext(
            "At the session on %(day)s one person recorded, in one go each, the whole of %(households)d household "
            "out of the %(attending)d households that attended.",
            "At the session on %(day)s one person recorded, in one go each, the whole of %(households)d households "
            "out of the %(attending)d households that attended.",
            households,
        ) % (values | {"households": households, "attending": _int(facts, "attending_households")})
    if pattern == Pattern.LATE_ATTENDANCE:
        count = _int(facts, "attendances")
        return ngettext(
            "%(count)d attendance at the session on %(day)s was recorded %(days)d days after it.",
            "%(count)d attendances at the session on %(day)s were recorded up to %(days)d days after it.",
            count,
        ) % (values | {"count": count, "days": _int(facts, "days_after")})
    if pattern == Pattern.WAIVER_RATE:
        events, shares = _int(facts, "waivers") + _int(facts, "exemptions"), _int(facts, "shares")
        district_events, district_shares = _int(facts, "district_events"), _int(facts, "district_shares")
        rate = Decimal(events * 100) / shares if shares else Decimal(0)
        district = Decimal(district_events * 100) / district_shares if district_shares else Decimal(0)
        return _(
            "Over the year to %(day)s the unit had %(waivers)d approved waivers and %(exemptions)d exemptions for "
            "%(shares)d shares: %(rate)s per 100 shares, against %(district)s per 100 in the district."
        ) % (
            values
            | {
                "waivers": _int(facts, "waivers"),
                "exemptions": _int(facts, "exemptions"),
                "shares": shares,
                "rate": number(round(rate, 1)),
                "district": number(round(district, 1)),
            }
        )
    if pattern == Pattern.MEMBERS_BEFORE_CYCLE:
        count = _int(facts, "members_added")
        return ngettext(
            "%(count)d member was added to household %(number)s by the leader alone, %(days)d days before a ration "
            "cycle counted the household's members.",
            "%(count)d members were added to household %(number)s by the leader alone, as few as %(days)d days "
            "before a ration cycle counted the household's members.",
            count,
        ) % (values | {"count": count, "days": _int(facts, "days_before")})
    return _("A pattern was found in the records of %(day)s.") % values
