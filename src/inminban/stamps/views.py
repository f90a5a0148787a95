"""Pages: the printable stamp (HTML and PDF), the public trust documents, and the in-browser verifier.

Thin: reads go through selectors and documents, the one write (revoke) through services."""

import segno
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from inminban.areas.access import MANAGE_AREAS, can
from inminban.common.errors import DomainError
from inminban.common.measures import Measure, measure_words
from inminban.web.decorators import page
from inminban.web.forms import apply_service

from . import documents, pdf, qr, selectors, services
from . import forms as stamp_forms
from .codec import PREFIX, PREFIX_COMPRESSED, VOUCHER_PREFIX, VOUCHER_PREFIX_COMPRESSED
from .models import Stamp
from .verify import CLOCK_SKEW, REASONS

COSE_TYPE = 'application/cose; cose-type="cose-sign1"'


def _name(obj) -> str:
    korean, english = obj.name_ko, obj.name_en
    if get_language() == "ko":
        return korean or english
    return english or korean


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
            "fields": pdf.stamp_fields(stamp),  # the page says what the printed stamp says
            "qr_svg": qr.svg_inline(scale=1, border=4, omitsize=True, title=_("Stamp QR code")),
            "qr_version": qr.version,
            "can_revoke": not stamp.is_revoked and can(request.user, MANAGE_AREAS, stamp.unit),
        },
    )


@page
@require_GET
def stamp_pdf(request, serial):
    stamp = selectors.stamp_detail(actor=request.user, serial=serial)
    body = pdf.stamp_document(
        stamp=stamp,
        encoded=services.stamp_encoded(stamp),
        qr=_qr(stamp),
        verify_url=request.build_absolute_uri(reverse("stamps:verify")),
    )
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
    bundle["prefixes"] = [PREFIX, PREFIX_COMPRESSED, VOUCHER_PREFIX, VOUCHER_PREFIX_COMPRESSED]
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
        "noCodeTitle": _("The QR code could not be read"),
        "noCode": _("No QR code was found in the photo. Hold the camera closer and keep the code flat."),
    }
    bundle["kinds"] = {
        "labour": _("Labour"),
        "levy": _("Levy"),
        "directive": _("Directive"),
        "voucher": _("Ration voucher"),
        "clearance": _("Clearance"),
    }
    bundle["measures"] = {measure.value: measure_words(measure.value) for measure in Measure}
    # Times as the stamp page shows them: the configured time zone, the page's language.
    bundle["time_zone"] = settings.TIME_ZONE
    bundle["language"] = get_language() or settings.LANGUAGE_CODE
    return {"bundle": bundle, "built_at": timezone.localtime()}


@require_GET
def verify_page(request):
    return render(request, "stamps/verify.html", {**verifier_context(), "decode_url": reverse("stamps:decode-qr")})


@require_POST
def verify_decode_qr(request):
    """The text of the QR code in an uploaded photo (for browsers that cannot read one themselves). Public like the
    verifier page; the photo is decoded and dropped, nothing is written."""
    try:
        text = qr.qr_decode(request.FILES.get("image"))
    except DomainError as error:
        return JsonResponse({"error": error.translated(), "field": error.field}, status=400)
    return JsonResponse({"text": text})


def standalone_verifier_html() -> str:
    """The verifier page as one self-contained file, with today's trust documents embedded."""
    return render_to_string("stamps/verify.html", {**verifier_context(), "standalone": True})


STAMPS_PAGE_SIZE = 25


@page
def stamp_list(request):
    """The stamps the user may see, filtered and paginated, each linking to its page; officers revoke from here
    (a reason required), through the same service as the stamp page."""
    actor = request.user
    filter_form = stamp_forms.StampFilterForm(request.GET, actor=actor)
    status, revoke_form = 200, None
    if request.method == "POST":
        revoke_form = stamp_forms.StampRevokeForm(request.POST)
        if revoke_form.is_valid():
            stamp = selectors.stamp_detail(actor=actor, serial=revoke_form.cleaned_data["serial"])
            if apply_service(
                revoke_form,
                lambda: services.stamp_revoke(actor=actor, stamp=stamp, reason=revoke_form.cleaned_data["reason"]),
            ):
                messages.success(request, _("The stamp was revoked."))
                return redirect(request.get_full_path())
        status = 400
    if filter_form.is_bound and filter_form.data and not filter_form.is_valid():
        status = 400
    stamps = selectors.stamps_listed(actor=actor, **filter_form.filters())
    page_obj = Paginator(stamps, STAMPS_PAGE_SIZE).get_page(request.GET.get("page"))
    failed = str(revoke_form["serial"].value()) if revoke_form is not None else None
    rows = []
    for stamp in page_obj.object_list:
        form = None
        if not stamp.is_revoked and can(actor, MANAGE_AREAS, stamp.unit):
            bound = failed == str(stamp.serial)
            form = revoke_form if bound else stamp_forms.StampRevokeForm(initial={"serial": stamp.serial})
        rows.append({"stamp": stamp, "revoke_form": form, "open": failed == str(stamp.serial)})
    context = {
        "filter_form": filter_form,
        "page_obj": page_obj,
        "rows": rows,
        "filtered": any(filter_form.data.get(name) for name in filter_form.fields),
        "now": timezone.now(),
    }
    return render(request, "stamps/stamp_list.html", context, status=status)
