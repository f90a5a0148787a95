"""Under the Content-Security-Policy, in real Chromium: the pages a leader and an administrator use load without a
single violation, and the receipt's Print button (a script file now, not an inline handler) still prints."""

import pytest

from inminban.duties.models import Delivery, Session
from inminban.synth.demo import DEMO_PASSWORD, SMALL, build_demo
from inminban.synth.demo_duties import build_demo_duties

pytestmark = pytest.mark.browser

# Before any page script: count CSP violations, and note a print instead of opening the print dialog.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
window.print = () => { window.__printed = true; };
"""


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _visit(page, url: str) -> list[str]:
    response = page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"], url
    page.wait_for_load_state("networkidle")
    return page.evaluate("() => window.__violations")


def test_pages_load_without_violations_and_the_receipt_prints(live_server, phone, duty_rules):
    cast = build_demo(size=SMALL)
    build_demo_duties(cast)
    base = live_server.url
    session = Session.objects.filter(unit__code="HS-A1").order_by("pk").first()
    delivery = Delivery.objects.filter(share__household__unit__code="HS-A1").order_by("pk").first()
    page = phone
    page.add_init_script(WATCH)

    _log_in(page, base, "leader-a1")
    violations = {}
    for path in ["/units/HS-A1/", "/day/", f"/sessions/{session.pk}/", f"/deliveries/{delivery.pk}/receipt/"]:
        violations[path] = _visit(page, base + path)
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("() => window.__printed === true")
    # The print styles came from the stylesheet: on paper, the top bar and the buttons are left out.
    assert page.locator("header.topbar").is_visible()
    page.emulate_media(media="print")
    assert page.locator("header.topbar").is_hidden() and page.get_by_role("button", name="Print").is_hidden()
    page.emulate_media(media="screen")
    assert violations == {path: [] for path in violations}


def test_the_admin_and_the_api_docs_load_without_violations(live_server, phone):
    build_demo(size=SMALL)
    base = live_server.url
    page = phone
    page.add_init_script(WATCH)
    _log_in(page, base, "admin")
    violations = {path: _visit(page, base + path) for path in ["/django-admin/", "/django-admin/auth/user/"]}
    violations["/api/v1/docs"] = _visit(page, base + "/api/v1/docs")
    page.locator("#swagger-ui .opblock").first.wait_for()
    assert violations == {path: [] for path in violations}
