"""Entitled and denied households per area as a server-rendered SVG: one stacked bar per area, its name above it.

The text goes above the bar, not beside it, because unit names ("Songhu-dong unit 1") do not fit beside a bar on a
390 px phone; it carries both numbers, so the bar's colours are never the only way to read it."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 320
ROW_HEIGHT = 46
LABEL_HEIGHT = 16
BAR_HEIGHT = 20
TOP = 4
LEGEND_HEIGHT = 24
ENTITLED_FILL = "#1f7a3a"
DENIED_FILL = "#b3261e"


def entitled_denied_chart(
    *, chart_id: str, title: str, description: str, rows: list[tuple[str, int, int]], legend: tuple[str, str]
) -> SafeString:
    """`rows` are (the row's text, e.g. "Songhu-dong unit 1: 3 entitled, 1 denied", entitled, denied); `legend`
    names the two parts of a bar."""
    longest = max((entitled + denied for _, entitled, denied in rows), default=0) or 1
    height = TOP + LEGEND_HEIGHT + ROW_HEIGHT * max(len(rows), 1)
    parts = []
    for index, (label, entitled, denied) in enumerate(rows):
        y = TOP + LEGEND_HEIGHT + index * ROW_HEIGHT
        bar_y = y + LABEL_HEIGHT + 2
        entitled_width = round(WIDTH * entitled / longest, 1)
        denied_width = round(WIDTH * denied / longest, 1)
        parts.append(
            (
                label,
                y + LABEL_HEIGHT - 3,
                label,
                bar_y,
                entitled_width,
                BAR_HEIGHT,
                ENTITLED_FILL,
                entitled_width,
                bar_y,
                denied_width,
                BAR_HEIGHT,
                DENIED_FILL,
            )
        )
    body = format_html_join(
        "",
        '<g class="chart-row"><title>{}</title>'
        '<text class="chart-label" x="0" y="{}">{}</text>'
        '<rect x="0" y="{}" width="{}" height="{}" fill="{}"></rect>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect></g>',
        parts,
    )
    legend_body = format_html(
        '<g class="chart-legend"><rect x="0" y="{y}" width="12" height="12" fill="{ok}"></rect>'
        '<text class="chart-label" x="16" y="{ty}">{entitled}</text>'
        '<rect x="160" y="{y}" width="12" height="12" fill="{bad}"></rect>'
        '<text class="chart-label" x="176" y="{ty}">{denied}</text></g>',
        y=TOP,
        ty=TOP + 11,
        ok=ENTITLED_FILL,
        bad=DENIED_FILL,
        entitled=legend[0],
        denied=legend[1],
    )
    return format_html(
        '<svg class="chart entitlement-chart" id="{id}" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{legend}{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=height,
        title=title,
        desc=description,
        legend=legend_body,
        body=body,
    )
