"""The officer's overview: the areas below with household and person counts, totals, and two SVG charts."""

import re
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from inminban.areas import services as area_services
from inminban.areas.models import Area, AreaLevel
from inminban.registry import services
from inminban.registry.models import Household, Membership


def _counts(area_code: str) -> tuple[int, int]:
    path = Area.objects.get(code=area_code).path
    households = Household.objects.filter(unit__path__startswith=path).count()
    persons = Membership.objects.filter(household__unit__path__startswith=path, until=None).count()
    return households, persons


def test_lists_the_units_with_their_counts_and_totals(client_for):
    response = client_for("officer-a").get("/areas/HS-A/")
    assert response.status_code == 200
    children = {child.code: (child.household_count, child.person_count) for child in response.context["children"]}
    assert children == {"HS-A1": _counts("HS-A1"), "HS-A2": _counts("HS-A2")}
    households, persons = _counts("HS-A")
    assert response.context["totals"] == {"households": households, "persons": persons}
    html = response.content.decode()
    assert 'href="/units/HS-A1/"' in html and 'href="/units/HS-A2/"' in html
    assert f'<span class="number" id="total-households">{households}</span>' in html
    assert "HS-B1" not in html


def test_charts_are_labelled_svg_that_add_up(client_for):
    response = client_for("officer-a").get("/areas/HS-A/")
    assert response.status_code == 200
    html = response.content.decode()
    households, persons = _counts("HS-A")
    sizes_svg = re.search(r'<svg[^>]*id="chart-household-sizes".*?</svg>', html, re.S).group(0)
    ages_svg = re.search(r'<svg[^>]*id="chart-age-groups".*?</svg>', html, re.S).group(0)
    for svg in (sizes_svg, ages_svg):
        assert 'role="img"' in svg and "aria-labelledby=" in svg
        assert svg.count("<title") == svg.count('class="chart-bar"') + 1  # one for the chart, one per bar
    size_values = [int(v) for v in re.findall(r'class="chart-value"[^>]*>(\d+)<', sizes_svg)]
    age_values = [int(v) for v in re.findall(r'class="chart-value"[^>]*>(\d+)<', ages_svg)]
    assert sum(size_values) == households
    assert sum(age_values) == persons
    assert "<title>Age 60+:" in ages_svg
    # The household sizes chart's bars match the households' actual member counts.
    sizes = {}
    for household in Household.objects.filter(unit__path__startswith=Area.objects.get(code="HS-A").path):
        size = Membership.objects.filter(household=household, until=None).count()
        sizes[size] = sizes.get(size, 0) + 1
    for size, count in sizes.items():
        noun = "member" if size == 1 else "members"
        assert f"Households with {size} {noun}: {count}</title>" in sizes_svg


def test_the_city_overview_lists_districts(client_for):
    response = client_for("auditor").get("/areas/HS/")
    children = {child.code: (child.household_count, child.person_count) for child in response.context["children"]}
    assert children == {"HS-A": _counts("HS-A"), "HS-B": _counts("HS-B")}
    assert 'href="/areas/HS-A/"' in response.content.decode()


def test_a_unit_overview_links_to_the_unit_page(client_for):
    response = client_for("leader-a1").get("/areas/HS-A1/")
    assert response.status_code == 200
    assert response.context["children"] == []
    assert 'href="/units/HS-A1/"' in response.content.decode()


def test_breadcrumbs_show_only_visible_ancestors(client_for):
    assert [a.code for a in client_for("officer-a").get("/areas/HS-A1/").context["ancestors"]] == ["HS-A"]
    assert [a.code for a in client_for("admin").get("/areas/HS-A1/").context["ancestors"]] == ["KP", "RG", "HS", "HS-A"]


def test_query_count_does_not_grow_with_the_units(client_for, cast, django_assert_max_num_queries):
    client = client_for("officer-a")
    client.get("/areas/HS-A/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/areas/HS-A/")
    district = Area.objects.get(code="HS-A")
    unit_level = AreaLevel.objects.get(is_unit=True)
    admin = cast["admin"]
    for number in range(5):
        unit = area_services.area_create(
            actor=admin, parent=district, level=unit_level, code=f"HS-AX{number}", name_ko="새 반", name_en="New unit"
        )
        services.household_register(actor=admin, unit=unit, number=f"HS-AX{number}-001", registered_on=date(2020, 1, 1))
    with django_assert_max_num_queries(len(queries)):
        response = client.get("/areas/HS-A/")
    assert len(response.context["children"]) == 7
    assert response.context["totals"]["households"] == _counts("HS-A")[0]
