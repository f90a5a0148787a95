"""Who may open an office's rules pages (the detection rules, the guests' registration deadline): besides the
officers and auditors each page's own tests cover, nobody; as from the API, a 404 and not a 403."""

import pytest
from django.urls import reverse

RULES_PAGES = [reverse("integrity:rules"), reverse("registry:stay-rules")]


@pytest.mark.parametrize("page", RULES_PAGES)
@pytest.mark.parametrize("username", ["leader-a1", "resident-a1", "health-a"])
def test_leaders_residents_and_others_get_404(client_for, page, username):
    client = client_for(username)
    assert client.get(page).status_code == 404
    assert client.get(page, {"office": "HS-A-OFFICE"}).status_code == 404


@pytest.mark.parametrize("page", RULES_PAGES)
def test_another_districts_office_is_404(client_for, page):
    assert client_for("officer-b").get(page, {"office": "HS-A-OFFICE"}).status_code == 404
    assert client_for("officer-city").get(page, {"office": "NO-SUCH"}).status_code == 404


@pytest.mark.parametrize("page", RULES_PAGES)
def test_anonymous_is_sent_to_log_in(client_for, page):
    response = client_for(None).get(page)
    assert response.status_code == 302 and response["Location"] == f"/login/?next={page}"


@pytest.mark.parametrize(("page", "save"), [(RULES_PAGES[0], "Save this rule"), (RULES_PAGES[1], "Save the deadline")])
def test_the_city_officer_starts_on_the_first_office_they_may_set_and_can_choose_another(client_for, page, save):
    client = client_for("officer-city")
    first = client.get(page, HTTP_ACCEPT_LANGUAGE="en")
    assert first.status_code == 200 and first.context["office"].code == "HS-A-OFFICE"
    assert 'name="office"' in first.content.decode() and save in first.content.decode()
    own = client.get(page, {"office": "HS-OFFICE"}, HTTP_ACCEPT_LANGUAGE="en")
    assert own.status_code == 200 and save not in own.content.decode()
    assert "set by an office above this one" in own.content.decode()
