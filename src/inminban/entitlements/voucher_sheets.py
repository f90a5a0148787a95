"""The printable voucher sheet of a unit: one voucher per entitled household, cut along the dashed lines and handed
out door to door by the unit leader. Six to an A4 page, each with its QR code (the signed voucher text), household
number, head of household, program, period, quantity and the last day it can be collected.

Laid out with stamps/pdf.py's Document (fpdf2, the embedded Noto Sans KR). For the unit's leader and the office
(those who may change the unit's records); a resident prints their own voucher from its stamp page. A voucher is
signed the first time it is shown (vouchers are written unsigned, in bulk, when the cycle is approved)."""

from datetime import timedelta

import segno
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from inminban.areas.access import CHANGE, VIEW, can, require
from inminban.areas.models import Area
from inminban.areas.selectors import areas_visible
from inminban.common.errors import NotVisible
from inminban.common.measures import measure_words
from inminban.stamps import pdf
from inminban.stamps.services import stamp_encoded
from inminban.web.decorators import page
from inminban.web.templatetags.inminban_web import local_name

from . import selectors
from .models import Cycle, Entitlement

COLUMNS, ROWS = 2, 3
GAP = 6.0  # mm between two vouchers, with the cutting line in the middle
QR_SIZE = 40.0


def sheet_unit(actor, cycle: Cycle, code: str) -> Area:
    """The unit of the sheet: one in the cycle's area that the actor may change (its leader, the office)."""
    unit = areas_visible(actor=actor).filter(code=code, level__is_unit=True).first()
    if unit is None or not unit.path.startswith(cycle.program.area.path) or not can(actor, VIEW, unit):
        raise NotVisible(f"unit {code} not found")
    require(actor, CHANGE, unit)
    return unit


def unit_vouchers(*, actor, cycle: Cycle, unit: Area) -> list[Entitlement]:
    """The unit's entitled households with a voucher still standing, by household number."""
    return list(
        selectors.entitlements_visible(actor=actor)
        .filter(cycle=cycle, unit=unit, eligible=True, voucher__isnull=False, voucher__revoked_at__isnull=True)
        .select_related(
            "household__head", "voucher__signing_key", "voucher__household", "voucher__unit", "voucher__office"
        )
        .order_by("household__number")
    )


def voucher_lines(entitlement: Entitlement) -> list[tuple[str, str]]:
    """What a printed voucher says, label and value, in the UI's language."""
    voucher = entitlement.voucher
    household = entitlement.household
    cycle = entitlement.cycle
    lines = [(_("Household"), household.number)]
    if household.head_id:
        lines.append((_("Head of household"), household.head.full_name))
    lines += [
        (_("Program"), cycle.program.name),
        (_("Period"), pdf.document_period(cycle.period_start, cycle.period_end)),
        (_("Quantity"), f"{voucher.quantity_text} {measure_words(voucher.measure)}"),
        (_("Collect by"), last_day(voucher)),
    ]
    return lines


def last_day(voucher) -> str:
    """The last day a voucher may be collected (it is valid until the midnight that ends it)."""
    if voucher.expires_at is None:
        return _("no end")
    return pdf.document_date((timezone.localtime(voucher.expires_at) - timedelta(microseconds=1)).date())


def _card(doc: pdf.Document, entitlement: Entitlement, *, x: float, y: float, width: float, height: float) -> None:
    voucher = entitlement.voucher
    doc.set_draw_color(150, 150, 160)
    doc.set_dash_pattern(dash=1.5, gap=1.5)
    doc.rect(x, y, width, height)
    doc.set_dash_pattern()
    pad = 4.0
    doc.set_xy(x + pad, y + pad)
    doc.set_font(pdf.FONT, size=8)
    doc.set_text_color(*pdf.GRAY)
    doc.cell(width - 2 * pad, 4, local_name(voucher.office))
    doc.set_xy(x + pad, y + pad + 4.5)
    doc.set_font(pdf.FONT, size=15)
    doc.set_text_color(0, 0, 0)
    doc.cell(width - 2 * pad, 7, _("Ration voucher"))
    text_width = width - 2 * pad - QR_SIZE - 2
    top = y + pad + 14
    for index, (label, value) in enumerate(voucher_lines(entitlement)):
        doc.set_xy(x + pad, top)
        doc.set_font(pdf.FONT, size=7)
        doc.set_text_color(*pdf.GRAY)
        doc.cell(text_width, 3, label)
        doc.set_xy(x + pad, top + 3)
        doc.set_font(pdf.FONT, size=12 if index == 0 else 9.5)
        doc.set_text_color(0, 0, 0)
        doc.multi_cell(text_width, 4.4, value, align="L", max_line_height=4.4)
        top = max(doc.get_y(), top + 7.5) + 1
    qr = pdf_qr(voucher)
    doc.qr(qr, x=x + width - pad - QR_SIZE, y=y + pad + 13, size=QR_SIZE)
    doc.set_xy(x + width - pad - QR_SIZE, y + pad + 13 + QR_SIZE)
    doc.set_font(pdf.FONT, size=6.5)
    doc.set_text_color(*pdf.GRAY)
    doc.multi_cell(QR_SIZE, 3, _("Show this code at the distribution counter."), align="C")
    doc.set_x(x + width - pad - QR_SIZE)
    doc.set_font(pdf.FONT, size=5.5)
    doc.multi_cell(QR_SIZE, 2.6, _("Serial number") + f" {voucher.serial}", align="C")
    doc.set_text_color(0, 0, 0)


def pdf_qr(voucher):
    # As the stamp page draws it: level M survives a creased print, and the Base45 text stays in the alphanumeric set.
    return segno.make(stamp_encoded(voucher), error="m", boost_error=False)


def vouchers_document(*, cycle: Cycle, unit: Area, entitlements: list[Entitlement]) -> bytes:
    title = _("Ration vouchers")
    heading = f"{cycle.program.name} · {local_name(unit)}"
    doc = pdf.Document(title=f"{title} · {heading}", footer=f"{local_name(unit)} · {title}")
    doc.set_auto_page_break(False, margin=doc.b_margin)
    doc.line_of(local_name(unit), size=10, color=pdf.GRAY)
    doc.heading(f"{title}: {cycle.program.name}", size=14)
    doc.line_of(
        pdf.document_period(cycle.period_start, cycle.period_end)
        + " · "
        + _("%(count)s households") % {"count": len(entitlements)},
        size=9,
        color=pdf.GRAY,
    )
    if not entitlements:
        doc.ln(4)
        doc.line_of(_("No household of this unit has a voucher to collect in this cycle."), size=11)
        return doc.to_bytes()
    first_top = doc.get_y() + 2
    width = (doc.epw - GAP * (COLUMNS - 1)) / COLUMNS
    for index, entitlement in enumerate(entitlements):
        slot = index % (COLUMNS * ROWS)
        if index and slot == 0:
            doc.add_page()
        top = first_top if doc.page_no() == 1 else doc.t_margin
        height = (doc.h - doc.b_margin - top - GAP * (ROWS - 1)) / ROWS
        column, row = slot % COLUMNS, slot // COLUMNS
        _card(
            doc,
            entitlement,
            x=doc.l_margin + column * (width + GAP),
            y=top + row * (height + GAP),
            width=width,
            height=height,
        )
    return doc.to_bytes()


@page
@require_GET
def unit_vouchers_pdf(request, pk, code):
    actor = request.user
    cycle = selectors.cycle_detail(actor=actor, pk=pk)
    unit = sheet_unit(actor, cycle, code)
    entitlements = unit_vouchers(actor=actor, cycle=cycle, unit=unit)
    for entitlement in entitlements:
        entitlement.cycle = cycle
    body = vouchers_document(cycle=cycle, unit=unit, entitlements=entitlements)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="vouchers-{cycle.pk}-{unit.code}.pdf"'
    return response
