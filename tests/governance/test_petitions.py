"""Petitions through the public API: open, sign, withdraw, re-sign; bad input refused naming the field with nothing
written; escalation by threshold; the response published to every signer; recall petitions opening a recall vote."""

from inminban.audit.models import AuditEntry
from inminban.governance import petitions
from inminban.governance.models import ConsentVote, Escalation, Notification, Petition, PetitionResponse, Signature

from .petitioning import (
    add_units,
    call,
    client_of,
    error_fields,
    households_of,
    levy_in,
    open_petition,
    resident_of,
    snapshot,
)

BODY = {"subject": "general", "title": "우물 수리", "text": "마을 우물이 망가졌습니다."}


def test_open_sign_withdraw_and_sign_again(cast, unit_a1, wide_a):
    opener = client_of(cast["resident-a1"])
    answer = call(opener, "post", "/petitions", BODY)
    assert answer.status_code == 201, answer.content
    petition = answer.json()
    assert petition["office"] == "HS-A-OFFICE" and petition["status"] == "open"
    assert petition["signature_count"] == 1 and petition["signed_by_me"] is True and petition["mine"] is True
    neighbour = client_of(resident_of(households_of(unit_a1)[2]))
    listed = call(neighbour, "get", "/petitions?scope=sign").json()
    assert [item["id"] for item in listed["items"]] == [petition["id"]]
    assert listed["items"][0]["may_sign"] is True and listed["items"][0]["signed_by_me"] is False

    signed = call(neighbour, "post", f"/petitions/{petition['id']}/signatures")
    assert signed.status_code == 201 and signed.json()["signature_count"] == 2 and signed.json()["signed_by_me"]
    withdrawn = call(neighbour, "delete", f"/petitions/{petition['id']}/signatures")
    assert withdrawn.status_code == 200 and withdrawn.json()["signature_count"] == 1
    assert withdrawn.json()["signed_by_me"] is False
    again = call(neighbour, "post", f"/petitions/{petition['id']}/signatures")
    assert again.status_code == 201 and again.json()["signature_count"] == 2
    assert Signature.objects.filter(petition_id=petition["id"]).count() == 3  # the withdrawn one is kept
    assert call(neighbour, "get", "/petitions?scope=mine").json()["count"] == 1


def _refused(client, method, path, body=None) -> dict:
    before = snapshot()
    answer = call(client, method, path, body)
    assert answer.status_code == 422, answer.content
    assert snapshot() == before
    return error_fields(answer)


def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(cast, unit_a1, unit_b1, wide_a):
    resident = client_of(cast["resident-a1"])
    assert "title" in _refused(resident, "post", "/petitions", BODY | {"title": ""})
    assert "title" in _refused(resident, "post", "/petitions", BODY | {"title": "   "})
    assert "text" in _refused(resident, "post", "/petitions", BODY | {"text": " \n "})
    assert "official_name" in _refused(resident, "post", "/petitions", BODY | {"subject": "conduct"})
    assert "campaign" in _refused(resident, "post", "/petitions", BODY | {"subject": "obligation"})
    elsewhere = levy_in("HS-B")
    fields = _refused(resident, "post", "/petitions", BODY | {"subject": "obligation", "levy": elsewhere.pk})
    assert "levy" in fields
    # The service says the same to a caller that hands it the object (the pages do).
    before = snapshot()
    try:
        open_petition(cast["resident-a1"], subject="obligation", levy=elsewhere)
    except petitions.DomainError as error:
        assert error.field == "levy"
    else:
        raise AssertionError("a levy of another district was taken")
    assert snapshot() == before

    petition = open_petition(cast["resident-a1"])
    assert "petition" in _refused(resident, "post", f"/petitions/{petition.pk}/signatures")  # signed already
    petitions.petition_respond(actor=cast["officer-a"], petition=petition, outcome="rejected", text="예산이 없음")
    neighbour = client_of(resident_of(households_of(unit_a1)[2]))
    assert "petition" in _refused(neighbour, "post", f"/petitions/{petition.pk}/signatures")  # answered: closed
    assert "petition" in _refused(resident, "delete", f"/petitions/{petition.pk}/signatures")
    officer = client_of(cast["officer-a"])
    body = {"outcome": "accepted", "text": "다시"}
    assert "petition" in _refused(officer, "post", f"/petitions/{petition.pk}/response", body)
    fresh = open_petition(cast["resident-a1"], title="다른 청원")
    assert "text" in _refused(officer, "post", f"/petitions/{fresh.pk}/response", {"outcome": "accepted", "text": ""})
    assert "outcome" in _refused(officer, "post", f"/petitions/{fresh.pk}/response", {"outcome": "maybe", "text": "x"})


def test_an_obligation_petition_names_a_levy_of_the_district(cast, wide_a):
    levy = levy_in("HS-A")
    answer = call(
        client_of(cast["resident-a1"]), "post", "/petitions", BODY | {"subject": "obligation", "levy": levy.pk}
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["levy"] == levy.pk and answer.json()["obligation_title"] == "Rice for the army"
    assert list(petitions.petitions_about(levy).values_list("pk", flat=True)) == [answer.json()["id"]]


def test_signatures_in_forty_percent_of_the_units_escalate_to_the_city(cast, unit_a1):
    district = unit_a1.parent
    units = [unit_a1, *add_units(district, 8)]  # 2 + 8 = 10 units in HS-A
    petition = open_petition(cast["resident-a1"])
    for unit in units[1:3]:  # A1 plus two more: 30%
        petitions.petition_sign(actor=resident_of(households_of(unit)[0]), petition=petition)
    petition.refresh_from_db()
    assert petition.office.code == "HS-A-OFFICE" and not Escalation.objects.filter(petition=petition).exists()
    petitions.petition_sign(actor=resident_of(households_of(unit_a1)[2]), petition=petition)  # same unit again
    petition.refresh_from_db()
    assert petition.office.code == "HS-A-OFFICE"
    petitions.petition_sign(actor=resident_of(households_of(units[3])[0]), petition=petition)  # the fourth unit: 40%
    petition.refresh_from_db()
    assert petition.office.code == "HS-OFFICE"
    escalation = Escalation.objects.get(petition=petition)
    assert (escalation.from_office.code, escalation.reason) == ("HS-A-OFFICE", "threshold")
    assert petition.due_at > escalation.at
    # Officers of the city office and the signers were told.
    told = set(Notification.objects.filter(kind="petition_escalated").values_list("user__username", flat=True))
    assert {"officer-city", "resident-a1"} <= told


def test_the_response_reaches_every_signer_and_shows_on_their_page(cast, unit_a1, wide_a):
    petition = open_petition(cast["resident-a1"])
    neighbour = resident_of(households_of(unit_a1)[2])
    quitter = resident_of(households_of(unit_a1)[3])
    petitions.petition_sign(actor=neighbour, petition=petition)
    petitions.petition_sign(actor=quitter, petition=petition)
    petitions.signature_withdraw(actor=quitter, petition=petition)
    answer = call(
        client_of(cast["officer-a"]),
        "post",
        f"/petitions/{petition.pk}/response",
        {"outcome": "partly", "text": "우물은 다음 달에 고칩니다."},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "answered" and answer.json()["response"]["outcome"] == "partly"
    told = Notification.objects.filter(kind="petition_response")
    assert set(told.values_list("user__username", flat=True)) == {"resident-a1", neighbour.username}
    assert told.first().link == f"/petitions/{petition.pk}/"
    page = client_of(neighbour).get(f"/petitions/{petition.pk}/")
    assert page.status_code == 200 and "우물은 다음 달에 고칩니다." in page.content.decode()


def test_a_recall_petition_signed_by_thirty_percent_opens_a_recall_vote(cast, unit_a1):
    from .petitioning import add_households

    add_households(unit_a1, 6)  # 4 + 6 = 10 households: three signatures are 30%
    households = households_of(unit_a1)
    petition = open_petition(cast["resident-a1"], subject="recall", title="반장 소환")
    assert petition.office.code == "HS-A-OFFICE" and petition.unit == unit_a1
    petitions.petition_sign(actor=resident_of(households[2]), petition=petition)
    assert not ConsentVote.objects.filter(recall_petition=petition).exists()
    petitions.petition_sign(actor=resident_of(households[3]), petition=petition)
    vote = ConsentVote.objects.get(recall_petition=petition)
    assert vote.kind == "recall" and vote.unit == unit_a1
    petition.refresh_from_db()
    assert petition.status != Petition.Status.OPEN
    # It collects no more, and no second recall can be opened while the vote runs.
    late = client_of(resident_of(households[4]))
    before = snapshot()
    refused = call(late, "post", f"/petitions/{petition.pk}/signatures")
    assert refused.status_code in (404, 422) and snapshot() == before
    again = call(client_of(cast["resident-a1"]), "post", "/petitions", BODY | {"subject": "recall"})
    assert again.status_code == 422 and "subject" in error_fields(again)


def test_a_recall_petition_stays_in_its_unit(cast, unit_a1):
    petition = open_petition(cast["resident-a1"], subject="recall", title="반장 소환")
    other_unit = resident_of(households_of(unit_a1.parent.children.exclude(pk=unit_a1.pk).first())[0])
    answer = call(client_of(other_unit), "post", f"/petitions/{petition.pk}/signatures")
    assert answer.status_code == 404


def test_residents_of_another_district_do_not_see_the_petition(cast, unit_b1, wide_a):
    petition = open_petition(cast["resident-a1"])
    stranger = client_of(resident_of(households_of(unit_b1)[0]))
    assert call(stranger, "get", f"/petitions/{petition.pk}").status_code == 404
    assert call(stranger, "post", f"/petitions/{petition.pk}/signatures").status_code == 404
    assert call(stranger, "get", "/petitions").json()["count"] == 0
    assert stranger.get(f"/petitions/{petition.pk}/").status_code == 404


def test_the_answer_is_in_the_name_of_the_office_that_gave_it(cast, unit_a1):
    """After a petition went up to the city, the district (which may still settle it) answers as the district, and
    the city answering a district's petition answers as the city: signers are told who answered."""
    units = [unit_a1, *add_units(unit_a1.parent, 3)]  # 2 + 3 = 5 units in HS-A: two units signing make 40%
    went_up = open_petition(cast["resident-a1"])
    petitions.petition_sign(actor=resident_of(households_of(units[2])[0]), petition=went_up)
    went_up.refresh_from_db()
    assert went_up.office.code == "HS-OFFICE"
    petitions.petition_respond(actor=cast["officer-a"], petition=went_up, outcome="accepted", text="고칩니다.")
    assert PetitionResponse.objects.get(petition=went_up).office.code == "HS-A-OFFICE"
    stayed = open_petition(cast["resident-a1"], title="길 보수")
    assert stayed.office.code == "HS-A-OFFICE"
    petitions.petition_respond(actor=cast["officer-city"], petition=stayed, outcome="rejected", text="안 됩니다.")
    assert PetitionResponse.objects.get(petition=stayed).office.code == "HS-OFFICE"
    entry = AuditEntry.objects.filter(action="petition.respond").order_by("-seq").first()
    assert entry.after["office"] == PetitionResponse.objects.get(petition=stayed).office_id
