"""A campaign's or levy's shares as CSV or XLSX: one row per household, in the units the actor may see.

For those who keep the unit's or the district's books (leaders, officers, auditors): a resident, who sees only their
own household's share on its page, is refused (403). `?unit=CODE` keeps one unit."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from inminban.areas.access import VIEW, scope_for
from inminban.areas.selectors import units_visible
from inminban.common.errors import NotPermitted, NotVisible
from inminban.web.decorators import page
from inminban.web.exports import check_format, table_response
from inminban.web.templatetags.inminban_web import local_name

from . import selectors
from .models import Campaign, Levy, Measure, Share


def sees_units(actor) -> bool:
    """Whether the account sees whole units (leader, officer, auditor, admin), not only its own household."""
    scope = scope_for(actor)
    return scope.is_admin or bool(scope.prefixes(VIEW))


def require_books(actor) -> None:
    """Exports are for accounts that see whole units; a resident sees only their own household."""
    if not sees_units(actor):
        raise NotPermitted("exports are for leaders, officers and auditors")


def share_status(share: Share) -> str:
    if share.stamp_serial:
        return _("stamped")
    if share.due <= 0:
        return _("nothing due")
    if share.fulfilled:
        return _("fulfilled, not yet stamped")
    if share.done > 0:
        return _("in progress")
    return _("not started")


def share_table(*, actor, obligation: Campaign | Levy, unit=None) -> tuple[list[str], list[list]]:
    shares = selectors.shares_of(actor=actor, obligation=obligation, unit=unit).select_related(
        "household__head", "household__dwelling"
    )
    done = _("Hours done") if obligation.measure == Measure.PERSON_HOURS else _("Delivered")
    headers = [
        _("Unit"),
        _("Household"),
        _("Head of household"),
        _("Dwelling"),
        _("Share"),
        _("Waived"),
        done,
        _("Still owed"),
        _("Measure"),
        _("Status"),
        _("Stamp serial number"),
        _("Stamped on"),
    ]
    measure = str(obligation.get_measure_display())
    rows = []
    for share in shares:
        household = share.household
        rows.append(
            [
                local_name(share.quota.unit),
                household.number,
                household.head.full_name if household.head_id else "",
                str(household.dwelling) if household.dwelling_id else "",
                share.quantity,
                share.waived,
                share.done,
                share.remaining,
                measure,
                share_status(share),
                share.stamp_serial,
                timezone.localtime(share.confirmed_at).date() if share.confirmed_at else None,
            ]
        )
    return headers, rows


def _export(request, obligation: Campaign | Levy, fmt: str):
    check_format(fmt)
    require_books(request.user)
    unit = None
    code = request.GET.get("unit")
    if code:
        unit = units_visible(actor=request.user).filter(code=code).first()
        if unit is None:
            raise NotVisible(f"unit {code} not found")
    headers, rows = share_table(actor=request.user, obligation=obligation, unit=unit)
    name = f"{obligation.duty_kind}-{obligation.pk}-shares" + (f"-{unit.code}" if unit else "")
    return table_response(fmt, filename=name, title=_("Shares"), headers=headers, rows=rows)


@page
@require_GET
def campaign_shares(request, pk, fmt):
    return _export(request, selectors.campaign_detail(actor=request.user, pk=pk), fmt)


@page
@require_GET
def levy_shares(request, pk, fmt):
    return _export(request, selectors.levy_detail(actor=request.user, pk=pk), fmt)
