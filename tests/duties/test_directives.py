from datetime import timedelta

import pytest

from inminban.areas.models import Area
from inminban.audit.models import AuditEntry
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.duties import selectors, services
from inminban.duties.models import DirectiveAcknowledgement
from inminban.registry.models import Household


def _households(unit):
    return list(Household.objects.filter(unit=unit).order_by("number"))


def _resident_household(cast):
    return Household.objects.get(pk=cast["resident-a1"].role_assignments.get(role="resident").person.household_id)


def test_issue_is_audited_with_attachments(make_directive):
    district = Area.objects.get(code="HS-A")
    before = AuditEntry.objects.count()
    directive = make_directive(district, attachments=[{"title": "Order 12", "url": "https://example.org/o12.pdf"}])
    assert directive.attachments.get().url == "https://example.org/o12.pdf"
    entry = AuditEntry.objects.get(seq=AuditEntry.objects.count())
    assert AuditEntry.objects.count() == before + 1
    assert entry.action == "directive.issue" and entry.area_path == district.path
    assert entry.after["attachments"] == ["https://example.org/o12.pdf"]


def test_leader_records_acknowledgement_door_to_door(make_directive, cast, unit_a1):
    directive = make_directive(unit_a1.parent)
    household = _households(unit_a1)[1]
    ack = services.directive_acknowledge(actor=cast["leader-a1"], directive=directive, household=household)
    assert ack.channel == DirectiveAcknowledgement.Channel.LEADER
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "directive.acknowledge" and entry.household_id == household.pk


def test_resident_acknowledges_own_household(make_directive, cast, unit_a1):
    directive = make_directive(unit_a1)
    household = _resident_household(cast)
    ack = services.directive_acknowledge(actor=cast["resident-a1"], directive=directive, household=household)
    assert ack.channel == DirectiveAcknowledgement.Channel.RESIDENT


def test_resident_cannot_acknowledge_for_a_neighbour(make_directive, cast, unit_a1, nothing_written):
    directive = make_directive(unit_a1)
    own = _resident_household(cast)
    neighbour = next(h for h in _households(unit_a1) if h.pk != own.pk)
    with nothing_written(), pytest.raises(NotVisible):
        services.directive_acknowledge(actor=cast["resident-a1"], directive=directive, household=neighbour)


def test_auditor_cannot_acknowledge(make_directive, cast, unit_a1, nothing_written):
    directive = make_directive(unit_a1)
    with nothing_written(), pytest.raises(NotPermitted):
        services.directive_acknowledge(actor=cast["auditor"], directive=directive, household=_households(unit_a1)[0])


def test_leader_of_other_unit_cannot_acknowledge(make_directive, cast, unit_a1, nothing_written):
    directive = make_directive(unit_a1.parent)
    with nothing_written(), pytest.raises(NotVisible):
        services.directive_acknowledge(actor=cast["leader-b1"], directive=directive, household=_households(unit_a1)[0])


def test_acknowledging_a_directive_not_addressed_to_the_household_is_refused(
    make_directive, cast, unit_a1, unit_a2, nothing_written
):
    directive = make_directive(unit_a2)
    with nothing_written(), pytest.raises(DomainError) as error:
        services.directive_acknowledge(actor=cast["leader-a1"], directive=directive, household=_households(unit_a1)[0])
    assert error.value.field == "household"
    assert "not addressed" in error.value.message


def test_acknowledging_twice_is_refused(make_directive, cast, unit_a1, nothing_written):
    directive = make_directive(unit_a1)
    household = _households(unit_a1)[0]
    services.directive_acknowledge(actor=cast["leader-a1"], directive=directive, household=household)
    with nothing_written(), pytest.raises(DomainError, match="already acknowledged"):
        services.directive_acknowledge(actor=cast["leader-a1"], directive=directive, household=household)


def test_directive_not_yet_in_effect_cannot_be_acknowledged(make_directive, cast, unit_a1, today, nothing_written):
    directive = make_directive(unit_a1, effective_on=today + timedelta(days=2), due_on=today + timedelta(days=9))
    with nothing_written(), pytest.raises(DomainError) as error:
        services.directive_acknowledge(actor=cast["leader-a1"], directive=directive, household=_households(unit_a1)[0])
    assert error.value.field == "directive"


def test_directive_without_acknowledgement_cannot_be_acknowledged(make_directive, cast, unit_a1, nothing_written):
    directive = make_directive(unit_a1, requires_ack=False, due_on=None)
    with nothing_written(), pytest.raises(DomainError, match="does not ask"):
        services.directive_acknowledge(actor=cast["leader-a1"], directive=directive, household=_households(unit_a1)[0])


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title_ko": "", "title_en": "  "}, "title_en"),
        ({"text_en": ""}, "text_en"),
        ({"due_on": None}, "due_on"),
        ({"effective_on": "2026-01-01"}, "effective_on"),
        ({"attachments": [{"title": "x", "url": "javascript:alert(1)"}]}, "attachments"),
    ],
)
def test_bad_directive_is_refused(make_directive, unit_a1, overrides, field, nothing_written):
    with nothing_written(), pytest.raises(DomainError) as error:
        make_directive(unit_a1, **overrides)
    assert error.value.field == field


def test_due_before_effective_is_refused(make_directive, unit_a1, today, nothing_written):
    with nothing_written(), pytest.raises(DomainError) as error:
        make_directive(unit_a1, due_on=today - timedelta(days=1))
    assert error.value.field == "due_on"


def test_officer_cannot_issue_outside_own_office(make_directive, cast, office_b, unit_b1, nothing_written):
    with nothing_written(), pytest.raises(NotVisible):
        make_directive(unit_b1, office=office_b)
    with nothing_written(), pytest.raises(DomainError) as error:
        make_directive(unit_b1, actor=cast["admin"])  # office A does not govern B1
    assert error.value.field == "area"


def test_leader_cannot_issue(make_directive, cast, unit_a1, nothing_written):
    with nothing_written(), pytest.raises(NotPermitted):
        make_directive(unit_a1, actor=cast["leader-a1"])


def test_progress_per_unit_and_overdue_list(make_directive, cast, unit_a1, unit_a2, today):
    district = unit_a1.parent
    directive = make_directive(district, effective_on=today - timedelta(days=10), due_on=today - timedelta(days=1))
    a1 = _households(unit_a1)
    for household in a1[:3]:
        services.directive_acknowledge(actor=cast["leader-a1"], directive=directive, household=household)
    progress = selectors.directive_progress(actor=cast["officer-a"], directive=directive)
    rows = {row.unit.code: row for row in progress["units"]}
    assert set(rows) == {"HS-A1", "HS-A2"}
    assert (rows["HS-A1"].total, rows["HS-A1"].done, rows["HS-A1"].percent) == (4, 3, 75)
    assert rows["HS-A2"].done == 0
    assert progress["is_overdue"]
    overdue = {h.number for h in progress["overdue"]}
    assert a1[3].number in overdue and a1[0].number not in overdue
    assert progress["overdue_count"] == 1 + len(_households(unit_a2))

    # The leader sees only their own unit, and who has not acknowledged yet.
    leader_view = selectors.directive_progress(actor=cast["leader-a1"], directive=directive)
    assert [row.unit.code for row in leader_view["units"]] == ["HS-A1"]
    missing = [
        row.household.number
        for row in selectors.directive_households(actor=cast["leader-a1"], directive=directive, unit=unit_a1)
        if row.ack is None
    ]
    assert missing == [a1[3].number]


def test_leader_sees_directives_sent_from_above_but_not_to_other_units(make_directive, cast, unit_a1, unit_a2):
    to_district = make_directive(unit_a1.parent)
    to_a2 = make_directive(unit_a2)
    visible = set(selectors.directives_visible(actor=cast["leader-a1"]))
    assert to_district in visible and to_a2 not in visible
    assert to_a2 in set(selectors.directives_visible(actor=cast["officer-a"]))
    assert to_district not in set(selectors.directives_visible(actor=cast["leader-b1"]))
    assert to_district in set(selectors.directives_visible(actor=cast["resident-a1"]))
