"""Printed documents: the stamp certificate, and the page layout the door-to-door sheets share.

Laid out by fpdf2. Every character is set in Noto Sans KR, which the pinned package `pylopdf-fonts-ko` ships as a
file (Noto CJK's Korean subset, OpenType with CFF outlines). fpdf2 embeds the glyphs a document uses as a subset, so
a PDF reads the same on a machine without any Korean font and stays small (tens of kB)."""

from datetime import date, datetime
from functools import cache
from pathlib import Path

import pylopdf_fonts_ko
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import TextEmphasis, XPos, YPos
from fpdf.fonts import FontFace

from inminban.common.measures import measure_words

FONT = "NotoSansKR"
GRAY = (90, 90, 100)
RED = (170, 25, 25)


def heading_style() -> FontFace:
    """Table headings: shaded, in the regular weight (the package ships no bold, and fpdf2 would refuse to fake one)."""
    return FontFace(emphasis=TextEmphasis.NONE, fill_color=(232, 232, 238))


@cache
def font_path() -> Path:
    path = Path(pylopdf_fonts_ko.sans_path())
    if not path.is_file():  # a broken install: say what is missing rather than print boxes
        raise FileNotFoundError(f"Noto Sans KR not found at {path}; reinstall pylopdf-fonts-ko")
    return path


def _language() -> str:
    return "ko" if (get_language() or "en").startswith("ko") else "en"


def document_date(day: date | None) -> str:
    """The language's date in sentences, as on the pages (inminban/formats): 2026년 12월 1일, 1 Dec 2026."""
    if day is None:
        return ""
    return date_format(day, "DATE_FORMAT")


def document_datetime(moment: datetime | None) -> str:
    """A moment in INMINBAN_TIME_ZONE: 2026년 12월 1일 09:30, 1 Dec 2026, 09:30."""
    if moment is None:
        return ""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def document_period(start: date, end: date) -> str:
    return document_date(start) if end == start else f"{document_date(start)} – {document_date(end)}"


class Document(FPDF):
    """An A4 document in the UI's language, its text in the embedded Korean font, numbered pages in the footer."""

    def __init__(self, *, title: str, orientation: str = "P", footer: str = ""):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.add_font(FONT, "", str(font_path()))
        self.set_font(FONT, size=11)
        self.set_title(title)
        self.set_lang(_language())
        self.set_creator("Inminban")
        self.set_margins(16, 14, 16)
        self.set_auto_page_break(True, margin=16)
        self.footer_text = footer
        self.add_page()

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, size=7.5)
        self.set_text_color(*GRAY)
        pages = f"{self.page_no()} / {{nb}}"
        width = self.epw
        if self.footer_text:
            self.cell(width * 0.8, 4, self.footer_text)
            self.cell(width * 0.2, 4, pages, align="R")
        else:
            self.cell(width, 4, pages, align="R")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, *, size: float = 20) -> None:
        self.set_font(FONT, size=size)
        self.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=11)

    def line_of(self, text: str, *, size: float = 11, color=(0, 0, 0), height: float | None = None) -> None:
        self.set_font(FONT, size=size)
        self.set_text_color(*color)
        self.multi_cell(0, height or size * 0.48, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_font(FONT, size=11)

    def facts(self, rows: list[tuple[str, str]], *, label_width: float = 42) -> None:
        """Label and value, one pair a line; long values wrap beside their label."""
        for label, value in rows:
            top = self.get_y()
            self.set_font(FONT, size=9)
            self.set_text_color(*GRAY)
            self.multi_cell(label_width, 6, label, align="L", new_x=XPos.RIGHT, new_y=YPos.TOP)
            self.set_font(FONT, size=11)
            self.set_text_color(0, 0, 0)
            self.multi_cell(0, 6, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_y(max(self.get_y(), top + 6))

    def qr(self, qr, *, x: float, y: float, size: float) -> None:
        """A segno QR code drawn as filled rectangles (one per horizontal run of dark modules): sharp at any size."""
        rows = [list(row) for row in qr.matrix_iter(scale=1, border=4)]
        module = size / len(rows)
        self.set_fill_color(0, 0, 0)
        for row_index, row in enumerate(rows):
            col = 0
            while col < len(row):
                if row[col]:
                    start = col
                    while col < len(row) and row[col]:
                        col += 1
                    self.rect(x + start * module, y + row_index * module, (col - start) * module, module, style="F")
                else:
                    col += 1

    def to_bytes(self) -> bytes:
        return bytes(self.output())


def _local(obj) -> str:
    korean, english = obj.name_ko, obj.name_en
    return (korean or english) if _language() == "ko" else (english or korean)


def stamp_fields(stamp) -> list[tuple[str, str]]:
    """What the printed stamp says, in words: no codes, ids or keys, only the serial number a clerk may quote."""
    household = stamp.household
    fields = [(_("Household"), household.number)]
    if household.head_id:
        fields.append((_("Head of household"), household.head.full_name))
    if stamp.person_id:
        fields.append((_("Person"), stamp.person.full_name))
    fields.append((_("Duty"), f"{stamp.get_duty_kind_display()}: {stamp.duty_title}"))
    if stamp.quantity or stamp.measure:
        fields.append((_("Quantity"), f"{stamp.quantity_text} {measure_words(stamp.measure)}".strip()))
    fields += [
        (_("Period"), document_period(stamp.period_start, stamp.period_end)),
        (_("Unit"), _local(stamp.unit)),
        (_("Issuing office"), _local(stamp.office)),
        (_("Issued"), document_datetime(stamp.issued_at)),
        (_("Valid until"), document_datetime(stamp.expires_at) if stamp.expires_at else _("no end")),
        (_("Serial number"), str(stamp.serial)),
    ]
    return fields


def stamp_document(*, stamp, encoded: str, qr, verify_url: str) -> bytes:
    """The printable stamp: title, the claims a clerk reads, the QR code, and how to check it, in words."""
    title = _("Ration voucher") if stamp.duty_kind == "voucher" else _("Confirmation stamp")
    office_name = _local(stamp.office)
    doc = Document(title=f"{title} {stamp.serial}", footer=office_name)
    doc.line_of(office_name, size=12, color=GRAY)
    doc.ln(1)
    doc.heading(title, size=24)
    doc.ln(3)
    if stamp.is_revoked:
        revoked_on = document_date(timezone.localtime(stamp.revoked_at).date())
        doc.line_of(_("Revoked on %(day)s") % {"day": revoked_on}, size=15, color=RED)
        if stamp.revoked_reason:
            doc.line_of(stamp.revoked_reason, size=10, color=RED)
        doc.ln(3)
    doc.facts(stamp_fields(stamp))
    doc.ln(4)
    size = 62.0
    top = doc.get_y()
    if top + size + 40 > doc.h - doc.b_margin:
        doc.add_page()
        top = doc.get_y()
    doc.qr(qr, x=(doc.w - size) / 2, y=top, size=size)
    doc.set_y(top + size + 4)
    doc.line_of(_("How to check this stamp"), size=12)
    doc.ln(1)
    doc.line_of(
        _(
            "Open the verification page %(url)s and scan the code above. The page shows whether the stamp is "
            "valid, and for which household, duty and dates."
        )
        % {"url": verify_url},
        size=9.5,
        height=5,
    )
    doc.ln(2)
    doc.line_of(_("If the code cannot be scanned, type this text into the verification page:"), size=8, color=GRAY)
    doc.line_of(encoded, size=7, height=3.6)
    return doc.to_bytes()
