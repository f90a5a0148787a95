"""A feedback report as the page and the printout show it: names in the reader's language, the figures of the stored
content, a bar chart of what is done per unit (SVG on the page, drawn bars in the PDF). Laid out with
stamps/pdf.py's Document (fpdf2, the embedded Noto Sans KR)."""

from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from inminban.common.wording import measure_unit
from inminban.duties.models import ExemptionReason, Standing
from inminban.stamps import pdf
from inminban.web.charts import bar_chart
from inminban.web.templatetags.inminban_web import local_name

from .models import FeedbackReport


def _korean() -> bool:
    return (get_language() or "en").startswith("ko")


def local(item: dict, name: str = "name") -> str:
    """`name_ko` or `name_en` of a stored dict, in the reader's language, falling back to the other."""
    korean, english = item.get(f"{name}_ko") or "", item.get(f"{name}_en") or ""
    return (korean or english) if _korean() else (english or korean)


def percent_done(figures: dict) -> int:
    """Done of all that was due, in per cent (what the issuer forgave by stopping it counts as not done)."""
    due = Decimal(figures["due"])
    if due <= 0:
        return 100
    return max(0, min(100, int(Decimal(figures["done"]) * 100 / due)))


def report_title(report: FeedbackReport) -> str:
    return _("Feedback report: %(title)s") % {"title": local(report.content["obligation"], "title")}


def exemption_labels() -> dict[str, str]:
    return {code: str(label) for code, label in ExemptionReason.choices}


def exempt_text(figures: dict) -> str:
    """Persons exempt by reason, in words: "Disability 2, Pregnancy 1"; a dash when none."""
    labels = exemption_labels()
    return ", ".join(f"{labels.get(code, code)} {n}" for code, n in figures["exemptions"].items() if n) or "—"


def unit_rows(report: FeedbackReport) -> list[dict]:
    """Each unit's stored figures with its name, done-percentage and exemptions in words, for the page and the
    printout."""
    return [
        row | {"name": local(row), "percent": percent_done(row), "exempt_text": exempt_text(row)}
        for row in report.content["units"]
    ]


def total_row(report: FeedbackReport) -> dict:
    total = report.content["total"]
    return total | {"name": _("Total"), "percent": percent_done(total), "exempt_text": exempt_text(total)}


def report_chart(report: FeedbackReport) -> str:
    rows = unit_rows(report)
    return bar_chart(
        chart_id=f"report-{report.pk}",
        title=_("Done per unit, in per cent"),
        bars=[(row["name"][:14], row["percent"], f"{row['name']}: {row['percent']}%") for row in rows],
        description=_("How much of what is due in each unit is done, in per cent."),
    )


def _amount(value: str, measure: str) -> str:
    return f"{value} {measure_unit(measure)}"


def report_pdf(report: FeedbackReport) -> bytes:
    content = report.content
    obligation = content["obligation"]
    measure = obligation["measure"]
    title = report_title(report)
    doc = pdf.Document(title=title, orientation="L", footer=f"{local(content['area'])} · {title}")
    doc.line_of(local(content["area"]), size=11, color=pdf.GRAY)
    doc.heading(title, size=17)
    doc.line_of(
        _("Asked for by %(office)s on %(day)s.")
        % {"office": local_name(report.office), "day": pdf.document_datetime(report.requested_at)},
        size=9,
        color=pdf.GRAY,
    )
    if obligation["standing"] != Standing.ACTIVE:
        standing = str(dict(Standing.choices)[obligation["standing"]])
        reason = obligation.get("standing_reason") or ""
        doc.line_of(f"{standing}: {reason}" if reason else standing, size=10, color=pdf.RED)
    total = content["total"]
    doc.ln(1)
    doc.facts(
        [
            (_("Quota"), _amount(total["quota"], measure)),
            (_("Done"), _amount(total["done"], measure) + f" ({percent_done(total)}%)"),
            (_("Still owed"), _amount(total["shortfall"], measure)),
            (
                _("Cancelled by the issuer"),
                _("%(count)s shares, %(amount)s forgiven")
                % {"count": total["cancelled_shares"], "amount": _amount(total["cancelled_remaining"], measure)},
            ),
            (
                _("Waivers"),
                _("%(granted)s of %(requested)s granted (%(amount)s)")
                % {
                    "granted": total["waivers_granted"],
                    "requested": total["waivers_requested"],
                    "amount": _amount(total["waivers_granted_quantity"], measure),
                },
            ),
            (
                _("Petitions"),
                _("%(petitions)s, signed by %(signatures)s households")
                % {"petitions": total["petitions"], "signatures": total["signatures"]},
            ),
            (
                _("Complaints about officials"),
                _("%(petitions)s, signed by %(signatures)s households")
                % {"petitions": total["complaints"], "signatures": total["complaint_signatures"]},
            ),
        ],
        label_width=52,
    )
    rows = unit_rows(report)
    doc.ln(2)
    _bars(doc, rows)
    doc.ln(3)
    headers = [
        _("Unit"),
        _("Quota"),
        _("Done"),
        _("Still owed"),
        _("Cancelled"),
        _("Waivers granted / asked"),
        _("Exempt persons"),
        _("Petitions (signatures)"),
        _("Complaints (signatures)"),
    ]
    doc.set_font(pdf.FONT, size=8.5)
    with doc.table(
        col_widths=(40, 22, 26, 24, 24, 30, 44, 28, 28),
        line_height=4.6,
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT", "RIGHT", "RIGHT"),
        padding=1.4,
        first_row_as_headings=True,
        repeat_headings=1,
        headings_style=pdf.heading_style(),
    ) as table:
        table.row([str(header) for header in headers])
        for row in [*rows, total_row(report)]:
            table.row(
                [
                    row["name"],
                    row["quota"],
                    f"{row['done']} ({row['percent']}%)",
                    row["shortfall"],
                    f"{row['cancelled_shares']} · {row['cancelled_remaining']}",
                    f"{row['waivers_granted']} / {row['waivers_requested']}",
                    row["exempt_text"],
                    f"{row['petitions']} ({row['signatures']})",
                    f"{row['complaints']} ({row['complaint_signatures']})",
                ]
            )
    doc.ln(3)
    doc.line_of(
        _("Quantities are in %(unit)s. Still owed leaves out the shares the issuer cancelled, counted apart.")
        % {"unit": measure_unit(measure)},
        size=8,
        color=pdf.GRAY,
    )
    doc.line_of(
        _(
            "Exempt persons: members with a recorded exemption on the day the quota was divided; the allocation "
            "excused %(count)s of them, as its rule allows."
        )
        % {"count": total["excused_by_exemption"]},
        size=8,
        color=pdf.GRAY,
    )
    return doc.to_bytes()


def _bars(doc: pdf.Document, rows: list[dict]) -> None:
    """Done per unit as horizontal bars, to read at a glance on paper."""
    doc.line_of(_("Done per unit, in per cent"), size=10)
    label_width, bar_width, height = 45.0, 150.0, 5.0
    doc.set_font(pdf.FONT, size=8)
    for row in rows[:40]:
        y = doc.get_y()
        if y + height > doc.h - doc.b_margin:
            doc.add_page()
            y = doc.get_y()
        doc.set_xy(doc.l_margin, y)
        doc.cell(label_width - 2, height, row["name"][:24], align="R")
        doc.set_fill_color(232, 232, 238)
        doc.rect(doc.l_margin + label_width, y + 0.8, bar_width, height - 1.6, style="F")
        doc.set_fill_color(40, 90, 160)
        if row["percent"]:
            doc.rect(doc.l_margin + label_width, y + 0.8, bar_width * row["percent"] / 100, height - 1.6, style="F")
        doc.set_xy(doc.l_margin + label_width + bar_width + 2, y)
        doc.cell(20, height, f"{row['percent']}%")
        doc.set_y(y + height + 0.6)
    doc.set_fill_color(255, 255, 255)  # the table after it must not take the bars' colour
    doc.set_x(doc.l_margin)
