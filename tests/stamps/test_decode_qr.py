"""POST /verify/decode-qr: the server reads the QR code in a photo for browsers that cannot. Public, writes nothing;
every bad upload answers 400 with a plain message on the field `image`."""

import io

import pytest
import segno
from django.test import Client
from PIL import Image

from inminban.audit.models import AuditEntry
from inminban.stamps import qr

URL = "/verify/decode-qr"


def _png(text: str | None = None, *, size=(400, 400), scale=8) -> bytes:
    buffer = io.BytesIO()
    if text is None:
        Image.new("L", size, 255).save(buffer, format="PNG")
    else:
        segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def _photo_of_a_printed_page(text: str) -> bytes:
    """A QR code in a larger, grey, JPEG-compressed picture, as a phone would take it."""
    code = Image.open(io.BytesIO(_png(text, scale=10))).convert("L")
    page = Image.new("L", (3000, 2400), 235)
    page.paste(code, (1100, 700))
    buffer = io.BytesIO()
    page.save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


def _post(data: bytes | None, name="photo.png"):
    client = Client(enforce_csrf_checks=False)
    files = {} if data is None else {"image": io.BytesIO(data)}
    if data is not None:
        files["image"].name = name
    return client.post(URL, files)


@pytest.mark.django_db
def test_a_qr_code_in_a_photo_is_read_on_the_server():
    stamp_text = "INB1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEPWK G2EP4J0B3KL6QM5/OVGA/MAT%ZSVA2"
    before = AuditEntry.objects.count()
    answer = _post(_png(stamp_text))
    assert answer.status_code == 200 and answer.json() == {"text": stamp_text}
    answer = _post(_photo_of_a_printed_page(stamp_text), name="photo.jpg")
    assert answer.status_code == 200 and answer.json()["text"] == stamp_text
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("upload", "words"),
    [
        (None, "Choose a photo"),
        (b"", "Choose a photo"),
        (b"this is not a picture at all", "not a photo"),
        (_png(None), "No QR code was found"),
    ],
    ids=["no-file", "empty-file", "not-an-image", "no-code"],
)
def test_a_bad_upload_is_refused_in_plain_words(upload, words):
    before = AuditEntry.objects.count()
    answer = _post(upload)
    assert answer.status_code == 400
    assert answer.json()["field"] == "image" and words in answer.json()["error"]
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_a_huge_photo_is_refused_before_it_is_decoded(monkeypatch):
    monkeypatch.setattr(qr, "MAX_PHOTO_BYTES", 1000)
    answer = _post(_png("INB1:X" * 50))
    assert answer.status_code == 400 and "larger than" in answer.json()["error"]
    # A small file announcing an enormous picture (a decompression bomb) is refused by its header alone.
    monkeypatch.setattr(qr, "MAX_PHOTO_BYTES", 12 * 1024 * 1024)
    monkeypatch.setattr(qr, "MAX_PIXELS", 10_000)
    answer = _post(_png(None, size=(200, 200)))
    assert answer.status_code == 400 and "larger than" in answer.json()["error"]


@pytest.mark.django_db
def test_the_answer_is_in_the_language_of_the_request():
    client = Client()
    answer = client.post(URL, {}, HTTP_ACCEPT_LANGUAGE="ko")
    assert answer.status_code == 400
    assert "Choose a photo" not in answer.json()["error"]


@pytest.mark.django_db
def test_only_post_is_accepted():
    assert Client().get(URL).status_code == 405
