"""Eligibility rules as data: a tree of conditions combined explicitly with all / any / not.

Nothing is combined implicitly: a program has exactly one rule, and a rule with two conditions says whether both
(`all`) or either (`any`) must hold. Every node is an object with exactly one key:

    {"all": [node, ...]}            every node holds (at least one node)
    {"any": [node, ...]}            at least one node holds (at least one node)
    {"not": node}                   the node does not hold
    {"stamp": "campaign:12"}        a valid stamp (not revoked, not expired) for that campaign, levy or directive;
                                    a share with nothing due, or an obligation its issuer suspended or cancelled,
                                    counts as fulfilled
    {"stamp_of_kind": {"kind": "labour", "months": 3}}
                                    a valid stamp for any obligation of that kind (labour, levy, directive) whose
                                    period overlaps the `months` before the reference date (or nothing was due)
    {"member": {"min_age": 65, "max_age": null, "category": null}}
                                    at least one member counted on the reference date matches
    {"household_size": {"min": 1, "max": null}}
    {"resident": {"months": 0}}     the household lived in the program's area on the reference date (and, with
                                    months, also that many months before)
    {"leader": {}}                  a member holds the leader role of a unit on the reference date

The rule is checked when it is saved (`rule_validate`), rendered as a sentence in Korean or English
(`rule_sentence`), and compiled to SQL by `cycle_sql.py`; it is never evaluated per household in Python."""

from dataclasses import dataclass

from django.utils.translation import get_language

from inminban.common.errors import DomainError

from .norms import MAX_AGE

MAX_DEPTH = 6
MAX_CONDITIONS = 32
MAX_MONTHS = 36
COMBINATORS = ("all", "any", "not")
CONDITIONS = ("stamp", "stamp_of_kind", "member", "household_size", "resident", "leader")
STAMP_KINDS = ("labour", "levy", "directive")
REF_MODELS = {"campaign": "labour", "levy": "levy", "directive": "directive"}


@dataclass(frozen=True)
class Leaf:
    """One condition of a rule, numbered in depth-first order (the order of Entitlement.outcomes)."""

    index: int
    kind: str
    params: dict
    path: str


def _whole(where: str, value, *, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(where, "A whole number is required.")
    if value < low or value > high:
        raise DomainError(where, f"Between {low} and {high}.")
    return value


def _params(where: str, value, allowed: set[str]) -> dict:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise DomainError(where, "An object is required here.")
    unknown = set(value) - allowed
    if unknown:
        raise DomainError(f"{where}.{sorted(unknown)[0]}", f"Unknown field; expected {', '.join(sorted(allowed))}.")
    return value


def parse_ref(where: str, ref) -> tuple[str, int]:
    """("campaign", 12) from "campaign:12"."""
    if not isinstance(ref, str) or ":" not in ref:
        raise DomainError(where, "A reference such as campaign:12, levy:3 or directive:5.")
    model, _, number = ref.partition(":")
    if model not in REF_MODELS or not number.isdigit() or len(number) > 18:
        raise DomainError(where, "A reference such as campaign:12, levy:3 or directive:5.")
    return model, int(number)


def _clean(node, where: str, depth: int, categories: set[str], refs: list) -> dict:
    if depth > MAX_DEPTH:
        raise DomainError(where, f"The rule is nested too deeply (at most {MAX_DEPTH} levels).")
    if not isinstance(node, dict) or len(node) != 1:
        raise DomainError(where, "Each condition is an object with exactly one key, such as all, any, not or stamp.")
    ((key, value),) = node.items()
    here = f"{where}.{key}"
    if key in ("all", "any"):
        if not isinstance(value, list):
            raise DomainError(here, f"'{key}' takes a list of conditions.")
        if not value:
            raise DomainError(here, f"'{key}' needs at least one condition.")
        return {key: [_clean(child, f"{here}[{i}]", depth + 1, categories, refs) for i, child in enumerate(value)]}
    if key == "not":
        return {"not": _clean(value, here, depth + 1, categories, refs)}
    if key == "stamp":
        parse_ref(here, value)
        refs.append((here, value))
        return {"stamp": value}
    if key == "stamp_of_kind":
        params = _params(here, value, {"kind", "months"})
        if params.get("kind") not in STAMP_KINDS:
            raise DomainError(f"{here}.kind", f"One of: {', '.join(STAMP_KINDS)}.")
        months = _whole(f"{here}.months", params.get("months"), low=1, high=MAX_MONTHS)
        if months is None:
            raise DomainError(f"{here}.months", "How many months back, 1 to 36.")
        return {"stamp_of_kind": {"kind": params["kind"], "months": months}}
    if key == "member":
        params = _params(here, value, {"min_age", "max_age", "category"})
        min_age = _whole(f"{here}.min_age", params.get("min_age"), low=0, high=MAX_AGE)
        max_age = _whole(f"{here}.max_age", params.get("max_age"), low=0, high=MAX_AGE)
        category = params.get("category")
        if min_age is not None and max_age is not None and min_age > max_age:
            raise DomainError(f"{here}.max_age", f"The age band is impossible: {min_age} to {max_age}.")
        if category is not None and category not in categories:
            raise DomainError(f"{here}.category", "No such person category in the program's norms.")
        if min_age is None and max_age is None and category is None:
            raise DomainError(here, "Give an age band, a category, or both.")
        return {"member": {"min_age": min_age, "max_age": max_age, "category": category}}
    if key == "household_size":
        params = _params(here, value, {"min", "max"})
        low = _whole(f"{here}.min", params.get("min"), low=0, high=100)
        high = _whole(f"{here}.max", params.get("max"), low=0, high=100)
        if low is None and high is None:
            raise DomainError(here, "Give a smallest size, a largest size, or both.")
        if low is not None and high is not None and low > high:
            raise DomainError(f"{here}.max", f"The size band is impossible: {low} to {high}.")
        return {"household_size": {"min": low, "max": high}}
    if key == "resident":
        params = _params(here, value, {"months"})
        months = _whole(f"{here}.months", params.get("months"), low=0, high=120) or 0
        return {"resident": {"months": months}}
    if key == "leader":
        _params(here, value, set())
        return {"leader": {}}
    raise DomainError(where, f"Unknown condition {key!r}; expected one of {', '.join(COMBINATORS + CONDITIONS)}.")


def rule_clean(rule, *, categories: set[str]) -> tuple[dict, list[tuple[str, str]]]:
    """The rule in canonical form and its stamp references [(field path, "campaign:12")], or DomainError naming the
    node (`rule.all[1].stamp`). Structure only: the references are resolved by the service."""
    refs: list[tuple[str, str]] = []
    clean = _clean(rule, "rule", 1, categories, refs)
    count = len(leaves(clean))
    if count > MAX_CONDITIONS:
        raise DomainError("rule", f"At most {MAX_CONDITIONS} conditions (this rule has {count}).")
    return clean, refs


def leaves(rule: dict) -> list[Leaf]:
    found: list[Leaf] = []

    def walk(node: dict, path: str) -> None:
        ((key, value),) = node.items()
        if key in ("all", "any"):
            for index, child in enumerate(value):
                walk(child, f"{path}.{key}[{index}]")
        elif key == "not":
            walk(value, f"{path}.not")
        else:
            found.append(Leaf(index=len(found), kind=key, params=value, path=f"{path}.{key}"))

    walk(rule, "rule")
    return found


# Sentences ------------------------------------------------------------------------------------------------------

KIND_NAMES = {
    "ko": {"labour": "로력동원", "levy": "부담", "directive": "지시"},
    "en": {"labour": "labour campaign", "levy": "levy", "directive": "directive"},
}


def _language(language: str | None) -> str:
    return "ko" if (language or get_language() or "en").startswith("ko") else "en"


def _ages(params: dict, lang: str) -> str:
    low, high = params.get("min_age"), params.get("max_age")
    if lang == "ko":
        if low is not None and high is not None:
            return f"{low}~{high}세"
        return f"{low}세 이상" if low is not None else f"{high}세 이하"
    if low is not None and high is not None:
        return f"aged {low} to {high}"
    return f"aged {low} or over" if low is not None else f"aged {high} or under"


def leaf_phrase(
    leaf_kind: str, params, *, lang: str, titles: dict | None = None, categories: dict | None = None
) -> str:
    """One condition as a phrase with the household as its subject. `titles` maps a stamp reference to
    {"ko": …, "en": …}; `categories` maps a category code to its name in `lang`."""
    titles, categories = titles or {}, categories or {}
    if leaf_kind == "stamp":
        model, _ = parse_ref("stamp", params)
        title = titles.get(params, {}).get(lang) or params
        kind = KIND_NAMES[lang][REF_MODELS[model]]
        return f"「{title}」({kind}) 확인도장이 있다" if lang == "ko" else f"holds a valid stamp for “{title}” ({kind})"
    if leaf_kind == "stamp_of_kind":
        kind, months = KIND_NAMES[lang][params["kind"]], params["months"]
        if lang == "ko":
            return f"최근 {months}개월 안의 {kind} 확인도장이 하나 이상 있다"
        return f"holds a valid stamp for any {kind} of the last {months} month{'s' if months != 1 else ''}"
    if leaf_kind == "member":
        parts = []
        if params.get("min_age") is not None or params.get("max_age") is not None:
            parts.append(_ages(params, lang))
        if params.get("category"):
            name = categories.get(params["category"], params["category"])
            parts.append(f"「{name}」 부류" if lang == "ko" else f"in the category “{name}”")
        if lang == "ko":
            return f"{' '.join(parts)}인 세대원이 있다"
        return f"has a member {' and '.join(parts)}"
    if leaf_kind == "household_size":
        low, high = params.get("min"), params.get("max")
        if lang == "ko":
            if low is not None and high is not None:
                return f"세대원이 {low}~{high}명이다"
            return f"세대원이 {low}명 이상이다" if low is not None else f"세대원이 {high}명 이하이다"
        if low is not None and high is not None:
            return f"has {low} to {high} members"
        return f"has at least {low} members" if low is not None else f"has at most {high} members"
    if leaf_kind == "resident":
        months = params.get("months") or 0
        if lang == "ko":
            extra = f" ({months}개월 전에도)" if months else ""
            return f"기준일에 이 지역에 살았다{extra}"
        extra = f" and {months} month{'s' if months != 1 else ''} before" if months else ""
        return f"lived in the program's area on the reference date{extra}"
    if leaf_kind == "leader":
        return "인민반장인 세대원이 있다" if lang == "ko" else "has a member who leads a unit"
    return leaf_kind


def _phrase(node: dict, lang: str, titles: dict, categories: dict, top: bool) -> str:
    ((key, value),) = node.items()
    if key in ("all", "any"):
        if len(value) == 1:
            return _phrase(value[0], lang, titles, categories, top)
        joiner = {"ko": {"all": " 그리고 ", "any": " 또는 "}, "en": {"all": " and ", "any": " or "}}[lang][key]
        text = joiner.join(_phrase(child, lang, titles, categories, False) for child in value)
        return text if top else f"({text})"
    if key == "not":
        inner = _phrase(value, lang, titles, categories, True)
        return f"다음이 아니다: [{inner}]" if lang == "ko" else f"does not meet this: [{inner}]"
    return leaf_phrase(key, value, lang=lang, titles=titles, categories=categories)


def rule_sentence(rule: dict, *, language: str | None = None, titles: dict | None = None, categories=None) -> str:
    """The whole rule as one readable sentence. `categories` maps code to {"ko": name, "en": name}."""
    lang = _language(language)
    names = {code: (names.get(lang) or code) for code, names in (categories or {}).items()}
    body = _phrase(rule, lang, titles or {}, names, True)
    if lang == "ko":
        return f"다음 조건을 만족하는 세대가 받습니다: {body}."
    return f"A household is entitled if it {body}."
