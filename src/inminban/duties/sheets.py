"""The printable door-to-door sheet: a unit's households, what each still owes, and an empty column to sign.

Two sheets share one layout: the unit's sheet lists every open share (a campaign or levy in force, not yet done,
not yet stamped); a campaign's or levy's sheet lists that obligation's shares in the unit, done or not. Each is a
page (printed from the browser) and a PDF. Reads go through the scoped selectors: a unit the actor may not see,
or an obligation not addressed to them, is a 404, and residents see no unit."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from inminban.areas.models import Area
from inminban.areas.selectors import units_visible
from inminban.common.errors import NotVisible
from inminban.registry import selectors as registry
from inminban.registry.models import Household
from inminban.stamps import pdf
from inminban.web.decorators import page
from inminban.web.templatetags.inminban_web import local_name

from . import selectors
from .models import Campaign, Levy, Share, Standing, plain


@dataclass
class Owed:
    """One share on the sheet: what is left of it, in its measure."""

    share: Share
    obligation: Campaign | Levy

    @property
    def remaining(self) -> Decimal:
        return self.share.remaining

    @property
    def amount(self) -> str:
        return f"{plain(self.share.remaining)} {self.obligation.measure_symbol}"

    @property
    def due_on(self):
        return self.obligation.period_end

    @property
    def is_stamped(self) -> bool:
        return bool(self.share.stamp_serial)


@dataclass
class DoorRow:
    number: int
    household: Household
    owes: list[Owed] = field(default_factory=list)

    @property
    def head_name(self) -> str:
        return self.household.head.full_name if self.household.head_id else ""

    @property
    def dwelling(self) -> str:
        return str(self.household.dwelling) if self.household.dwelling_id else ""


def _unit(actor, code: str) -> Area:
    unit = units_visible(actor=actor).filter(code=code).first()
    if unit is None:
        raise NotVisible(f"unit {code} not found")
    return unit


def open_shares(*, actor, unit: Area):
    """Shares of the unit still owed: the obligation in force (not suspended or cancelled), not yet done."""
    active = Q(quota__campaign__standing=Standing.ACTIVE) | Q(quota__levy__standing=Standing.ACTIVE)
    return (
        selectors.shares_visible(actor=actor)
        .filter(
            active,
            quota__unit=unit,
            confirmed_at__isnull=True,
            cancelled_at__isnull=True,
            done__lt=F("quantity") - F("waived"),
        )
        .order_by("quota__levy__due_on", "quota__campaign__ends_on", "quota_id")
    )


def door_sheet(*, actor, unit: Area, obligation: Campaign | Levy | None = None) -> dict:
    """The sheet's rows: every current household of the unit in number order, with its shares on this sheet."""
    households = (
        registry.households_visible(actor=actor)
        .filter(unit=unit, dissolved_on__isnull=True)
        .select_related("head", "dwelling")
        .order_by("number")
    )
    if obligation is None:
        shares = open_shares(actor=actor, unit=unit)
    else:
        # A share its issuer cancelled is nobody's work any more: it leaves the sheet.
        shares = selectors.shares_of(actor=actor, obligation=obligation, unit=unit).filter(cancelled_at__isnull=True)
    by_household: dict[int, list[Owed]] = {}
    obligations: dict[str, Campaign | Levy] = {}
    for share in shares:
        owed = Owed(share, share.quota.obligation)
        by_household.setdefault(share.household_id, []).append(owed)
        obligations.setdefault(owed.obligation.ref, owed.obligation)
    rows = [
        DoorRow(index, household, by_household.get(household.pk, []))
        for index, household in enumerate(households, start=1)
    ]
    return {
        "unit": unit,
        "obligation": obligation,
        "obligations": list(obligations.values()),
        "rows": rows,
        "printed_on": timezone.localdate(),
    }


def _obligation(actor, kind: str, pk: int) -> Campaign | Levy:
    if kind == "campaign":
        return selectors.campaign_detail(actor=actor, pk=pk)
    return selectors.levy_detail(actor=actor, pk=pk)


def _sheet_for(request, code: str, kind: str | None, pk: int | None) -> dict:
    unit = _unit(request.user, code)
    obligation = _obligation(request.user, kind, pk) if kind else None
    if obligation is not None and not unit.path.startswith(obligation.area.path):
        raise NotVisible(f"{obligation.ref} does not reach {unit.code}")
    return door_sheet(actor=request.user, unit=unit, obligation=obligation)


def sheet_title(data: dict) -> str:
    if data["obligation"] is not None:
        return _("Door-to-door sheet: %(duty)s") % {"duty": data["obligation"].title}
    return _("Door-to-door sheet")


def _owed_line(owed: Owed, *, with_title: bool) -> str:
    if owed.is_stamped:
        text = _("stamped")
    elif owed.remaining <= 0:
        text = _("nothing owed")
    elif with_title:
        text = _("%(amount)s by %(day)s") % {"amount": owed.amount, "day": pdf.document_date(owed.due_on)}
    else:
        return owed.amount  # the one obligation's due date is in the sheet's heading
    return f"{owed.obligation.title}: {text}" if with_title else text


def _pdf_urls(code: str, kind: str | None, pk: int | None) -> dict:
    if kind is None:
        return {
            "pdf_url": reverse("duties:door-sheet-file", args=[code, "pdf"]),
            "back_url": reverse("registry:unit", args=[code]),
        }
    return {
        "pdf_url": reverse(f"duties:{kind}-door-sheet-file", args=[pk, code, "pdf"]),
        "back_url": reverse(f"duties:{kind}-unit", args=[pk, code]),
    }


def _due_days(data: dict) -> list[tuple]:
    """The obligations on the sheet with their last day, for its heading."""
    items = [data["obligation"]] if data["obligation"] is not None else data["obligations"]
    return [(item, pdf.document_date(item.period_end)) for item in items]


def _render_page(request, code: str, kind: str | None = None, pk: int | None = None):
    data = _sheet_for(request, code, kind, pk)
    rows = [
        {"row": row, "lines": [_owed_line(owed, with_title=data["obligation"] is None) for owed in row.owes]}
        for row in data["rows"]
    ]
    context = (
        data
        | _pdf_urls(code, kind, pk)
        | {
            "title": sheet_title(data),
            "lines": rows,
            "printed": pdf.document_date(data["printed_on"]),
            "due_days": _due_days(data),
        }
    )
    return render(request, "duties/door_sheet.html", context)


def _render_pdf(request, code: str, fmt: str, kind: str | None = None, pk: int | None = None):
    if fmt != "pdf":
        raise Http404(f"no sheet format {fmt!r}")
    data = _sheet_for(request, code, kind, pk)
    unit = data["unit"]
    title = sheet_title(data)
    doc = pdf.Document(title=f"{title} · {local_name(unit)}", orientation="L", footer=f"{local_name(unit)} · {title}")
    doc.line_of(local_name(unit), size=12, color=pdf.GRAY)
    doc.heading(title, size=18)
    facts = [_("Printed on %(day)s") % {"day": pdf.document_date(data["printed_on"])}]
    doc.line_of(" · ".join(facts), size=9, color=pdf.GRAY)
    for item, day in _due_days(data):
        doc.line_of(f"• {item.title} · " + _("due %(day)s") % {"day": day}, size=9.5)
    doc.ln(2)
    with_title = data["obligation"] is None
    headers = [_("No."), _("Household"), _("Head of household"), _("Dwelling"), _("Still owed"), _("Signature")]
    doc.set_font(pdf.FONT, size=9)
    with doc.table(
        col_widths=(10, 30, 34, 58, 83, 50),
        line_height=5.2,
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "LEFT", "LEFT"),
        padding=1.6,
        first_row_as_headings=True,
        repeat_headings=1,
        min_row_height=12,
        headings_style=pdf.heading_style(),
    ) as table:
        table.row([str(header) for header in headers])
        for row in data["rows"]:
            lines = [_owed_line(owed, with_title=with_title) for owed in row.owes] or ["—"]
            table.row([str(row.number), row.household.number, row.head_name, row.dwelling, "\n".join(lines), ""])
    doc.ln(3)
    doc.line_of(
        _("The household signs when it has been told what it owes. Nothing on this sheet is a receipt."),
        size=8.5,
        color=pdf.GRAY,
    )
    name = f"door-sheet-{unit.code}" + (f"-{data['obligation'].duty_kind}-{data['obligation'].pk}" if kind else "")
    response = HttpResponse(doc.to_bytes(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@page
@require_GET
def unit_sheet(request, code):
    return _render_page(request, code)


@page
@require_GET
def unit_sheet_file(request, code, fmt):
    return _render_pdf(request, code, fmt)


@page
@require_GET
def campaign_sheet(request, pk, code):
    return _render_page(request, code, "campaign", pk)


@page
@require_GET
def campaign_sheet_file(request, pk, code, fmt):
    return _render_pdf(request, code, fmt, "campaign", pk)


@page
@require_GET
def levy_sheet(request, pk, code):
    return _render_page(request, code, "levy", pk)


@page
@require_GET
def levy_sheet_file(request, pk, code, fmt):
    return _render_pdf(request, code, fmt, "levy", pk)
