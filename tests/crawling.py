"""A crawler over the pages one account can reach, with Django's test client, for the acceptance tests of every
role (tests/web/test_crawl_roles.py: links and translations; tests/browser/test_crawl_roles_axe.py: axe and width).

From the home page it follows every same-site link (`<a href>`, GET only) except the logout, the language switch
and the Django admin's own pages, following redirects as a browser does: what a person clicking it gets. Of each
URL pattern (route and query parameter names) only the first few links are fetched, so a unit with 30 households
costs three household pages, not 30, and every kind of page any page links to is covered."""

import ast
import re
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urldefrag, urlsplit

from django.urls import Resolver404, resolve

import inminban

PO_FILE = Path(inminban.__file__).parent / "locale" / "ko" / "LC_MESSAGES" / "django.po"

# Never followed: they end the session, switch the language, or are Django's own admin (with its own catalogue).
SKIPPED_PREFIXES = ("/logout", "/i18n/", "/django-admin/", "/static/")
# Fetched: this many pages of each URL pattern (a household page like another is built by the same code), all of
# them read for more links, and one download of each pattern and kind of file (a PDF takes seconds to make).
FETCH_PER_PATTERN = 2
DOWNLOAD = re.compile(r"\.(pdf|csv|xlsx|json|png|svg|txt)$")
# Fetched at most per account (the small demo needs far fewer; this only bounds a runaway).
FETCH_LIMIT = 400


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    found_on: str
    pattern: str
    html: str = ""
    texts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def is_html(self) -> bool:
        return self.status == 200 and self.content_type.startswith("text/html")


class _Reader(HTMLParser):
    """The links of a page and the texts a person reads or hears: text nodes outside script, style and template,
    and the labels given in attributes (aria-label, title, placeholder, alt, a button's value)."""

    HIDDEN = {"script", "style", "template", "noscript"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.texts: list[str] = []
        # (tag, whether the element is in the page's language: text marked lang="en" on a Korean page, such as
        # the language switch's "English", is meant to be English).
        self._stack: list[tuple[str, bool]] = [("", True)]
        self._page_lang = ""

    def _in_page_language(self) -> bool:
        return self._stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self._page_lang = (attrs.get("lang") or "").split("-")[0]
        lang = (attrs.get("lang") or "").split("-")[0]
        own = self._in_page_language() if not lang or tag == "html" else lang == self._page_lang
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if own:
            for name in ("aria-label", "title", "placeholder", "alt"):
                if attrs.get(name):
                    self.texts.append(attrs[name])
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.texts.append(attrs["value"])
        if tag not in self.VOID:
            self._stack.append((tag, own))

    def handle_endtag(self, tag):
        if any(open_tag == tag for open_tag, _ in self._stack[1:]):
            while len(self._stack) > 1 and self._stack.pop()[0] != tag:
                pass

    def handle_data(self, data):
        tags = {tag for tag, _ in self._stack}
        if data.strip() and self._in_page_language() and not tags & self.HIDDEN and "title" not in tags:
            self.texts.append(data)


def pattern_of(url: str) -> str:
    """The URL's route with the names of its query parameters (`households/<int:pk>/`, `audit/?page`), and the
    kind of file a download is (`units/<str:code>/door-sheet.<str:fmt> pdf`)."""
    parts = urlsplit(url)
    try:
        route = resolve(parts.path).route
    except Resolver404:
        route = parts.path
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    download = DOWNLOAD.search(parts.path)
    return route + ("?" + "&".join(keys) if keys else "") + (f" {download.group(1)}" if download else "")


def _same_site(href: str, base: str) -> str | None:
    href = urldefrag(href.strip())[0]
    if not href or href.startswith(("mailto:", "tel:", "javascript:", "data:")):
        return None
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        if parts.netloc not in ("testserver", "localhost", "127.0.0.1") and not parts.netloc.startswith("localhost:"):
            return None
        href = parts.path + (f"?{parts.query}" if parts.query else "")
    elif not href.startswith("/"):
        # Relative to the page it is on: "?page=2", "edit/".
        page = urlsplit(base)
        href = (page.path if href.startswith("?") else page.path.rsplit("/", 1)[0] + "/") + href
    if href.startswith(SKIPPED_PREFIXES):
        return None
    return href


def crawl(client, start: str = "/", *, downloads: bool = True) -> dict[str, Page]:
    """Every page reachable from `start` by links, with what each answered (redirects followed); without
    `downloads`, the links to files (PDF, CSV, XLSX) are left out."""
    pages: dict[str, Page] = {}
    queued: dict[str, int] = {pattern_of(start): 1}
    queue = deque([(start, "(start)")])
    seen = {start}
    while queue and len(pages) < FETCH_LIMIT:
        url, found_on = queue.popleft()
        started = time.monotonic()
        response = client.get(url, follow=True)
        page = Page(
            url=url,
            status=response.status_code,
            content_type=response.get("Content-Type", ""),
            found_on=found_on,
            pattern=pattern_of(url),
            seconds=time.monotonic() - started,
        )
        if response.redirect_chain and urlsplit(response.redirect_chain[-1][0]).path.startswith("/login"):
            page.status = 401  # sent to the login page: a link the account cannot open
        pages[url] = page
        if not page.is_html:
            continue
        page.html = response.content.decode()
        reader = _Reader()
        reader.feed(page.html)
        page.texts = reader.texts
        for href in reader.links:
            link = _same_site(href, url)
            if link is None or link in seen:
                continue
            seen.add(link)
            pattern, download = pattern_of(link), DOWNLOAD.search(urlsplit(link).path)
            if download and not downloads:
                continue
            if queued.get(pattern, 0) < (1 if download else FETCH_PER_PATTERN):
                queued[pattern] = queued.get(pattern, 0) + 1
                queue.append((link, url))
    return pages


def broken_links(pages: dict[str, Page]) -> list[str]:
    return [
        f"{page.url} answers {page.status} (linked from {page.found_on})"
        for page in pages.values()
        if page.status >= 400
    ]


def one_per_pattern(pages: dict[str, Page]) -> list[str]:
    """One HTML page of each URL pattern, the first found."""
    chosen: dict[str, str] = {}
    for page in pages.values():
        if page.is_html:
            chosen.setdefault(page.pattern, page.url)
    return list(chosen.values())


# The message catalogue -------------------------------------------------------------------------------------------


def _unquote(text: str) -> str:
    return ast.literal_eval(f'"{text}"')


def catalogue_entries(po_file: Path = PO_FILE):
    """(msgid, the Korean msgstr or "" when missing or fuzzy) for every entry; plurals give their singular and
    plural msgids, each with the first Korean form."""
    for block in po_file.read_text(encoding="utf-8").split("\n\n"):
        lines = block.strip().splitlines()
        if any(line.startswith("#~") for line in lines):
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        parts: dict[str, str] = {}
        current = None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                parts[current] = _unquote(match.group(2))
            elif current and line.startswith('"'):
                parts[current] += _unquote(line[1:-1])
        if not parts.get("msgid"):
            continue
        korean = "" if fuzzy else parts.get("msgstr", parts.get("msgstr[0]", ""))
        yield parts["msgid"], korean
        if parts.get("msgid_plural"):
            yield parts["msgid_plural"], korean


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\w*\}")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def _normal(text: str) -> str:
    return " ".join(text.split())


class Catalogue:
    """The English msgids whose Korean differs (or is missing): shown as they are on a Korean page, they are
    untranslated strings."""

    def __init__(self, po_file: Path = PO_FILE):
        self.exact: set[str] = set()
        patterns = []
        for msgid, korean in catalogue_entries(po_file):
            if korean == msgid or not ENGLISH_WORD.search(msgid):
                continue
            text = _normal(msgid)
            if PLACEHOLDER.search(text):
                # A msgid with placeholders matches a whole text with anything in their place, if one of its own
                # words is there to tell it from ordinary data ("Household 3", "3 households").
                fixed = PLACEHOLDER.sub(" ", text)
                if re.search(r"[A-Za-z]{3,}", fixed):
                    pieces = self._literals(text)
                    patterns.append("(?:" + ".+?".join(re.escape(p) for p in pieces) + ")")
            else:
                self.exact.add(text)
        self.templated = re.compile("^(?:" + "|".join(patterns) + ")$") if patterns else None
        # Texts of two English words or more are also looked for inside longer texts ("Household 3 · 4 members").
        self.phrases = sorted((t for t in self.exact if len(ENGLISH_WORD.findall(t)) >= 2), key=len, reverse=True)

    @staticmethod
    def _literals(text: str) -> list[str]:
        pieces, last = [], 0
        for match in PLACEHOLDER.finditer(text):
            pieces.append(text[last : match.start()])
            last = match.end()
        pieces.append(text[last:])
        return pieces

    def untranslated(self, texts: list[str], *, data: frozenset[str] = frozenset()) -> list[str]:
        """The texts left in English; `data` are texts that are records, not interface (the user name shown)."""
        found = []
        for raw in texts:
            text = _normal(raw)
            if len(text) < 2 or not ENGLISH_WORD.search(text) or text in data:
                continue
            if text in self.exact:
                found.append(text)
            elif self.templated is not None and self.templated.match(text):
                found.append(text)
            elif len(ENGLISH_WORD.findall(text)) >= 2 and any(self._contains(text, p) for p in self.phrases):
                found.append(text)
        return found

    @staticmethod
    def _contains(text: str, phrase: str) -> bool:
        start = text.find(phrase)
        if start < 0:
            return False
        # Whole words only: "Log in" is not in "Log ins".
        before = text[start - 1] if start else " "
        after = text[start + len(phrase)] if start + len(phrase) < len(text) else " "
        return not before.isalnum() and not after.isalnum()
