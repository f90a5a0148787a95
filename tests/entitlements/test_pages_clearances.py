"""The clearance and appeal pages: a school clerk asks on a phone and reads the answer in words, the leader sees the
households at risk, a household appeals from the page and the office decides from its queue."""

# ruff: noqa: F811 - the fixtures imported from clearance_world are named as arguments

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from inminban.entitlements.models import Appeal, Clearance

from .clearance_world import (  # noqa: F401 - fixtures
    child_in,
    clerks,
    later,
    other_household,
    own_household,
    resident_of,
    school,
    unchanged,
)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_school_clerk_sees_a_denial_in_words_and_a_grant_with_its_stamp(clerks, school, own_household, other_household):
    clerk = _client(clerks["school-a"])
    assert clerk.get("/clearances/new/").status_code == 200
    denied_child = child_in(other_household)
    denied_child.national_id = "HS-T-1"
    denied_child.save()
    response = clerk.post("/clearances/new/", {"program": school.pk, "person": "HS-T-1", "on": later()}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not cleared" in page and "no stamp for “Street cleaning” (labour campaign)" in page
    granted_child = child_in(own_household)
    response = clerk.post("/clearances/new/", {"program": school.pk, "person": str(granted_child.pk), "on": later()})
    clearance = Clearance.objects.get(person=granted_child)
    assert response.status_code == 302 and response["Location"] == f"/clearances/{clearance.pk}/"
    page = clerk.get(response["Location"]).content.decode()
    assert f"/stamps/{clearance.stamp.serial}/" in page and "Cleared" in page
    korean = clerk.get(response["Location"], headers={"Accept-Language": "ko"})
    assert korean.status_code == 200


def test_clerk_of_another_area_is_told_no_such_person(clerks, school, own_household, unchanged):
    child = child_in(own_household)
    clerk = _client(clerks["school-b"])
    with unchanged():
        response = clerk.post("/clearances/new/", {"program": school.pk, "person": str(child.pk), "on": later()})
    # District B's clerk does not even see district A's program: no program of theirs to ask under.
    assert response.status_code == 404
    page = clerk.get("/clearances/new/")
    assert (
        page.status_code == 200
        and "No school or enlistment clearance program covers your area" in page.content.decode()
    )


def test_leader_sees_the_households_at_risk(cast, school, other_household, unit_a1):
    child_in(other_household)
    leader = _client(cast["leader-a1"])
    response = leader.get(f"/units/{unit_a1.code}/clearance-risks/?program={school.pk}&before={later(30)}")
    assert response.status_code == 200
    page = response.content.decode()
    assert other_household.number in page and "Street cleaning" in page
    assert _client(cast["leader-b1"]).get(f"/units/{unit_a1.code}/clearance-risks/").status_code == 404


def test_household_appeals_from_the_page_and_the_office_decides(cast, clerks, school, other_household):
    from inminban.entitlements import clearances

    child = child_in(other_household)
    clearance = clearances.clearance_request(
        actor=clerks["school-a"], program=school, person=child, on=timezone.localdate()
    )
    resident = _client(resident_of(cast, other_household, "t-page-resident"))
    page = resident.get(f"/clearances/{clearance.pk}/").content.decode()
    assert f"/appeals/new/?clearance={clearance.pk}" in page
    assert resident.get(f"/appeals/new/?clearance={clearance.pk}").status_code == 200
    empty = resident.post(f"/appeals/new/?clearance={clearance.pk}", {"reason": "  "})
    assert empty.status_code == 422 and not Appeal.objects.exists()
    sent = resident.post(f"/appeals/new/?clearance={clearance.pk}", {"reason": "The stamp was lost."})
    appeal = Appeal.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/appeals/{appeal.pk}/"

    officer = _client(cast["officer-a"])
    assert f"/appeals/{appeal.pk}/" in officer.get("/appeals/").content.decode()
    decided = officer.post(f"/appeals/{appeal.pk}/", {"upheld": "no", "decision": "No record of the work."})
    assert decided.status_code == 302
    page = resident.get(f"/appeals/{appeal.pk}/").content.decode()
    assert "No record of the work." in page and "Rejected" in page
    assert resident.post(f"/appeals/{appeal.pk}/", {"upheld": "yes", "decision": "x"}).status_code == 403


def test_an_oversized_upload_is_refused_unread_and_nothing_is_written(
    cast, clerks, school, other_household, settings, unchanged
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from inminban.entitlements import clearances

    child = child_in(other_household)
    clearance = clearances.clearance_request(
        actor=clerks["school-a"], program=school, person=child, on=timezone.localdate()
    )
    resident = _client(resident_of(cast, other_household, "t-upload-resident"))
    settings.MAX_UPLOAD_BYTES = 4000
    document = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 8000, content_type="application/pdf")
    with unchanged():
        response = resident.post(
            f"/appeals/new/?clearance={clearance.pk}", {"reason": "The stamp was lost.", "attachment": document}
        )
    assert response.status_code == 413 and "too large" in response.content.decode()


def test_odd_appeal_references_are_not_found_rather_than_a_crash(cast, other_household):
    resident = _client(resident_of(cast, other_household, "t-odd-resident"))
    for value in ("²", "1" * 5000, "-1", "1e3"):
        assert resident.get("/appeals/new/", {"entitlement": value}).status_code == 404, value


def test_a_school_clerk_asks_only_about_school_age_people_and_reads_only_their_own_requests(
    cast, clerks, school, own_household, unchanged
):
    from inminban.common.errors import DomainError
    from inminban.entitlements import clearances

    adult = own_household.memberships.filter(until=None).select_related("person").order_by("person__birth_date")[0]
    with unchanged():
        try:
            clearances.clearance_request(
                actor=clerks["school-a"], program=school, person=adult.person, on=timezone.localdate()
            )
        except DomainError as error:
            assert error.field == "person" and "aged 4 to 18" in error.message
        else:
            raise AssertionError("a school clerk was answered about an adult")
    child = child_in(own_household)
    on = timezone.localdate() + timedelta(days=20)
    mine = clearances.clearance_request(actor=clerks["school-a"], program=school, person=child, on=on)
    officer_asked = clearances.clearance_request(actor=cast["officer-a"], program=school, person=child, on=on)
    seen = set(clearances.clearances_visible(actor=clerks["school-a"]).values_list("pk", flat=True))
    assert mine.pk in seen and officer_asked.pk not in seen
