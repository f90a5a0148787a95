"""Who may do what with petitions, endpoint by endpoint; and no retaliation: the unit leader cannot learn which
household signed (or opened) a petition, through the API, the pages or the audit log, while the addressed office
and the auditor can."""

import pytest
from django.test import Client
from django.urls import reverse

from inminban.governance import petitions

from .petitioning import call, client_of, households_of, open_petition, resident_of


@pytest.fixture
def signed(cast, unit_a1, wide_a):
    """A petition opened by resident-a1 and co-signed by the third household of HS-A1."""
    petition = open_petition(cast["resident-a1"], title="우물 수리 청원")
    household = households_of(unit_a1)[2]
    neighbour = resident_of(household)
    petitions.petition_sign(actor=neighbour, petition=petition)
    return {"petition": petition, "household": household, "neighbour": neighbour, "opener": households_of(unit_a1)[0]}


def _identities(signed) -> list[str]:
    household, opener = signed["household"], signed["opener"]
    return [household.number, household.head.full_name, opener.number, opener.head.full_name]


def _reveals(text: str, signed) -> list[str]:
    return [value for value in _identities(signed) if value in text]


def test_the_leader_cannot_learn_who_signed(cast, signed):
    leader = client_of(cast["leader-a1"])
    pk = signed["petition"].pk
    detail = call(leader, "get", f"/petitions/{pk}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["signers"] is None and body["opened_by_household"] is None
    assert body["signature_count"] == 2 and body["units"] == [
        {"unit": "HS-A1", "unit_name": body["unit_name"], "signatures": 2}
    ]
    assert not _reveals(detail.content.decode(), signed)
    assert call(leader, "get", f"/petitions/{pk}/signatures").status_code == 404
    for scope in ("visible", "sign", "mine", "queue"):
        listed = call(leader, "get", f"/petitions?scope={scope}")
        assert listed.status_code == 200 and not _reveals(listed.content.decode(), signed)
    page = leader.get(f"/petitions/{pk}/")
    assert page.status_code == 200 and "우물 수리 청원" in page.content.decode()
    assert not _reveals(page.content.decode(), signed)
    assert not _reveals(leader.get("/petitions/").content.decode(), signed)
    # The audit log is not the leader's to read; the household's own history page (which the leader may read) says
    # nothing of petitions.
    assert leader.get(reverse("audit-log")).status_code in (403, 404)
    history = leader.get(reverse("registry:household", args=[signed["household"].pk]))
    assert history.status_code == 200
    text = history.content.decode()
    assert "우물 수리 청원" not in text and "signed the petition" not in text and "opened the petition" not in text


def test_the_addressed_office_and_the_auditor_see_who_signed(cast, signed):
    pk = signed["petition"].pk
    for username in ("officer-a", "officer-a2", "auditor", "admin"):
        client = client_of(cast[username])
        detail = call(client, "get", f"/petitions/{pk}").json()
        assert [s["household_number"] for s in detail["signers"]] == [
            signed["opener"].number,
            signed["household"].number,
        ], username
        assert detail["opened_by_household"] == signed["opener"].number
        listed = call(client, "get", f"/petitions/{pk}/signatures").json()
        assert listed["count"] == 2, username
        assert signed["household"].number in client.get(f"/petitions/{pk}/").content.decode(), username
    # The audit log tells the auditor which household signed.
    log = client_of(cast["auditor"]).get(reverse("audit-log") + "?action=petition.sign")
    assert log.status_code == 200 and signed["household"].number in log.content.decode()


def test_the_city_office_sees_signers_once_the_petition_came_up(cast, signed):
    city = client_of(cast["officer-city"])
    pk = signed["petition"].pk
    assert call(city, "get", f"/petitions/{pk}").json()["signers"] is None
    assert call(city, "get", f"/petitions/{pk}/signatures").status_code == 404
    petitions.petitions_escalate_due(now=signed["petition"].due_at)
    assert len(call(city, "get", f"/petitions/{pk}").json()["signers"]) == 2
    assert call(city, "get", f"/petitions/{pk}/signatures").status_code == 200


def test_a_resident_sees_their_own_signature_not_the_others(cast, signed):
    resident = client_of(cast["resident-a1"])
    pk = signed["petition"].pk
    body = call(resident, "get", f"/petitions/{pk}").json()
    assert body["signers"] is None and body["units"] is None and body["signed_by_me"] is True and body["mine"]
    assert call(resident, "get", f"/petitions/{pk}/signatures").status_code == 404
    assert not [v for v in _identities(signed)[:2] if v in resident.get(f"/petitions/{pk}/").content.decode()]


# The access matrix --------------------------------------------------------------------------------------------------

ANONYMOUS = None


def _client(cast, who) -> Client:
    return Client() if who is ANONYMOUS else client_of(cast[who] if isinstance(who, str) else who)


@pytest.mark.parametrize(
    ("who", "status"),
    [(ANONYMOUS, 401), ("resident-a1", 200), ("leader-a1", 200), ("officer-a", 200), ("officer-b", 404),
     ("auditor", 200), ("admin", 200), ("officer-city", 200), ("resident-b", 404)],
)  # fmt: skip
def test_read_a_petition(cast, signed, unit_b1, who, status):
    actor = resident_of(households_of(unit_b1)[0]) if who == "resident-b" else who
    assert call(_client(cast, actor), "get", f"/petitions/{signed['petition'].pk}").status_code == status
    listed = call(_client(cast, actor), "get", "/petitions")
    assert listed.status_code == (401 if who is ANONYMOUS else 200)


@pytest.mark.parametrize(
    ("who", "status"),
    [(ANONYMOUS, 401), ("resident-a1", 404), ("leader-a1", 404), ("officer-a", 200), ("officer-b", 404),
     ("auditor", 200), ("admin", 200), ("officer-city", 404), ("neighbour", 404)],
)  # fmt: skip
def test_read_the_signatures(cast, signed, who, status):
    actor = signed["neighbour"] if who == "neighbour" else who
    assert call(_client(cast, actor), "get", f"/petitions/{signed['petition'].pk}/signatures").status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [(ANONYMOUS, 401), ("resident-a1", 201), ("leader-a1", 403), ("officer-a", 403), ("auditor", 403),
     ("admin", 403)],
)  # fmt: skip
def test_open_a_petition(cast, wide_a, who, status):
    body = {"subject": "general", "title": "길 보수", "text": "길이 패였습니다."}
    assert call(_client(cast, who), "post", "/petitions", body).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [(ANONYMOUS, 401), ("fourth", 201), ("leader-a1", 403), ("officer-a", 403), ("officer-b", 404),
     ("auditor", 403), ("admin", 403), ("resident-b", 404)],
)  # fmt: skip
def test_sign_and_withdraw(cast, signed, unit_a1, unit_b1, who, status):
    actor = {
        "fourth": lambda: resident_of(households_of(unit_a1)[3]),
        "resident-b": lambda: resident_of(households_of(unit_b1)[0]),
    }.get(who, lambda: who)()
    client = _client(cast, actor)
    pk = signed["petition"].pk
    assert call(client, "post", f"/petitions/{pk}/signatures").status_code == status
    assert call(client, "delete", f"/petitions/{pk}/signatures").status_code == (200 if status == 201 else status)


@pytest.mark.parametrize(
    ("who", "status"),
    [(ANONYMOUS, 401), ("resident-a1", 403), ("leader-a1", 403), ("officer-b", 404), ("auditor", 403),
     ("officer-a", 201), ("officer-city", 201), ("admin", 201)],
)  # fmt: skip
def test_respond(cast, signed, who, status):
    body = {"outcome": "rejected", "text": "예산이 없습니다."}
    assert call(_client(cast, who), "post", f"/petitions/{signed['petition'].pk}/response", body).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [(ANONYMOUS, 401), ("resident-a1", 403), ("leader-a1", 403), ("officer-a", 200), ("officer-city", 200),
     ("auditor", 200), ("admin", 200)],
)  # fmt: skip
def test_read_the_groups(cast, signed, who, status):
    assert call(_client(cast, who), "get", "/petition-groups").status_code == status


@pytest.mark.parametrize(
    ("who", "pages"),
    [
        (ANONYMOUS, {"list": 302, "detail": 302, "new": 302, "queue": 302, "groups": 302}),
        ("resident-a1", {"list": 200, "detail": 200, "new": 200, "queue": 404, "groups": 403}),
        ("leader-a1", {"list": 200, "detail": 200, "new": 403, "queue": 404, "groups": 403}),
        ("officer-a", {"list": 200, "detail": 200, "new": 403, "queue": 200, "groups": 200}),
        ("officer-b", {"list": 200, "detail": 404, "new": 403, "queue": 200, "groups": 200}),
        ("auditor", {"list": 200, "detail": 200, "new": 403, "queue": 404, "groups": 200}),
    ],
)
def test_pages(cast, signed, who, pages):
    client = _client(cast, who)
    urls = {
        "list": "/petitions/",
        "detail": f"/petitions/{signed['petition'].pk}/",
        "new": "/petitions/new/",
        "queue": "/petitions/queue/",
        "groups": "/petitions/groups/",
    }
    assert {name: client.get(url).status_code for name, url in urls.items()} == pages
