"""The printable stamp PDF, read back the way a reader sees it: poppler's pdffonts, pdftotext and pdftoppm.

The title must be drawn with the embedded Noto Sans KR (not a font name the reader would need), the claims in the
UI's language and date format, and no developer command anywhere in the printed text."""

import re
import shutil
import subprocess
from datetime import date

import pytest
import zxingcpp
from PIL import Image

from inminban.stamps import services

POPPLER = ("pdffonts", "pdftotext", "pdftoppm")


def _run(*args) -> str:
    # Not a skip: scripts/ensure-test-services installs poppler-utils, and CI fails without it.
    assert shutil.which(args[0]), f"{args[0]} is missing: apt-get install poppler-utils"
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


@pytest.fixture
def fetch(client_for, tmp_path):
    """`fetch(stamp, language)` -> the PDF's path, fetched as leader-a1 in that language."""

    def get(stamp, language: str = "en", user: str = "leader-a1"):
        response = client_for(user).get(f"/stamps/{stamp.serial}.pdf", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        path = tmp_path / f"stamp-{language}.pdf"
        path.write_bytes(response.content)
        return path

    return get


def _fonts(path) -> list[list[str]]:
    lines = _run("pdffonts", str(path)).splitlines()[2:]
    return [line.split() for line in lines if line.strip()]


def _text(path) -> str:
    return _run("pdftotext", "-layout", str(path), "-")


def _title_box(path, tmp_path, title: str):
    """(image, box of the title's words in pixels at 100 dpi), from pdftotext's word boxes in points."""
    html = _run("pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-")
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)
    first = {}
    for *box, text in words:  # reading order: the first occurrence of each of the title's words is the title
        if text in title.split() and text not in first:
            first[text] = tuple(float(v) for v in box)
    boxes = list(first.values())
    assert boxes, f"title {title!r} not found among the page's words"
    _run("pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "page"))
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    scale = 100 / 72
    x0 = min(b[0] for b in boxes) * scale
    y0 = min(b[1] for b in boxes) * scale
    x1 = max(b[2] for b in boxes) * scale
    y1 = max(b[3] for b in boxes) * scale
    return image, (int(x0), int(y0), int(x1) + 1, int(y1) + 1)


def _dark_share(image, box) -> float:
    histogram = image.crop(box).histogram()  # grey levels 0..255
    return sum(histogram[:128]) / sum(histogram)


def test_korean_stamp_embeds_noto_sans_kr_and_draws_the_title(issue, household_a1, fetch, tmp_path):
    stamp = issue(household_a1, duty_title="거리 청소")
    path = fetch(stamp, "ko")
    fonts = _fonts(path)
    assert fonts, "the PDF names no font"
    # Every font is the embedded subset of Noto Sans KR: nothing is left to the reader's machine.
    for row in fonts:
        name, emb = row[0], row[-5]
        assert "NotoSansKR" in name and re.match(r"^[A-Z]{6}\+", name), row
        assert emb == "yes", f"{name} is not embedded"
    text = _text(path)
    assert "확인도장" in text and "거리 청소" in text and household_a1.number in text
    image, box = _title_box(path, tmp_path, "확인도장")
    # The title's glyphs are drawn (ink where the title is), and the paper beside it, on the same line, is white.
    assert _dark_share(image, box) > 0.08
    assert _dark_share(image, (box[2] + 20, box[1], image.width - 20, box[3])) == 0


def test_english_stamp_has_english_title_and_dates(issue, household_a1, fetch, tmp_path):
    stamp = issue(household_a1, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31))
    path = fetch(stamp, "en")
    text = _text(path)
    assert "Confirmation stamp" in text and "Street cleaning" in text
    assert "1 Mar 2026 – 31 Mar 2026" in text
    image, box = _title_box(path, tmp_path, "Confirmation stamp")
    assert _dark_share(image, box) > 0.08
    assert all(row[-5] == "yes" for row in _fonts(path))


def test_korean_dates_in_korean_format(issue, household_a1, fetch):
    stamp = issue(household_a1, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31))
    text = _text(fetch(stamp, "ko"))
    assert "2026년 3월 1일 – 2026년 3월 31일" in text
    assert "Mar" not in text


@pytest.mark.parametrize("language", ["en", "ko"])
def test_no_developer_text_is_printed(issue, household_a1, fetch, language):
    stamp = issue(household_a1)
    text = _text(fetch(stamp, language))
    for developer in ("inminban stamp", "stamp verify", "`", "campaign:12", "share:40", stamp.signing_key.kid):
        assert developer not in text, developer
    # The verification page is named as a full address a person can type, and the signed text is there as a
    # fallback for a code that cannot be scanned.
    assert "http://testserver/verify/" in text
    flat = re.sub(r"\s+", "", text)
    assert services.stamp_encoded(stamp).replace(" ", "") in flat


def test_the_qr_code_holds_the_stamp(issue, household_a1, fetch, tmp_path):
    stamp = issue(household_a1)
    path = fetch(stamp, "en")
    _run("pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "qr"))
    image = Image.open(next(tmp_path.glob("qr*.png")))
    results = zxingcpp.read_barcodes(image)
    assert [result.text for result in results] == [services.stamp_encoded(stamp)]


def test_revoked_stamp_says_so(issue, household_a1, fetch, cast):
    stamp = issue(household_a1)
    services.stamp_revoke(actor=cast["officer-a"], stamp=stamp, reason="double entry")
    text = _text(fetch(stamp, "en"))
    assert "Revoked on" in text and "double entry" in text


def test_other_units_leader_gets_404(issue, household_a1, client_for):
    stamp = issue(household_a1)
    assert client_for("leader-b1").get(f"/stamps/{stamp.serial}.pdf").status_code == 404
    assert client_for(None).get(f"/stamps/{stamp.serial}.pdf").status_code == 302
