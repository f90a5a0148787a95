"""Why a household is entitled or denied, in words, from an entitlement row and its cycle's snapshot.

The verdict was computed in SQL; this only reads the outcome letters back (one row on a page, or one line per
distinct pattern for a whole cycle's breakdown), so a decision stays explainable after the registry or the program
changed: everything it names comes from the cycle's frozen snapshot."""

from dataclasses import dataclass, field

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import Cycle, Entitlement, Program
from .norms import category_name
from .rules import Leaf, leaf_phrase, leaves, rule_sentence

HELD = {"Y", "S", "E", "C"}


def _lang() -> str:
    return "ko" if (get_language() or "en").startswith("ko") else "en"


def _titles(cycle: Cycle) -> dict:
    return {
        ref: {"ko": info.get("title_ko") or info.get("title_en"), "en": info.get("title_en") or info.get("title_ko")}
        for ref, info in cycle.snapshot.get("obligations", {}).items()
    }


def _categories(cycle: Cycle) -> dict:
    return {norm["code"]: category_name(norm) for norm in cycle.snapshot["version"]["norms"]}


def cycle_sentence(cycle: Cycle) -> str:
    categories = {
        norm["code"]: {"ko": norm.get("name_ko") or norm["code"], "en": norm.get("name_en") or norm["code"]}
        for norm in cycle.snapshot["version"]["norms"]
    }
    return rule_sentence(cycle.snapshot["version"]["rule"], titles=_titles(cycle), categories=categories)


def amount_text(amount: int, kind: str) -> str:
    """2,170 g, 67.3 kg or 3,000 ₩."""
    if kind == Program.Kind.CASH_BENEFIT:
        return f"{amount:,} ₩"
    if amount >= 1000:
        return f"{amount / 1000:,.1f} kg".replace(".0 kg", " kg")
    return f"{amount:,} g"


@dataclass
class Condition:
    """One condition of the rule and how it came out for one household."""

    leaf: Leaf
    phrase: str
    held: bool
    note: str = ""
    stamp_id: int | None = None
    under_not: bool = False

    @property
    def satisfied(self) -> bool:
        """Whether the condition speaks for the household: held, or (under a `not`) did not hold."""
        return self.held != self.under_not


@dataclass
class Member:
    person_id: int
    category: str
    amount: int
    leader: bool


@dataclass
class Explanation:
    eligible: bool
    quantity: int
    quantity_text: str
    computation: str
    conditions: list[Condition]
    missing: list[Condition] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)


def _under_not(rule: dict) -> set[int]:
    inside: set[int] = set()
    counter = [0]

    def walk(node: dict, negated: bool) -> None:
        ((key, value),) = node.items()
        if key in ("all", "any"):
            for child in value:
                walk(child, negated)
        elif key == "not":
            walk(value, True)
        else:
            if negated:
                inside.add(counter[0])
            counter[0] += 1

    walk(rule, False)
    return inside


NOTES = {
    "S": lambda: _("a valid stamp"),
    "E": lambda: _("nothing was due from this household (no share, exempt or waived), so it counts as done"),
    "C": lambda: _("the issuing office suspended or cancelled it, so it counts as done"),
}


def conditions_of(cycle: Cycle, outcomes: str, stamps: str = "") -> list[Condition]:
    rule = cycle.snapshot["version"]["rule"]
    titles, categories, lang = _titles(cycle), _categories(cycle), _lang()
    negated = _under_not(rule)
    stamp_ids = stamps.split(";") if stamps else []
    stopped = {ref for ref, info in cycle.snapshot.get("obligations", {}).items() if info["standing"] != "active"}
    results, stamp_position = [], 0
    for leaf in leaves(rule):
        letter = outcomes[leaf.index] if leaf.index < len(outcomes) else "N"
        stamp_id = None
        if leaf.kind == "stamp_of_kind" or (leaf.kind == "stamp" and leaf.params not in stopped):
            raw = stamp_ids[stamp_position] if stamp_position < len(stamp_ids) else ""
            stamp_id = int(raw) if raw.isdigit() else None
            stamp_position += 1
        results.append(
            Condition(
                leaf=leaf,
                phrase=leaf_phrase(leaf.kind, leaf.params, lang=lang, titles=titles, categories=categories),
                held=letter in HELD,
                note=NOTES[letter]() if letter in NOTES else "",
                stamp_id=stamp_id,
                under_not=leaf.index in negated,
            )
        )
    return results


def _members(cycle: Cycle, text: str) -> list[Member]:
    norms = cycle.snapshot["version"]["norms"]
    members = []
    for item in filter(None, text.split(";")):
        leader = item.endswith("*")
        person, _, category = item.rstrip("*").partition(":")
        index = int(category)
        norm = norms[index] if 0 <= index < len(norms) else None
        members.append(
            Member(
                person_id=int(person),
                category=category_name(norm) if norm else _("no category"),
                amount=int(norm["amount"]) if norm else 0,
                leader=leader,
            )
        )
    return members


def computation_text(cycle: Cycle, entitlement: Entitlement, members: list[Member]) -> str:
    kind = cycle.program.kind
    if not entitlement.eligible:
        return _("Nothing is owed: the household does not meet the rule.")
    if kind == Program.Kind.LEADER_BENEFIT:
        daily = sum(member.amount for member in members if member.leader)
        days = cycle.snapshot["version"]["benefit_days"]
        return _("%(days)s days × %(daily)s (the leader's own norm) = %(total)s") % {
            "days": days,
            "daily": amount_text(daily, kind),
            "total": amount_text(entitlement.quantity, kind),
        }
    daily = sum(member.amount for member in members)
    if kind == Program.Kind.CASH_BENEFIT:
        return _("%(count)s members: %(total)s") % {
            "count": entitlement.members_counted,
            "total": amount_text(entitlement.quantity, kind),
        }
    return _("%(count)s members, %(daily)s a day × %(days)s days = %(total)s") % {
        "count": entitlement.members_counted,
        "daily": amount_text(daily, kind),
        "days": cycle.days,
        "total": amount_text(entitlement.quantity, kind),
    }


def explain(cycle: Cycle, entitlement: Entitlement) -> Explanation:
    conditions = conditions_of(cycle, entitlement.outcomes, entitlement.stamps)
    members = _members(cycle, entitlement.members)
    missing = [] if entitlement.eligible else [c for c in conditions if not c.held and not c.under_not]
    return Explanation(
        eligible=entitlement.eligible,
        quantity=entitlement.quantity,
        quantity_text=amount_text(entitlement.quantity, cycle.program.kind),
        computation=computation_text(cycle, entitlement, members),
        conditions=conditions,
        missing=missing,
        members=members,
    )


def denial_breakdown(cycle: Cycle, patterns: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """How many denied households failed each condition, from (outcomes, count) pairs; most frequent first."""
    counts: dict[int, int] = {}
    phrases: dict[int, str] = {}
    for outcomes, count in patterns:
        for condition in conditions_of(cycle, outcomes):
            if not condition.held and not condition.under_not:
                counts[condition.leaf.index] = counts.get(condition.leaf.index, 0) + count
                phrases[condition.leaf.index] = condition.phrase
    return sorted(((phrases[index], count) for index, count in counts.items()), key=lambda item: -item[1])
