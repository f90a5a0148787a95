"""Words for the entitlement pages: what a denied household lacks, a category's ages and job, a rule as a sentence.

explain.py says whether each condition held; a leader at a door needs the other half, what is missing, said as a
missing thing ("no stamp for “Street cleaning” (labour campaign)"), so that they know which stamp to help with."""

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from .explain import Condition
from .models import Cycle, Entitlement, Program, ProgramVersion
from .norms import category_name
from .rules import KIND_NAMES, REF_MODELS, leaves, rule_sentence
from .services import stamp_reference


def _lang() -> str:
    return "ko" if (get_language() or "en").startswith("ko") else "en"


def _titles_now(rule: dict) -> dict:
    """Titles of the obligations a rule names, as they are now (a cycle keeps its own in its snapshot)."""
    titles = {}
    for leaf in leaves(rule):
        if leaf.kind == "stamp" and leaf.params not in titles:
            obligation = stamp_reference(leaf.params)
            if obligation is not None:
                titles[leaf.params] = {
                    "ko": obligation.title_ko or obligation.title_en,
                    "en": obligation.title_en or obligation.title_ko,
                }
    return titles


def _categories(norms: list[dict]) -> dict:
    return {n["code"]: {"ko": n.get("name_ko") or n["code"], "en": n.get("name_en") or n["code"]} for n in norms}


def version_sentence(version: ProgramVersion) -> str:
    """The version's rule as one sentence in the current language."""
    return rule_sentence(version.rule, titles=_titles_now(version.rule), categories=_categories(version.norms))


def cycle_sentence(cycle: Cycle) -> str:
    """The rule a cycle used: from its snapshot once computed, else from the version it will use."""
    if cycle.snapshot.get("version"):
        titles = {
            ref: {
                "ko": info.get("title_ko") or info.get("title_en"),
                "en": info.get("title_en") or info.get("title_ko"),
            }
            for ref, info in cycle.snapshot.get("obligations", {}).items()
        }
        version = cycle.snapshot["version"]
        return rule_sentence(version["rule"], titles=titles, categories=_categories(version["norms"]))
    return version_sentence(cycle.version)


def concerns(entitlement: Entitlement, program: Program) -> bool:
    """Whether to show a household its result. A leader benefit is denied, by its own rule, to every household
    without a unit leader; telling those households "denied" would only alarm them."""
    return program.kind != Program.Kind.LEADER_BENEFIT or entitlement.leaders > 0


def missing_text(cycle: Cycle, condition: Condition) -> str:
    """What a household lacks for one condition it did not meet, as a missing thing."""
    leaf, lang = condition.leaf, _lang()
    if condition.under_not:
        return _("Not allowed: %(condition)s") % {"condition": condition.phrase}
    if leaf.kind == "stamp":
        info = cycle.snapshot.get("obligations", {}).get(leaf.params, {})
        title = (info.get("title_ko") or info.get("title_en")) if lang == "ko" else info.get("title_en")
        title = title or info.get("title_ko") or _("a duty")
        kind = KIND_NAMES[lang][REF_MODELS[leaf.params.partition(":")[0]]]
        return _("no stamp for “%(title)s” (%(kind)s)") % {"title": title, "kind": kind}
    if leaf.kind == "stamp_of_kind":
        kind = KIND_NAMES[lang][leaf.params["kind"]]
        months = leaf.params["months"]
        text = ngettext(
            "no stamp for any %(kind)s of the last %(months)s month",
            "no stamp for any %(kind)s of the last %(months)s months",
            months,
        )
        return text % {"kind": kind, "months": months}
    if leaf.kind == "resident":
        return _("did not live in the area on the reference date")
    if leaf.kind == "leader":
        return _("no member leads a unit")
    return _("not met: %(condition)s") % {"condition": condition.phrase}


def condition_rows(cycle: Cycle, conditions: list[Condition], serials: dict[int, str] | None = None) -> list[dict]:
    """Each condition as a line for a page: met ones as the rule says them, the others as what is missing."""
    return [
        {
            "met": condition.satisfied,
            "text": condition.phrase if condition.satisfied else missing_text(cycle, condition),
            # "a valid stamp" would only repeat the phrase; the other notes say why a duty counts as done.
            "note": condition.note if condition.satisfied and not condition.stamp_id else "",
            "serial": (serials or {}).get(condition.stamp_id),
        }
        for condition in conditions
    ]


def stamp_link(condition: Condition, unit_code: str) -> str | None:
    """Where a leader can help the household earn the stamp a condition asks for (the duty's page for the unit)."""
    if condition.leaf.kind != "stamp":
        return None
    model, _sep, number = condition.leaf.params.partition(":")
    if model == "campaign":
        return f"/campaigns/{number}/units/{unit_code}/"
    if model == "levy":
        return f"/levies/{number}/units/{unit_code}/"
    return f"/directives/{number}/?unit={unit_code}"


def ages_text(norm: dict) -> str:
    low, high = norm.get("min_age"), norm.get("max_age")
    if low is not None and high is not None:
        return _("%(low)s to %(high)s") % {"low": low, "high": high}
    if low is not None:
        return _("%(low)s and over") % {"low": low}
    if high is not None:
        return _("up to %(high)s") % {"high": high}
    return _("any age")


def job_text(norm: dict) -> str:
    return {
        None: _("any"),
        "heavy": _("a heavy-labour job"),
        "employed": _("has a job"),
        "none": _("no job"),
    }.get(norm.get("occupation"), _("any"))


def amount_per(amount: int, kind: str) -> str:
    """A norm's amount with what it counts: 700 g a day, or 3,000 ₩ a period."""
    if kind == Program.Kind.CASH_BENEFIT:
        return _("%(amount)s ₩ a period") % {"amount": f"{amount:,}"}
    return _("%(amount)s g a day") % {"amount": f"{amount:,}"}


def norm_rows(norms: list[dict], kind: str) -> list[dict]:
    return [
        {"name": category_name(n), "ages": ages_text(n), "job": job_text(n), "amount": amount_per(n["amount"], kind)}
        for n in norms
    ]
