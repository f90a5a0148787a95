"""Reading the QR code in a photo of a stamp, for browsers that cannot (no BarcodeDetector): zxing-cpp on the server.

The photo is only decoded, never kept. Large photos are scaled down first: a stamp's QR code is legible at 2,000
pixels, and decoding a full-size 50-megapixel picture would hold a worker for seconds."""

import io

import zxingcpp
from django.utils.translation import gettext_noop
from PIL import Image, UnidentifiedImageError

from inminban.common.errors import DomainError

MAX_PHOTO_BYTES = 12 * 1024 * 1024
MAX_PIXELS = 60_000_000  # refused before decoding: a small file that claims a huge picture (a "decompression bomb")
DECODE_SIDE = 2000


def qr_decode(photo) -> str:
    """The text of the first QR code in an uploaded photo (a Django UploadedFile, or None when none was sent), or
    DomainError("image", …) in plain words."""
    if photo is None or not photo.size:
        raise DomainError("image", gettext_noop("Choose a photo of the stamp's QR code."))
    if photo.size > MAX_PHOTO_BYTES:
        raise DomainError("image", gettext_noop("The photo is larger than 12 MB; take it again at a lower resolution."))
    try:
        image = Image.open(io.BytesIO(photo.read()))
        if image.width * image.height > MAX_PIXELS:
            raise DomainError(
                "image", gettext_noop("The photo is larger than 12 MB; take it again at a lower resolution.")
            )
        image.draft("L", (DECODE_SIDE, DECODE_SIDE))  # JPEG: decode at a reduced size straight away
        image = image.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise DomainError(
            "image", gettext_noop("This file is not a photo this server can read (JPEG, PNG or WebP).")
        ) from None
    image.thumbnail((DECODE_SIDE, DECODE_SIDE))
    for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        if barcode.valid and barcode.text:
            return barcode.text
    raise DomainError(
        "image", gettext_noop("No QR code was found in the photo. Hold the camera closer and keep the code flat.")
    )
