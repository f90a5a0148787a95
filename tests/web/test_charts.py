import re

from inminban.web.charts import bar_chart


def test_bars_scale_to_the_largest_value_and_carry_spoken_titles():
    svg = bar_chart(chart_id="c", title="Sizes", bars=[("1", 2, "one: 2"), ("2", 4, "two: 4"), ("3", 0, "three: 0")])
    assert svg.startswith('<svg class="chart" id="c"')
    widths = [float(w) for w in re.findall(r'class="chart-bar" x="\d+" y="\d+" width="([\d.]+)"', svg)]
    assert widths[1] == 2 * widths[0] and widths[2] == 0
    assert '<title id="c-title">Sizes</title>' in svg
    assert "<title>two: 4</title>" in svg


def test_labels_are_escaped():
    svg = bar_chart(chart_id="c", title="<b>", bars=[("<script>", 1, "a & b")])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; b" in svg
    assert "&lt;b&gt;" in svg


def test_an_empty_chart_is_still_valid():
    svg = bar_chart(chart_id="c", title="Nothing", bars=[])
    assert svg.endswith("</svg>") and "chart-bar" not in svg
