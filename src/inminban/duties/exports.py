"""A campaign's or levy's shares as CSV or XLSX: one row per household, in the units the actor may see.

For those who keep the unit's or the district's books (leaders, officers, auditors): a resident, who sees only their
own household's share on its page, is refused (403). `?unit=CODE` keeps one unit."""

from dataclasses import dataclass

from django.db.models import Count, F, Q
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
from .models import Campaign, Levy, Measure, Share, Standing
from .sheets import open_shares


def sees_units(actor) -> bool:
    """Whether the account sees whole units (leader, officer, auditor, admin), not only its own household."""
    scope = scope_for(actor)
    return scope.is_admin or bool(scope.prefixes(VIEW))


def require_books(actor) -> None:
    """Exports are for accounts that see whole units; a resident sees only their own household."""
    if not sees_units(actor):
        raise NotPermitted("exports are for leaders, officers and auditors")


@dataclass
class DutyStatus:
    """A household's open duties at a glance: shares still owed, shares done but not stamped, directives it has
    not acknowledged."""

    owed: int = 0
    to_stamp: int = 0
    to_acknowledge: int = 0

    @property
    def summary(self) -> str:
        parts = []
        if self.owed:
            parts.append(_("owes a share"))
        if self.to_stamp:
            parts.append(_("missing a stamp"))
        if self.to_acknowledge:
            parts.append(_("not acknowledged"))
        return ", ".join(str(part) for part in parts) or _("nothing open")


def household_duty_status(*, actor, unit, households) -> dict[int, DutyStatus]:
    """{household id: DutyStatus} for the unit's households, in three grouped queries (O(unit))."""
    status = {household.pk: DutyStatus() for household in households}
    owed = open_shares(actor=actor, unit=unit).values_list("household_id").annotate(n=Count("id")).order_by()
    active = Q(quota__campaign__standing=Standing.ACTIVE) | Q(quota__levy__standing=Standing.ACTIVE)
    to_stamp = (
        selectors.shares_visible(actor=actor)
        .filter(active, quota__unit=unit, confirmed_at__isnull=True, done__gte=F("quantity") - F("waived"))
        .filter(quantity__gt=F("waived"))
        .values_list("household_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for field_name, rows in (("owed", owed), ("to_stamp", to_stamp)):
        for household_id, n in rows:
            if household_id in status:
                setattr(status[household_id], field_name, n)
    directives = list(
        selectors.active_directives(
            selectors.directives_visible(actor=actor).filter(
                requires_ack=True, area__path__in=selectors.ancestor_paths(unit.path)
            )
        ).values_list("pk", flat=True)
    )
    if directives:
        acknowledged = (
            selectors.acknowledgements_visible(actor=actor)
            .filter(directive_id__in=directives, household_id__in=list(status))
            .values_list("household_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        done = dict(acknowledged)
        for household_id, item in status.items():
            item.to_acknowledge = len(directives) - done.get(household_id, 0)
    return status


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
