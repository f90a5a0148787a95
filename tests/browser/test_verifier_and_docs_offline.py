"""The verifier inside the site (header, navigation, language switch), its photo button shown only where a photo can
be read, a photo read by the server, times in the office's time zone; and the API docs with no outside network."""

import io
from datetime import date
from urllib.parse import urlsplit

import pytest
import segno
from django.core.management import call_command
from PIL import Image

from inminban.registry.models import Household
from inminban.stamps import services
from inminban.synth.demo import SMALL, build_demo

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


def _block_outside_network(page, live_server) -> list[str]:
    """Every request to a host other than the live server is aborted and remembered."""
    own = urlsplit(live_server.url).netloc
    refused = []

    def route(route):
        url = route.request.url
        if url.startswith(("data:", "blob:", "file:")) or urlsplit(url).netloc == own:
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    page.route("**/*", route)
    return refused


def _stamp(cast):
    household = Household.objects.filter(unit__code="HS-A1").order_by("number").first()
    return services.stamp_issue(
        actor=cast["leader-a1"],
        household=household,
        duty_kind="levy",
        duty_ref="levy:3/share:9",
        duty_title="Rice for the army",
        quantity=5,
        measure="kg",
        period_start=date(2026, 5, 1),
        period_end=date(2026, 5, 1),
    )


def _photo(text: str, path) -> str:
    """A phone-like photo: the QR code small on a large grey page, JPEG."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=9, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    picture = Image.new("L", (2400, 1800), 228)
    picture.paste(code, (700, 400))
    picture.save(path, format="JPEG", quality=75)
    return str(path)


def test_the_verifier_has_the_site_header_reads_a_photo_on_the_server_and_shows_local_time(
    live_server, phone, tmp_path, fits_width, settings
):
    settings.TIME_ZONE = "Asia/Pyongyang"
    cast = build_demo(size=SMALL)
    stamp = _stamp(cast)
    page = phone
    refused = _block_outside_network(page, live_server)

    page.goto(f"{live_server.url}/verify/")
    header = page.locator("header.topbar")
    assert header.locator("a.brand").is_visible()
    assert header.get_by_role("link", name="Log in").is_visible()
    assert header.locator("form.lang button[value=ko]").is_visible()
    # Headless Chromium on Linux has no BarcodeDetector: the server reads the photo, so the button is offered.
    assert page.evaluate("() => 'BarcodeDetector' in window") is False
    scan = page.locator("#scan-label")
    assert scan.is_visible()
    page.set_input_files("#qr-image", _photo(stamp.encoded, tmp_path / "photo.jpg"))
    page.locator("#result[data-reason]").wait_for()
    assert page.locator("#result").get_attribute("data-reason") == "valid"
    claims = page.locator("#result-claims").inner_text()
    assert "Rice for the army" in claims and "kilograms" in claims and "levy:" not in claims
    # Issued at, in Pyongyang time and in words: the same minute the stamp page shows.
    local = stamp.issued_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Pyongyang"))
    assert f"{local:%H:%M}" in claims and "UTC" not in claims
    assert f"{local.day} {local:%b} {local.year}" in claims
    assert fits_width(page)

    # A photo without a code: a plain message, not a silent nothing.
    blank = tmp_path / "blank.png"
    Image.new("L", (300, 300), 255).save(blank)
    page.evaluate("document.getElementById('result').removeAttribute('data-reason')")
    page.set_input_files("#qr-image", str(blank))
    page.locator("#result[data-reason]").wait_for()
    assert page.locator("#result").get_attribute("data-reason") == "no_qr_code"
    assert "No QR code was found" in page.locator("#result-message").inner_text()

    # In Korean: the page, the verdict and the dates.
    page.locator("form.lang button[value=ko]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ko"
    page.locator("#stamp-input").fill(stamp.encoded)
    page.locator("#verify-button").click()
    page.locator("#result[data-reason=valid]").wait_for()
    claims = page.locator("#result-claims").inner_text()
    assert f"{local.year}년 {local.month}월 {local.day}일" in claims and "킬로그람" not in "kilograms"
    assert refused == []

    # The stamp page links to the verifier with the stamp filled in.
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill("leader-a1")
    page.locator("#id_password").fill("inminban-demo")
    page.locator("form.form button[type=submit]").click()
    page.goto(f"{live_server.url}/stamps/{stamp.serial}/")
    page.locator("a[href^='/verify/#']").click()
    page.locator("#result[data-reason=valid]").wait_for()


def test_the_standalone_copy_offers_no_photo_button_where_no_photo_can_be_read(live_server, phone, tmp_path):
    build_demo(size=SMALL)
    standalone = tmp_path / "verifier.html"
    call_command("stamp", "export-verifier", str(standalone))
    phone.goto(standalone.as_uri())
    assert phone.locator("#stamp-input").is_visible()
    assert not phone.locator("#scan-label").is_visible()  # hidden, and no CSS rule shows it again
    assert phone.locator("header.topbar").count() == 0  # one file, no site around it


def test_the_api_docs_render_their_operations_with_no_outside_network(live_server, phone):
    page = phone
    refused = _block_outside_network(page, live_server)
    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".opblock").first.wait_for(timeout=60_000)  # a 1.5 MB bundle and the whole schema, on a busy machine
    assert page.locator(".opblock").count() > 20
    assert page.locator(".opblock-summary-path", has_text="/households").count() >= 1
    assert refused == []
