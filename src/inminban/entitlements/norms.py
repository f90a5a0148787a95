"""Norms: how much each person category is owed, as data, with the presets a new program starts from.

A person counts in the first category that matches them on the cycle's reference date (age in whole years, and
their jobs that day). Amounts are whole grams of grain per person per day (grain ration, leader benefit) or whole
won per person per cycle (cash benefit)."""

from django.utils.translation import gettext as _

from inminban.common.errors import DomainError

OCCUPATIONS = (None, "heavy", "employed", "none")
MAX_AGE = 130
MAX_CATEGORIES = 16
MAX_AMOUNT = 100_000_000

# Jobs the demo registry knows that count as heavy labour (miner, builder, plasterer). Data: a program may change it.
DEFAULT_HEAVY_JOBS = ["채굴공", "건설공", "미장공"]


def _category(code, name_ko, name_en, amount, min_age=None, max_age=None, occupation=None) -> dict:
    return {
        "code": code,
        "name_ko": name_ko,
        "name_en": name_en,
        "min_age": min_age,
        "max_age": max_age,
        "occupation": occupation,
        "amount": amount,
    }


# Grain per person per day before the 1990s crisis: nine levels, from heavy labour (900 g) to infants (100 g).
NINE_LEVELS = [
    _category("heavy_labour", "중노동자", "Heavy labour", 900, 17, 60, "heavy"),
    _category("worker", "일반 노동자", "Ordinary workers", 700, 17, 60, "employed"),
    _category("university", "대학생", "University students", 600, 17, 22, "none"),
    _category("middle_school", "중학생", "Middle-school students", 500, 11, 16),
    _category("primary_school", "소학생", "Primary-school pupils", 400, 7, 10),
    _category("preschool", "유치원생", "Pre-school children", 300, 2, 6),
    _category("infant", "젖먹이", "Infants", 100, 0, 1),
    _category("elderly", "노인", "Elderly", 300, 61, None),
    _category("dependant", "부양가족", "Dependants", 300, 23, 60, "none"),
]

# The later five-level scheme, from 500 g down to 100 g.
FIVE_LEVELS = [
    _category("worker", "노동자", "Workers", 500, 17, 60, "employed"),
    _category("student", "학생", "Students", 400, 7, 22),
    _category("elderly_dependant", "노인과 부양가족", "Elderly and dependants", 300, 23, None),
    _category("child", "어린이", "Children", 200, 2, 6),
    _category("infant", "젖먹이", "Infants", 100, 0, 1),
]

# A cash benefit: won per person per cycle.
CASH_DEFAULT = [
    _category("adult", "성인", "Adults", 3000, 17, None),
    _category("child", "어린이", "Children", 2000, 0, 16),
]

PRESETS = {"nine_levels": NINE_LEVELS, "five_levels": FIVE_LEVELS, "cash": CASH_DEFAULT}


def preset_label(code: str) -> str:
    return {
        "nine_levels": _("Nine levels (900 g heavy labour … 100 g infants)"),
        "five_levels": _("Five levels (500 g … 100 g)"),
        "cash": _("Cash: adults and children"),
    }.get(code, code)


def _whole_number(field: str, value, *, low: int, high: int, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DomainError(field, "A whole number is required.")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise DomainError(field, "A whole number is required.") from None
    if isinstance(value, float) and value != number:
        raise DomainError(field, "A whole number is required.")
    if number < low:
        raise DomainError(field, "The number cannot be negative." if low == 0 else f"At least {low}.")
    if number > high:
        raise DomainError(field, f"At most {high:,}.")
    return number


def _text(field: str, value, *, max_length: int, required: bool) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(field, "Text is required here.")
    value = (value or "").strip()
    if required and not value:
        raise DomainError(field, "This field is required.")
    if len(value) > max_length:
        raise DomainError(field, "At most %(count)s characters.", params={"count": max_length})
    return value


def norms_validate(norms) -> list[dict]:
    """The norms in canonical form, or DomainError naming the category and field (`norms[2].amount`)."""
    if not isinstance(norms, list) or not norms:
        raise DomainError("norms", "Give at least one person category.")
    if len(norms) > MAX_CATEGORIES:
        raise DomainError("norms", f"At most {MAX_CATEGORIES} categories.")
    clean, codes = [], set()
    for index, category in enumerate(norms):
        where = f"norms[{index}]"
        if not isinstance(category, dict):
            raise DomainError(where, "Each category is an object with code, names, ages and amount.")
        unknown = set(category) - {"code", "name_ko", "name_en", "min_age", "max_age", "occupation", "amount"}
        if unknown:
            raise DomainError(f"{where}.{sorted(unknown)[0]}", "Unknown field.")
        code = _text(f"{where}.code", category.get("code"), max_length=32, required=True)
        if not code.replace("_", "").isalnum() or not code.isascii():
            raise DomainError(f"{where}.code", "Letters, digits and '_' only.")
        if code in codes:
            raise DomainError(f"{where}.code", f"The category {code} is listed twice.")
        codes.add(code)
        name_ko = _text(f"{where}.name_ko", category.get("name_ko"), max_length=64, required=False)
        name_en = _text(f"{where}.name_en", category.get("name_en"), max_length=64, required=False)
        if not name_ko and not name_en:
            raise DomainError(f"{where}.name_en", "A name in Korean or English is required.")
        min_age = _whole_number(f"{where}.min_age", category.get("min_age"), low=0, high=MAX_AGE, allow_none=True)
        max_age = _whole_number(f"{where}.max_age", category.get("max_age"), low=0, high=MAX_AGE, allow_none=True)
        if min_age is not None and max_age is not None and min_age > max_age:
            raise DomainError(f"{where}.max_age", f"The age band is impossible: {min_age} to {max_age}.")
        occupation = category.get("occupation")
        if occupation not in OCCUPATIONS:
            raise DomainError(f"{where}.occupation", "One of: heavy, employed, none, or empty for any.")
        amount = _whole_number(f"{where}.amount", category.get("amount"), low=0, high=MAX_AMOUNT)
        clean.append(_category(code, name_ko, name_en, amount, min_age, max_age, occupation))
    return clean


def heavy_jobs_validate(jobs) -> list[str]:
    if jobs is None:
        return []
    if not isinstance(jobs, list) or len(jobs) > 200:
        raise DomainError("heavy_jobs", "A list of at most 200 job titles.")
    return sorted({_text(f"heavy_jobs[{index}]", job, max_length=128, required=True) for index, job in enumerate(jobs)})


def category_name(category: dict) -> str:
    from django.utils.translation import get_language

    if (get_language() or "en").startswith("ko"):
        return category.get("name_ko") or category.get("name_en") or category["code"]
    return category.get("name_en") or category.get("name_ko") or category["code"]
