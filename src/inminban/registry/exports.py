"""The unit list as CSV or XLSX: each current household with its head, members, dwelling and duty status.

For those who see the whole unit (its leader, officers above it, auditors, admins). A resident sees no unit: the
unit answers 404 to them, as it does to a leader of another unit."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from inminban.areas.selectors import units_visible
from inminban.common.errors import NotVisible
from inminban.duties.selectors import DutyStatus, unit_duty_status
from inminban.web.decorators import page
from inminban.web.exports import check_format, table_response
from inminban.web.templatetags.inminban_web import local_name

from . import selectors as registry


def _duty_words(duty: DutyStatus) -> str:
    parts = []
    if duty.owes:
        parts.append(_("owes a share"))
    if duty.stamps_waiting:
        parts.append(_("missing a stamp"))
    if duty.unacknowledged:
        parts.append(_("not acknowledged"))
    return ", ".join(parts) or _("nothing open")


def unit_table(*, actor, unit) -> tuple[list[str], list[list]]:
    households = [
        household
        for household in registry.households_in_unit(actor=actor, unit=unit).order_by("number")
        if household.dissolved_on is None
    ]
    status = unit_duty_status(actor=actor, unit=unit, household_ids=[household.pk for household in households])
    headers = [
        _("Unit"),
        _("Household"),
        _("Head of household"),
        _("Members"),
        _("Dwelling"),
        _("Registered on"),
        _("Shares owed"),
        _("Shares to stamp"),
        _("Directives to acknowledge"),
        _("Duty status"),
    ]
    unit_name = local_name(unit)
    rows = []
    for household in households:
        duty = status[household.pk]
        rows.append(
            [
                unit_name,
                household.number,
                household.head.full_name if household.head_id else "",
                len(household.members_on_date),
                str(household.dwelling) if household.dwelling_id else "",
                household.registered_on,
                duty.owes,
                duty.stamps_waiting,
                duty.unacknowledged,
                _duty_words(duty),
            ]
        )
    return headers, rows


@page
@require_GET
def unit_households(request, code, fmt):
    check_format(fmt)
    unit = units_visible(actor=request.user).filter(code=code).first()
    if unit is None:
        raise NotVisible(f"unit {code} not found")
    headers, rows = unit_table(actor=request.user, unit=unit)
    name = f"{unit.code}-households-{timezone.localdate().isoformat()}"
    return table_response(fmt, filename=name, title=unit.code, headers=headers, rows=rows)
