"""Form errors, the GOV.UK way, on every kind of form (web/_form_fields.html and the forms that render their fields
by hand): an error summary at the top of the form with errors ("There is a problem", each error a link to its
field), the field marked aria-invalid, its aria-describedby naming ids that exist on the page (its error list and
its help), no id twice on a page with several forms; nothing written and nothing audited."""

from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.duties.models import Directive
from inminban.entitlements.models import Program
from inminban.registry.models import Person


class _Markup(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.ids: Counter = Counter()
        self.elements: list[tuple[str, dict]] = []
        self.summary_links: list[str] = []
        self._in_summary = 0
        self._summary_text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids[attrs["id"]] += 1
        self.elements.append((tag, attrs))
        if "error-summary" in (attrs.get("class") or "").split():
            self._in_summary = 1
        elif self._in_summary and tag == "div":
            self._in_summary += 1
        if self._in_summary and tag == "a":
            self.summary_links.append(attrs.get("href", ""))

    def handle_endtag(self, tag):
        if self._in_summary and tag == "div":
            self._in_summary -= 1

    def handle_data(self, data):
        if self._in_summary:
            self._summary_text.append(data)

    @property
    def summary_text(self) -> str:
        return " ".join(" ".join(self._summary_text).split())

    def by_id(self, element_id: str) -> tuple[str, dict]:
        return next((tag, attrs) for tag, attrs in self.elements if attrs.get("id") == element_id)


def assert_errors_linked(html: str, *, field_ids: list[str], title: str = "There is a problem") -> _Markup:
    """The summary links to exactly these fields, which are invalid and described by ids on the page."""
    markup = _Markup(html)
    assert title in markup.summary_text
    assert markup.summary_links == [f"#{field_id}" for field_id in field_ids]
    assert [name for name, count in markup.ids.items() if count > 1] == []
    for field_id in field_ids:
        tag, field = markup.by_id(field_id)
        if tag not in ("input", "select", "textarea"):
            continue  # a group of choices with none to offer: the link goes to what it says instead
        assert field.get("aria-invalid") == "true", field_id
        # Django names the error list …_error; a choice of a group (…_0) is described through its fieldset.
        described = field.get("aria-describedby", "").split()
        assert f"{field_id}_error" in described or field_id.endswith("_0"), field_id
    # Every aria-describedby on the page names ids that exist, and the summary takes the focus (tabindex=-1).
    for _, attrs in markup.elements:
        for ref in (attrs.get("aria-describedby") or "").split():
            assert markup.ids[ref] == 1, ref
    assert 'class="error-summary" tabindex="-1" data-error-summary' in html
    return markup


def test_a_page_form_error_is_summarised_and_linked_to_its_field(client_for, worker_a1):
    """The person page shows several forms (PageForm): the bad one gets the summary; ids stay unique."""
    count, before = AuditEntry.objects.count(), Person.objects.get(pk=worker_a1.pk)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client_for("leader-a1").post(
        f"/persons/{worker_a1.pk}/",
        {"form": "person", "family_name": "김", "given_name": "철", "birth_date": tomorrow, "sex": "M"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    markup = assert_errors_linked(html, field_ids=["id_person-birth_date"])
    # The error is said beside the field too, announced as an error, and the help stays linked.
    assert markup.ids["id_person-birth_date_error"] == 1
    assert "id_person-birth_date_helptext" in markup.by_id("id_person-birth_date")[1]["aria-describedby"].split()
    assert html.count('class="error-summary"') == 1
    assert AuditEntry.objects.count() == count
    after = Person.objects.get(pk=worker_a1.pk)
    assert (after.family_name, after.birth_date) == (before.family_name, before.birth_date)


def test_a_form_page_error_is_summarised_in_korean(client_for, unit_a1):
    client = client_for("officer-a")
    client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    count, directives = AuditEntry.objects.count(), Directive.objects.count()
    today = timezone.localdate().isoformat()
    response = client.post(
        "/directives/new/", {"area": unit_a1.pk, "title_en": "No text", "effective_on": today, "requires_ack": "on"}
    )
    assert response.status_code == 422
    markup = _Markup(response.content.decode())
    assert "문제가 있습니다" in markup.summary_text
    assert len(markup.summary_links) == 1
    assert_errors_linked(response.content.decode(), field_ids=[markup.summary_links[0][1:]], title="문제가 있습니다")
    assert (AuditEntry.objects.count(), Directive.objects.count()) == (count, directives)


def test_a_hand_rendered_form_gets_the_same_summary(client_for):
    """The program form lays out its own fields (entitlements/_field.html): same summary, same links."""
    count, programs = AuditEntry.objects.count(), Program.objects.count()
    response = client_for("officer-a").post("/programs/new/", {"name_ko": "", "kind": "nonsense"})
    assert response.status_code in (200, 400, 422)
    html = response.content.decode()
    markup = _Markup(html)
    assert "There is a problem" in markup.summary_text and markup.summary_links
    assert_errors_linked(html, field_ids=[link[1:] for link in markup.summary_links])
    assert (AuditEntry.objects.count(), Program.objects.count()) == (count, programs)


@pytest.mark.parametrize(
    ("username", "path"),
    [("leader-a1", "/persons/{person}/"), ("leader-a1", "/households/{household}/"), ("officer-a", "/accounts/")],
)
def test_pages_with_several_forms_have_no_id_twice(client_for, username, path, worker_a1):
    html = client_for(username).get(path.format(person=worker_a1.pk, household=worker_a1.household_id)).content
    markup = _Markup(html.decode())
    assert [name for name, count in markup.ids.items() if count > 1] == []
    for tag, attrs in markup.elements:
        if tag == "label" and attrs.get("for"):
            assert markup.ids[attrs["for"]] == 1, attrs["for"]
