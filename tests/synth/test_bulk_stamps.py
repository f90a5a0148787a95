"""The generator's duties: two city-wide labour campaigns, and stamps for about 90% and 85% of the households, signed
by their district office's key on first use, exactly as `stamp_issue` would have signed them."""

import pytest
from django.contrib.auth.models import User
from django.db.models import Count, F, Max

from inminban.audit.services import audit_verify
from inminban.duties.models import Campaign
from inminban.stamps import documents, services
from inminban.stamps.models import SigningKey, Stamp
from inminban.stamps.verify import Verifier
from inminban.synth.bulk import SYSTEM_USERNAME, generate_city

HOUSEHOLDS = 2000


@pytest.fixture(params=[False, True], ids=["indexed", "rebuilt"])
def city(db, request):
    return generate_city(households=HOUSEHOLDS, city="SY", seed=7, units_per_district=10, rebuild_indexes=request.param)


def _verifier() -> Verifier:
    return Verifier(
        trust_list=documents.trust_list_document(),
        status_lists=documents.status_list_documents(),
        root_public_key=documents.root_public_key(),
    )


def test_two_city_wide_campaigns_by_the_city_office_and_the_system_user(city):
    campaigns = list(Campaign.objects.filter(area=city.city).order_by("id"))
    assert [campaign.title_en for campaign in campaigns] == ["Street cleaning", "Gravel collection for the greenhouse"]
    assert all(campaign.office.area == city.city and campaign.measure == "person_hours" for campaign in campaigns)
    user = campaigns[0].created_by
    assert user.username == SYSTEM_USERNAME and not user.is_active and not user.has_usable_password()
    assert city.counts["campaigns"] == 2


def test_about_ninety_and_eighty_five_percent_of_households_hold_a_stamp(city):
    for campaign, share in zip(Campaign.objects.filter(area=city.city).order_by("id"), (0.90, 0.85), strict=True):
        stamps = Stamp.objects.filter(duty_kind="labour", duty_ref=campaign.ref)
        assert abs(stamps.count() / HOUSEHOLDS - share) < 0.03
        assert not stamps.values("household").annotate(n=Count("id")).filter(n__gt=1).exists()
        assert not stamps.exclude(period_start=campaign.starts_on).exists()
        assert not stamps.exclude(period_end=campaign.ends_on).exists()
        assert not stamps.exclude(unit_id=F("household__unit_id")).exists()
        assert not stamps.exclude(encoded="").exists()  # signed on first use
    assert city.counts["stamps"] == Stamp.objects.filter(unit__path__startswith=city.city.path).count()


def test_each_district_office_signs_its_stamps_with_distinct_status_indexes(city):
    stamps = Stamp.objects.filter(unit__path__startswith=city.city.path)
    assert not stamps.exclude(office=F("signing_key__office")).exists()
    assert not stamps.exclude(office__area=F("unit__parent")).exists()  # the district office, as issuing_office
    assert not stamps.values("signing_key", "status_index").annotate(n=Count("id")).filter(n__gt=1).exists()
    for key in SigningKey.objects.filter(office__area__parent=city.city):
        largest = stamps.filter(signing_key=key).aggregate(Max("status_index"))["status_index__max"]
        assert largest is not None and largest < key.next_status_index
        assert key.office == services.issuing_office(stamps.filter(signing_key=key).first().unit)


def test_a_lazily_signed_stamp_verifies_and_is_kept(city, client_for):
    stamp = Stamp.objects.filter(unit__path__startswith=city.city.path).select_related("household", "unit").first()
    text = services.stamp_encoded(stamp)
    result = _verifier().verify(text)
    assert result.ok, result.message
    assert result.claims.serial == stamp.serial and result.claims.household == stamp.household.number
    assert result.claims.duty_ref.startswith("campaign:") and result.claims.unit == stamp.unit.code
    stamp.refresh_from_db()
    assert stamp.encoded == text
    assert services.stamp_encoded(stamp) == text
    assert audit_verify().ok


def test_the_page_and_the_api_show_a_bulk_stamp_signed(city, client_for):
    stamp = Stamp.objects.filter(unit__path__startswith=city.city.path, encoded="").first()
    page = client_for("admin").get(f"/stamps/{stamp.serial}/")
    assert page.status_code == 200
    stamp.refresh_from_db()
    assert stamp.encoded and stamp.encoded in page.content.decode()
    other = Stamp.objects.filter(unit__path__startswith=city.city.path, encoded="").first()
    body = client_for("admin").get(f"/api/v1/stamps/{other.serial}").json()
    assert body["encoded"].startswith("INB1") and _verifier().verify(body["encoded"]).ok
    pdf = client_for("admin").get(f"/stamps/{stamp.serial}.pdf")
    assert pdf.status_code == 200


def test_signing_on_first_use_gives_the_text_stamp_issue_gives(db, cast, unit_a1):
    from inminban.registry.models import Household

    household = Household.objects.filter(unit=unit_a1).order_by("number").first()
    issued = services.stamp_issue(
        actor=cast["leader-a1"],
        household=household,
        duty_kind="labour",
        duty_ref="campaign:1",
        duty_title="거리 청소",
        quantity=4,
        measure="person_hours",
        period_start=Campaign._meta.get_field("starts_on").to_python("2025-10-01"),
        period_end=Campaign._meta.get_field("ends_on").to_python("2025-10-10"),
    )
    Stamp.objects.filter(pk=issued.pk).update(encoded="")
    unsigned = Stamp.objects.get(pk=issued.pk)
    assert services.stamp_encoded(unsigned) == issued.encoded


def test_the_actor_creates_the_campaigns_when_given(db, cast):
    result = generate_city(households=40, city="SY", actor=cast["admin"])
    assert set(Campaign.objects.filter(area=result.city).values_list("created_by__username", flat=True)) == {"admin"}
    assert not User.objects.filter(username=SYSTEM_USERNAME).exists()  # not needed, so not made


def test_without_duties_no_campaigns_keys_or_stamps(db):
    result = generate_city(households=40, city="SY", duties=False)
    assert result.counts["stamps"] == 0 and result.counts["campaigns"] == 0
    assert not SigningKey.objects.filter(office__area__parent=result.city).exists()
