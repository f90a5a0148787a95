"""The Content-Security-Policy (django-csp): every page says it, and no page needs more than it allows. Walked the
way each role clicks through the demo district with its duties and rations: no inline script or style without the
request's nonce, no style attribute, no inline event handler; the offline verifier (/verify/) included."""

import re
from collections import Counter, deque

import pytest
from django.test import Client

from inminban.synth.demo import build_demo
from inminban.synth.demo_duties import build_demo_duties
from inminban.synth.demo_entitlements import build_demo_entitlements

NOT_FOLLOWED = ("/static/", "/django-admin/", "/api/", "/i18n/", "/logout/")
PER_SHAPE = 2  # pages of one shape (/persons/N/) looked at, per role
PER_ROLE = 120

LINK = re.compile(r'<a\b[^>]*\bhref="(/[^"#?]*)')
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>", re.I)
STYLE_BLOCK = re.compile(r"<style\b[^>]*>", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
SCRIPT_URL = re.compile(r"""\s(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


@pytest.fixture
def district(db):
    cast = build_demo()
    build_demo_duties(cast)
    build_demo_entitlements(cast)
    return cast


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def _nonce(policy: dict[str, list[str]]) -> str | None:
    nonces = [value for value in policy.get("script-src", []) if value.startswith("'nonce-")]
    return nonces[0][len("'nonce-") : -1] if nonces else None


def _problems(html: str, nonce: str | None) -> list[str]:
    found = []
    for pattern, what in ((INLINE_SCRIPT, "inline script"), (STYLE_BLOCK, "style block")):
        for tag in pattern.findall(html):
            if nonce is None or f'nonce="{nonce}"' not in tag:
                found.append(f"{what} without the nonce: {tag}")
    for pattern, what in (
        (STYLE_ATTRIBUTE, "style attribute"),
        (EVENT_ATTRIBUTE, "event handler"),
        (SCRIPT_URL, "javascript: URL"),
    ):
        found += [f"{what}: {match.group(0)[:80]}" for match in pattern.finditer(html)]
    return found


def _shape(path: str) -> str:
    return re.sub(r"/\d+/", "/N/", re.sub(r"/\d+/", "/N/", path))


def _walk(client: Client) -> dict[str, object]:
    """GET every page reachable by links from the start page, a few of each shape; {path: response}."""
    seen, shapes, pages = {"/"}, Counter(), {}
    queue = deque(["/"])
    while queue and len(pages) < PER_ROLE:
        path = queue.popleft()
        response = client.get(path, follow=True)
        final = response.redirect_chain[-1][0] if response.redirect_chain else path
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        pages[final] = response
        for link in LINK.findall(response.content.decode()):
            if link in seen or link.startswith(NOT_FOLLOWED) or shapes[_shape(link)] >= PER_SHAPE:
                continue
            seen.add(link)
            shapes[_shape(link)] += 1
            queue.append(link)
    return pages


def test_the_policy_allows_only_this_site_and_no_inline_code(client_for):
    policy = _policy(client_for(None).get("/login/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'" and policy["style-src"][0] == "'self'"
    assert all(value == "'self'" or value.startswith("'nonce-") for value in policy["script-src"] + policy["style-src"])
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]


@pytest.mark.parametrize("username", ["leader-a1", "officer-a", "resident-a1", "auditor", "admin"])
def test_every_page_a_role_reaches_keeps_to_the_policy(district, client_for, username):
    pages = _walk(client_for(username))
    problems = {}
    for path, response in pages.items():
        policy = _policy(response)
        assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"], path
        found = _problems(response.content.decode(), _nonce(policy))
        if found:
            problems[path] = found
    assert problems == {}
    shapes = {_shape(path) for path in pages}
    if username == "leader-a1":
        # The pages that had inline code before: the attendance sheet and the printable receipt.
        assert {"/sessions/N/", "/deliveries/N/receipt/"} <= shapes, sorted(shapes)


def test_the_offline_verifier_runs_its_inline_code_with_the_nonce_only(client_for):
    response = client_for(None).get("/verify/")
    policy = _policy(response)
    assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert _problems(response.content.decode(), _nonce(policy)) == []
