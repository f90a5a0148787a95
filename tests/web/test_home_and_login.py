"""Logging in and out, and where each role lands."""

import pytest

from inminban.synth.demo import DEMO_PASSWORD


@pytest.mark.parametrize(
    ("username", "start"),
    [
        ("leader-a1", "/units/HS-A1/"),
        ("leader-b1", "/units/HS-B1/"),
        ("officer-a", "/areas/HS-A/"),
        ("officer-b", "/areas/HS-B/"),
        ("auditor", "/audit/"),
        ("resident-a1", "/my-household/"),
        ("admin", "/areas/KP/"),
    ],
)
def test_home_sends_each_role_to_its_start_page(client_for, username, start):
    response = client_for(username).get("/")
    assert response.status_code == 302
    assert response["Location"] == start
    assert client_for(username).get(start).status_code == 200


def test_a_user_without_a_role_is_told_so(client_for, django_user_model):
    django_user_model.objects.create_user("nobody", password="x" * 12)
    response = client_for("nobody").get("/")
    assert response.status_code == 200
    assert "Your account has no role in any area." in response.content.decode()


def test_anonymous_home_goes_to_log_in(client_for):
    response = client_for(None).get("/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/"


def test_log_in_with_the_password_and_land_on_the_start_page(client_for):
    client = client_for(None)
    page = client.get("/login/?next=/")
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    response = client.post("/login/", {"username": "leader-a1", "password": DEMO_PASSWORD, "next": "/"}, follow=True)
    assert response.redirect_chain == [("/", 302), ("/units/HS-A1/", 302)]
    assert response.status_code == 200


def test_a_wrong_password_is_refused(client_for):
    client = client_for(None)
    response = client.post("/login/", {"username": "leader-a1", "password": "wrong-password"})
    assert response.status_code == 200
    assert "The user name or password is not right." in response.content.decode()
    assert client.get("/units/HS-A1/").status_code == 302


def test_log_out_is_a_post(client_for):
    client = client_for("leader-a1")
    page = client.get("/units/HS-A1/").content.decode()
    assert '<form class="logout" action="/logout/" method="post">' in page
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/units/HS-A1/").status_code == 302


def test_top_bar_links_follow_the_roles(client_for):
    leader = client_for("leader-a1").get("/units/HS-A1/").content.decode()
    assert 'href="/audit/"' not in leader and 'href="/my-household/"' not in leader
    assert '<a href="/units/HS-A1/" aria-current="page">' in leader
    auditor = client_for("auditor").get("/audit/").content.decode()
    assert 'href="/audit/"' in auditor
    resident = client_for("resident-a1").get("/my-household/").content.decode()
    assert 'href="/my-household/"' in resident and 'href="/audit/"' not in resident
