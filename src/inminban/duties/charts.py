"""Progress bars per unit as server-rendered SVG: a track to 100 % and the part done, readable on a phone and
described for screen readers. Colours come from the page's CSS (chart-bar) with a lighter track."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 320
LABEL_WIDTH = 84
VALUE_WIDTH = 44
ROW_HEIGHT = 28
BAR_HEIGHT = 18
TOP = 6


def progress_chart(*, chart_id: str, title: str, rows: list[tuple[str, int, str]], description: str = "") -> SafeString:
    """`rows` are (label, percent 0–100, spoken text for the row, e.g. "HS-A1: 3 of 4 households")."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP * 2 + ROW_HEIGHT * max(len(rows), 1)
    parts = []
    for index, (label, percent, spoken) in enumerate(rows):
        percent = max(0, min(100, int(percent)))
        y = TOP + index * ROW_HEIGHT
        parts.append(
            (
                spoken,
                LABEL_WIDTH - 6,
                y + BAR_HEIGHT * 0.72,
                label,
                LABEL_WIDTH,
                y,
                plot,
                BAR_HEIGHT,
                LABEL_WIDTH,
                y,
                round(plot * percent / 100, 1),
                BAR_HEIGHT,
                LABEL_WIDTH + plot + 4,
                y + BAR_HEIGHT * 0.72,
                percent,
            )
        )
    body = format_html_join(
        "",
        '<g class="chart-row"><title>{}</title>'
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="chart-track" x="{}" y="{}" width="{}" height="{}" rx="2" fill="#e5e7eb"></rect>'
        '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" rx="2"></rect>'
        '<text class="chart-value" x="{}" y="{}">{}%</text></g>',
        parts,
    )
    return format_html(
        '<svg class="chart progress-chart" id="{id}" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=height,
        title=title,
        desc=description,
        body=body,
    )
