"""Every kind of page of every role, in real Chromium, in Korean at 390 px: axe-core (axe-playwright-python, which
ships axe.min.js in its wheel: nothing is downloaded) finds no serious or critical violation, and nothing scrolls
sideways. The pages are those the role's links lead to from the home page (tests/crawling.py), one per URL pattern;
tests/web/test_crawl_roles.py checks all their links and their translations."""

import os
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.test import Client

from crawling import crawl, one_per_pattern
from inminban.synth.demo import SMALL, build_demo
from inminban.synth.demo_duties import build_demo_duties
from inminban.synth.demo_entitlements import build_demo_entitlements

pytestmark = pytest.mark.browser

ROLES = ["admin", "officer-a", "leader-a1", "resident-a1", "auditor", "health-a"]
PHONE = {"width": 390, "height": 844}
# The rules of WCAG 2.1 A and AA (axe's best practices add only moderate and minor findings, at a cost per page).
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
BLOCKING = ("serious", "critical")


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


def _session_of(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    return client


def _violations(results: dict) -> list[str]:
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]


def test_every_kind_of_page_of_every_role_passes_axe_and_fits_a_phone(live_server, chromium, duty_rules):
    cast = build_demo(size=SMALL)
    build_demo_duties(cast)
    build_demo_entitlements(cast)
    base = live_server.url
    axe = Axe()
    problems: dict[str, dict[str, list[str]]] = {}
    timings: dict[str, dict] = {}
    roles = os.environ.get("INMINBAN_CRAWL_ROLES", ",".join(ROLES)).split(",")
    for username in roles:
        client = _session_of(username)
        started = time.monotonic()
        urls = one_per_pattern(crawl(client, downloads=False))
        timings[username] = {"crawl": time.monotonic() - started, "pages": len(urls), "load": 0.0, "axe": 0.0}
        assert len(urls) >= 3, (username, urls)
        context = chromium.new_context(viewport=PHONE, locale="ko-KR")
        context.add_cookies(
            [
                {"name": name, "value": client.cookies[name].value, "url": base}
                for name in ("sessionid", "django_language")
            ]
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        for url in urls:
            started = time.monotonic()
            response = page.goto(base + url)
            timings[username]["load"] += time.monotonic() - started
            found = [] if response.status == 200 else [f"answers {response.status}"]
            if page.evaluate("document.documentElement.lang") != "ko":
                found.append("not in Korean")
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if width[0] > width[1]:
                found.append(f"scrolls sideways at 390 px: {width[0]} px wide")
            started = time.monotonic()
            found += _violations(axe.run(page, options=AXE_OPTIONS).response)
            timings[username]["axe"] += time.monotonic() - started
            if found:
                problems.setdefault(username, {})[url] = found
        if username == roles[-1]:
            # The check can fail: an input without a label, added to the last page, is a critical violation.
            page.evaluate("document.querySelector('main').append(document.createElement('input'))")
            assert any(
                line.startswith("label (critical)") for line in _violations(axe.run(page, options=AXE_OPTIONS).response)
            )
        context.close()
    print({name: {key: round(value, 1) for key, value in times.items()} for name, times in timings.items()})
    assert problems == {}
