"""Pages: the printable stamp (HTML and PDF), the public trust documents, and the in-browser verifier.

Thin: reads go through selectors and documents, the one write (revoke) through services."""

import segno
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from inminban.areas.access import MANAGE_AREAS, can
from inminban.common.errors import DomainError
from inminban.web.decorators import page

from . import documents, pdf, selectors, services
from .codec import PREFIX, PREFIX_COMPRESSED
from .models import Stamp
from .verify import CLOCK_SKEW, REASONS

COSE_TYPE = 'application/cose; cose-type="cose-sign1"'


def _name(obj) -> str:
    korean, english = obj.name_ko, obj.name_en
    if get_language() == "ko":
        return korean or english
    return english or korean


def stamp_fields(stamp: Stamp) -> list[tuple[str, str]]:
    """The human-readable claims, in the order a clerk reads them."""
    local = timezone.localtime
    fields = [
        (_("Household"), stamp.household.number),
    ]
    if stamp.person_id:
        fields.append((_("Person"), f"{stamp.person.full_name} (no. {stamp.person_id})"))
    fields += [
        (_("Duty"), f"{stamp.get_duty_kind_display()}: {stamp.duty_title}"),
        (_("Duty reference"), stamp.duty_ref),
        (_("Quantity"), f"{stamp.quantity_text} {stamp.measure}".strip()),
        (
            _("Period"),
            date_format(stamp.period_start, "Y-m-d")
            + ("" if stamp.period_end == stamp.period_start else " – " + date_format(stamp.period_end, "Y-m-d")),
        ),
        (_("Unit"), f"{_name(stamp.unit)} ({stamp.unit.code})"),
        (_("Issuing office"), f"{_name(stamp.office)} ({stamp.office.code})"),
        (_("Issued"), date_format(local(stamp.issued_at), "Y-m-d H:i")),
        (_("Valid until"), date_format(local(stamp.expires_at), "Y-m-d H:i") if stamp.expires_at else _("no end")),
        (_("Serial"), str(stamp.serial)),
        (_("Signing key"), stamp.signing_key.kid),
    ]
    return fields


def _qr(stamp: Stamp):
    # Level M survives a creased or smudged print; the Base45 text is in the QR alphanumeric set, so it stays small.
    return segno.make(services.stamp_encoded(stamp), error="m", boost_error=False)


@page
@require_GET
def stamp_page(request, serial):
    stamp = selectors.stamp_detail(actor=request.user, serial=serial)
    qr = _qr(stamp)
    return render(
        request,
        "stamps/stamp.html",
        {
            "stamp": stamp,
            "stamp_text": services.stamp_encoded(stamp),
            "fields": stamp_fields(stamp),
            "qr_svg": qr.svg_inline(scale=1, border=4, omitsize=True, title=_("Stamp QR code")),
            "qr_version": qr.version,
            "can_revoke": not stamp.is_revoked and can(request.user, MANAGE_AREAS, stamp.unit),
        },
    )


@page
@require_GET
def stamp_pdf(request, serial):
    stamp = selectors.stamp_detail(actor=request.user, serial=serial)
    page = pdf.Page()
    left, top = 56, pdf.A4[1] - 64
    page.text(left, top, _("Confirmation stamp"), size=22, bold=True)
    page.text(left, top - 26, _name(stamp.office), size=13)
    y = top - 64
    if stamp.is_revoked:
        page.text(
            left,
            y,
            _("REVOKED") + f" {timezone.localtime(stamp.revoked_at):%Y-%m-%d}",
            size=16,
            bold=True,
            color=(0.7, 0.1, 0.1),
        )
        page.text(left, y - 18, stamp.revoked_reason, size=10, color=(0.7, 0.1, 0.1))
        y -= 44
    for label, value in stamp_fields(stamp):
        page.text(left, y, label, size=9, color=(0.35, 0.35, 0.4))
        page.text(left + 120, y, value, size=11, mono=label in (_("Serial"), _("Signing key")))
        y -= 18
    rows = list(_qr(stamp).matrix_iter(scale=1, border=4))
    module = min(3.2, 260 / len(rows))
    size = module * len(rows)
    qr_top = y - 12
    page.modules(rows, (pdf.A4[0] - size) / 2, qr_top, module)
    y = qr_top - size - 18
    page.text(left, y, _("Stamp text (what the QR code holds):"), size=8, color=(0.35, 0.35, 0.4))
    for line in pdf.wrap(services.stamp_encoded(stamp), 96):
        y -= 9
        page.text(left, y, line, size=7, mono=True)
    page.text(
        left,
        40,
        _("Verify offline with the trust list: the /verify/ page or `inminban stamp verify`."),
        size=8,
        color=(0.35, 0.35, 0.4),
    )
    body = page.render(title=f"{_('Confirmation stamp')} {stamp.serial}")
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="stamp-{stamp.serial}.pdf"'
    return response


@page
@require_POST
def stamp_revoke(request, serial):
    stamp = selectors.stamp_detail(actor=request.user, serial=serial)
    try:
        services.stamp_revoke(actor=request.user, stamp=stamp, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The stamp was revoked."))
    return redirect("stamps:page", serial=stamp.serial)


@require_GET
def trust_list(request):
    response = HttpResponse(documents.trust_list_document(), content_type=COSE_TYPE)
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def status_list(request, kid: str):
    document = documents.status_list_document(kid) if kid.isalnum() and len(kid) == 16 else None
    if document is None:
        raise Http404("No such key.")
    response = HttpResponse(document, content_type=COSE_TYPE)
    response["Cache-Control"] = "no-cache"
    return response


def verifier_context() -> dict:
    bundle = documents.verifier_bundle()
    bundle["messages"] = {reason: _(message) for reason, message in REASONS.items()}
    bundle["prefixes"] = [PREFIX, PREFIX_COMPRESSED]
    bundle["clock_skew_seconds"] = int(CLOCK_SKEW.total_seconds())
    bundle["labels"] = {
        "valid": _("Valid stamp"),
        "invalid": _("Not valid"),
        "household": _("Household"),
        "person": _("Person no."),
        "duty": _("Duty"),
        "dutyRef": _("Duty reference"),
        "quantity": _("Quantity"),
        "period": _("Period"),
        "unit": _("Unit"),
        "office": _("Issuing office"),
        "issued": _("Issued"),
        "expires": _("Valid until"),
        "noEnd": _("no end"),
        "serial": _("Serial"),
        "key": _("Signing key"),
    }
    return {"bundle": bundle}


@require_GET
def verify_page(request):
    return render(request, "stamps/verify.html", verifier_context())


def standalone_verifier_html() -> str:
    """The verifier page as one self-contained file, with today's trust documents embedded."""
    return render_to_string("stamps/verify.html", {**verifier_context(), "standalone": True})
