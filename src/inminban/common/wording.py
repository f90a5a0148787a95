"""Words shared by every app's pages: a measure's unit in the UI language, and the Korean particle that fits a word.

Measures are stored as codes (`person_hours`, `kg` …, duties.models.Measure and the stamps' copy of them); nothing
shown to a person is a code, so every page and document names a measure through `measure_unit` or `amount`.

Korean particles change with the sound a word ends in: 책을, 사과를; 쌀로, 물로, 밥으로. A translated sentence that
puts a value before a particle either avoids it ("세대 3", "“규칙” 규칙을") or lets `with_particle` choose."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import pgettext_lazy

from .measures import Measure

# The unit a quantity of each measure is counted in, as a word or a symbol everybody reads the same way (the
# measure's own name, "kilograms", is `measures.measure_words`).
MEASURE_UNITS = {
    Measure.PERSON_HOURS: pgettext_lazy("measure unit", "person-hours"),
    Measure.M3: pgettext_lazy("measure unit", "m³"),
    Measure.KG: pgettext_lazy("measure unit", "kg"),
    Measure.KPW: pgettext_lazy("measure unit", "won"),
}
MEASURE_UNIT_ONE = {Measure.PERSON_HOURS: pgettext_lazy("measure unit", "person-hour")}


def measure_unit(measure: str, quantity=None) -> str:
    """The unit of a measure in the UI language ("person-hours" / "인시", "kg"); an unknown code as "" rather than
    shown raw. With `quantity` 1, the English singular ("1 person-hour")."""
    if quantity is not None and measure in MEASURE_UNIT_ONE:
        try:
            if Decimal(str(quantity)) == 1:
                return str(MEASURE_UNIT_ONE[measure])
        except InvalidOperation:
            pass
    unit = MEASURE_UNITS.get(measure)
    return str(unit) if unit is not None else ""


def plain_number(value) -> str:
    """10.00 -> "10", 4.50 -> "4.5", 3000 -> "3,000"."""
    try:
        number = Decimal(str(value)).normalize()
    except InvalidOperation:
        return str(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number:,f}"


def amount(quantity, measure: str) -> str:
    """A quantity with its unit: "2.5 person-hours" / "2.5 인시", "5 kg" (a space in both languages, as the pages
    write `{{ quantity }} {{ unit }}`)."""
    unit = measure_unit(measure, quantity)
    number = plain_number(quantity)
    return f"{number} {unit}" if unit else number


# Particles --------------------------------------------------------------------------------------------------------

# After a final consonant / after a vowel. 으로/로 also takes 로 after ㄹ (물로, 쌀로).
PARTICLES = {
    "을": "를",
    "이": "가",
    "은": "는",
    "과": "와",
    "으로": "로",
    "으로서": "로서",
    "으로써": "로써",
    "이나": "나",
    "이라": "라",
    "이라고": "라고",
    "이며": "며",
    "이고": "고",
    "이다": "다",
    "이었다": "였다",
    "아": "야",
}
_RIEUL = 8  # ㄹ among the 28 final consonants (0 = none)

# How digits end when read in Sino-Korean: 일 ㄹ, 이 -, 삼 ㅁ, 사 -, 오 -, 륙 ㄱ, 칠 ㄹ, 팔 ㄹ, 구 -, 령 ㅇ.
_DIGIT_FINAL = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}
# A round number ends in its last unit: 십 ㅂ, 백 ㄱ, 천 ㄴ, then 만 ㄴ, 억 ㄱ, 조 -.
_TENS_FINAL = {1: 17, 2: 1, 3: 4}
_MYRIAD_FINAL = {1: 4, 2: 1, 3: 0}
# Latin letters as read in Korean: only L (엘), M (엠), N (엔) and R (알) end in a consonant.
_LETTER_FINAL = {"l": 8, "m": 16, "n": 4, "r": 8}


def _number_final(digits: str) -> int:
    if "." in digits:
        fraction = digits.rsplit(".", 1)[1]
        if fraction:
            return _DIGIT_FINAL[fraction[-1]]
        digits = digits.rsplit(".", 1)[0]
    digits = digits.lstrip("0") or "0"
    if digits == "0":
        return _DIGIT_FINAL["0"]
    zeros = len(digits) - len(digits.rstrip("0"))
    if zeros == 0:
        return _DIGIT_FINAL[digits[-1]]
    if zeros < 4:
        return _TENS_FINAL[zeros]
    return _MYRIAD_FINAL.get(min(zeros // 4, 3), 0)


def final_consonant(word: str) -> int | None:
    """The final consonant (0 for none, 8 for ㄹ …) the word ends in when read aloud, or None when it cannot
    tell. Closing quotes, brackets and punctuation are skipped; a number is read as Korean reads it."""
    text = str(word).rstrip(" \t\"'”’»」』)]}>.,!?:;·")
    if not text:
        return None
    last = text[-1]
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28
    if last.isdigit():
        start = len(text)
        while start > 0 and (text[start - 1].isdigit() or text[start - 1] in ".,"):
            start -= 1
        return _number_final(text[start:].replace(",", "").strip("."))
    if last.isascii() and last.isalpha():
        return _LETTER_FINAL.get(last.lower(), 0)
    return None


def particle(word, pair: str) -> str:
    """The form of a particle that fits `word`: particle("책", "을/를") -> "을". `pair` is "을/를", "이/가",
    "은/는", "과/와", "으로/로" … in either order. A word it cannot read takes the consonant form."""
    first, _sep, second = pair.partition("/")
    after_consonant, after_vowel = (first, second) if first in PARTICLES else (second, first)
    final = final_consonant(word)
    if final is None:
        return after_consonant
    if final == 0 or (final == _RIEUL and after_consonant.startswith("으")):
        return after_vowel
    return after_consonant


def with_particle(word, pair: str) -> str:
    """The word followed by the particle that fits it: with_particle("사과", "을/를") -> "사과를"."""
    return f"{word}{particle(word, pair)}"
