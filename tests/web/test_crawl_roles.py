"""Every page of every role, as its links lead from the home page (tests/crawling.py), in Korean: each link the
pages show opens (no 404, no 403, no 500, no detour to the login page), and no English string of the catalogue is
left on a page where it has a Korean translation. The browser half (axe, width at 390 px) is
tests/browser/test_crawl_roles_axe.py."""

import json
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User

import crawling
from crawling import Catalogue, broken_links, crawl
from inminban.synth.demo_duties import build_demo_duties
from inminban.synth.demo_entitlements import build_demo_entitlements

ROLES = ["admin", "officer-a", "leader-a1", "resident-a1", "auditor", "health-a"]


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


@pytest.fixture
def full_demo(cast):
    """The small demo city with its duties, stamps and programs, as `inminban demo` serves it."""
    build_demo_duties(cast)
    build_demo_entitlements(cast)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue()


def _report(username: str, pages: dict, untranslated: dict) -> None:
    """With INMINBAN_CRAWL_REPORT=DIR, what the crawl found, one JSON file per account (to read, not asserted)."""
    if directory := os.environ.get("INMINBAN_CRAWL_REPORT"):
        rows = [
            {"url": p.url, "status": p.status, "pattern": p.pattern, "from": p.found_on, "s": round(p.seconds, 2)}
            for p in pages.values()
        ]
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / f"{username}.json").write_text(
            json.dumps(
                {"pages": rows, "untranslated": untranslated, "where": _where(pages, untranslated)},
                ensure_ascii=False,
                indent=1,
            )
        )


PO = """
msgid "Log out"
msgstr "로그아웃"

msgid "Skip to content"
msgstr "본문으로"

msgid "%(counter)s household"
msgid_plural "%(counter)s households"
msgstr[0] "%(counter)s세대"

msgctxt "measure unit"
msgid "kg"
msgstr "kg"

#, fuzzy
msgid "Not yet translated"
msgstr "번역"
"""


def test_the_catalogue_reader_finds_english_left_on_a_page(tmp_path):
    (tmp_path / "django.po").write_text(PO, encoding="utf-8")
    catalogue = Catalogue(tmp_path / "django.po")
    # Exact texts, texts with placeholders filled in, known phrases inside a longer text, fuzzy entries.
    assert catalogue.untranslated(["  Log out "]) == ["Log out"]
    assert catalogue.untranslated(["4 households", "Not yet  translated"]) == ["4 households", "Not yet translated"]
    assert catalogue.untranslated(["Household 3 · Skip to content"]) == ["Household 3 · Skip to content"]
    # Korean, records and what is the same in both languages are left alone.
    assert catalogue.untranslated(["로그아웃", "4세대", "김철수", "HS-A1", "kg", "2026-12-01", "Log outside"]) == []
    assert catalogue.untranslated(["Log out"], data=frozenset({"Log out"})) == []


def test_text_marked_in_another_language_is_not_read():
    reader = crawling._Reader()
    reader.feed(
        '<html lang="ko"><body><button lang="en">English</button><p>보기 <a href="/x/" title="열기">x</a></p>'
        "<script>var a = 'Log out';</script></body></html>"
    )
    assert reader.texts == ["보기 ", "열기", "x"] and reader.links == ["/x/"]


def _where(pages: dict, untranslated: dict) -> dict:
    """Each untranslated text with the HTML around its first appearance."""
    where = {}
    for url, texts in untranslated.items():
        for text in texts:
            if text not in where and (at := pages[url].html.find(text.split(" ")[0])) >= 0:
                where[text] = f"{url}: {pages[url].html[max(0, at - 300) : at + 100]}"
    return where


@pytest.mark.parametrize("username", ROLES)
def test_every_page_of_the_role_opens_its_links_and_is_in_korean(username, client_for, full_demo, catalogue):
    client = client_for(username)
    client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    pages = crawl(client)
    html_pages = [page for page in pages.values() if page.is_html]
    # The crawl reached more than the home page: every role has a few kinds of page.
    assert len({page.pattern for page in html_pages}) >= 3, sorted(pages)

    # The names of accounts the pages show (the top bar's, an account list's) are records, not interface.
    records = frozenset(name for user in User.objects.all() for name in (user.username, user.get_full_name()))
    untranslated = {}
    for page in html_pages:
        assert '<html lang="ko">' in page.html, page.url
        if found := catalogue.untranslated(page.texts, data=records):
            untranslated[page.url] = sorted(set(found))
    _report(username, pages, untranslated)
    assert broken_links(pages) == []
    assert untranslated == {}
