"""Korean and English: the language switch, translated pages and messages, and a complete catalogue."""

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django.utils.translation.template import templatize

import inminban
from inminban.audit.models import AuditEntry

PO_FILE = Path(inminban.__file__).parent / "locale" / "ko" / "LC_MESSAGES" / "django.po"


def test_the_top_bar_has_a_language_switch_that_posts(client_for):
    html = client_for("leader-a1").get("/units/HS-A1/").content.decode()
    form = re.search(r'<form class="lang" action="/i18n/setlang/" method="post">.*?</form>', html, re.S).group(0)
    assert 'name="csrfmiddlewaretoken"' in form
    assert 'name="next" value="/units/HS-A1/"' in form
    assert 'name="language" value="ko"' in form and "한국어" in form
    assert 'name="language" value="en"' in form and 'aria-pressed="true"' in form


def test_switching_to_korean_renders_korean(client_for):
    client = client_for("leader-a1")
    response = client.post("/i18n/setlang/", {"language": "ko", "next": "/units/HS-A1/"})
    assert response.status_code == 302 and response["Location"] == "/units/HS-A1/"
    html = client.get("/units/HS-A1/").content.decode()
    assert '<html lang="ko">' in html
    assert "인민반장" in html  # "Unit leader"
    assert "세대주" in html  # the relation "Head", a model choice label
    assert "4세대" in html
    assert "Unit leader" not in html and "Household" not in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/units/HS-A1/"})
    assert "Unit leader" in client.get("/units/HS-A1/").content.decode()


def test_service_errors_are_translated(client_for, worker_a1):
    client = client_for("leader-a1")
    client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    count = AuditEntry.objects.count()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(
        f"/persons/{worker_a1.pk}/",
        {"form": "person", "family_name": "김", "given_name": "철", "birth_date": tomorrow, "sex": "M"},
    )
    assert response.status_code == 400
    assert response.context["forms"]["person"].errors == {"birth_date": ["앞으로 올 날짜입니다."]}
    assert "생년월일" in response.content.decode()
    assert AuditEntry.objects.count() == count


def test_the_chart_titles_are_translated(client_for):
    client = client_for("officer-a")
    client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    html = client.get("/areas/HS-A/").content.decode()
    assert "세대원수별 세대" in html and "나이대별 인구" in html
    assert "성후동 1인민반" in html  # the Korean name of the unit


def _unquote(text: str) -> str:
    return ast.literal_eval(f'"{text}"')


def _entries(text: str):
    """(msgid, plural msgid or None, msgstr values, flags) for each entry of a .po file, escapes undone."""
    for block in text.split("\n\n"):
        lines = block.strip().splitlines()
        flags = " ".join(line for line in lines if line.startswith("#,"))
        parts, strings, current = {}, [], None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                if current.startswith("msgstr"):
                    strings.append(_unquote(match.group(2)))
                else:
                    parts[current] = _unquote(match.group(2))
            elif line.startswith('"') and current:
                if current.startswith("msgstr"):
                    strings[-1] += _unquote(line[1:-1])
                else:
                    parts[current] += _unquote(line[1:-1])
        if parts.get("msgid"):
            yield parts["msgid"], parts.get("msgid_plural"), strings, flags


def test_every_string_in_the_catalogue_has_a_korean_translation():
    entries = list(_entries(PO_FILE.read_text(encoding="utf-8")))
    assert len(entries) > 150
    untranslated = [msgid for msgid, _, strings, flags in entries if not all(strings) or "fuzzy" in flags]
    assert untranslated == []
    mo_file = PO_FILE.with_suffix(".mo")
    assert mo_file.exists() and mo_file.stat().st_mtime >= PO_FILE.stat().st_mtime - 1


# What Django's makemessages reads from a template: templatize() turns {% translate %} and {% blocktranslate %}
# (with their plurals, contexts and `trimmed`) into gettext calls on string literals, which these pick out.
_LITERAL = r"""u(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_CALL = re.compile(rf"\b(gettext|ngettext|pgettext|npgettext)\(({_LITERAL}(?:, {_LITERAL})*)")


def _marked_in(template: Path) -> set[str]:
    """Every msgid (and plural msgid) a template marks for translation, as makemessages extracts them."""
    marked = set()
    for function, arguments in _CALL.findall(templatize(template.read_text(encoding="utf-8"), origin=str(template))):
        strings = [ast.literal_eval(literal) for literal in re.findall(_LITERAL, arguments)]
        marked |= set(strings[1:] if function.startswith(("pgettext", "npgettext")) else strings)
    return marked


TEMPLATES = sorted((Path(inminban.__file__).parent).glob("*/templates/**/*.html"))


def test_templates_of_every_app_are_checked():
    apps = {template.relative_to(Path(inminban.__file__).parent).parts[0] for template in TEMPLATES}
    assert {"web", "duties", "entitlements", "stamps"} <= apps


@pytest.mark.parametrize(
    "template", TEMPLATES, ids=[str(t.relative_to(Path(inminban.__file__).parent)) for t in TEMPLATES]
)
def test_every_template_string_is_in_the_catalogue(template):
    """Catches a string marked in a template but never extracted (makemessages not re-run), in every app."""
    catalogue = set()
    for msgid, plural, _, _ in _entries(PO_FILE.read_text(encoding="utf-8")):
        catalogue |= {msgid, plural} - {None}
    assert _marked_in(template) - catalogue == set()
