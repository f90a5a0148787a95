"""Server-rendered SVG bar charts: no JavaScript, readable on a phone, and described for screen readers.

Horizontal bars, because their labels stay legible on a narrow screen. Colours come from the page's CSS classes."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 320
LABEL_WIDTH = 92
VALUE_WIDTH = 40
ROW_HEIGHT = 30
BAR_HEIGHT = 20
TOP = 6


def bar_chart(*, chart_id: str, title: str, bars: list[tuple[str, int, str]], description: str = "") -> SafeString:
    """A horizontal bar chart. `bars` are (label, value, spoken text for that bar, e.g. "3 persons: 5 households")."""
    longest = max((value for _, value, _ in bars), default=0) or 1
    plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP * 2 + ROW_HEIGHT * max(len(bars), 1)
    rows = []
    for index, (label, value, spoken) in enumerate(bars):
        y = TOP + index * ROW_HEIGHT
        bar_width = round(plot_width * value / longest, 1)
        rows.append(
            (
                spoken,
                LABEL_WIDTH - 6,
                y + BAR_HEIGHT * 0.7,
                label,
                LABEL_WIDTH,
                y,
                max(bar_width, 1 if value else 0),
                BAR_HEIGHT,
                LABEL_WIDTH + bar_width + 4,
                y + BAR_HEIGHT * 0.7,
                value,
            )
        )
    body = format_html_join(
        "",
        '<g class="chart-row"><title>{}</title>'
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" rx="2"></rect>'
        '<text class="chart-value" x="{}" y="{}">{}</text></g>',
        rows,
    )
    return format_html(
        '<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=height,
        title=title,
        desc=description,
        body=body,
    )
