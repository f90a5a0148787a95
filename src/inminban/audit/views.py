"""The audit log: its page for auditors and officers, and, public and read-only, what outside offices and witnesses
fetch to hold the log to its past."""

import base64

from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from inminban.areas.selectors import areas_visible
from inminban.common.errors import DomainError, NotVisible
from inminban.web.decorators import page

from . import forms
from .history import audit_history
from .models import AuditCheckpoint
from .selectors import audit_entries_visible, can_read_audit_log
from .services import audit_consistency_proof, audit_verifier_key, audit_verify

AUDIT_PAGE_SIZE = 50

TEXT = "text/plain; charset=utf-8"


@require_GET
def checkpoint(request):
    """The newest signed checkpoint (C2SP tlog-checkpoint)."""
    latest = AuditCheckpoint.objects.exclude(note="").order_by("-size").first()
    if latest is None:
        return HttpResponse("No checkpoint has been signed yet.\n", status=404, content_type=TEXT)
    response = HttpResponse(latest.note, content_type=TEXT)
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def key(request):
    """The verifier key the checkpoints are signed with (NAME+KEYHASH+KEY), for witnesses to pin."""
    return HttpResponse(str(audit_verifier_key()) + "\n", content_type=TEXT)


def _size(request, name: str) -> int:
    value = request.GET.get(name, "")
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise DomainError(name, "A tree size is a whole number, at least 1.")
    return int(value)


@require_GET
def proof(request):
    """?old=N&new=M: the RFC 6962 consistency proof that the tree of the first N entries is a prefix of the first M,
    as base64 hashes."""
    try:
        old, new = _size(request, "old"), _size(request, "new")
        nodes = audit_consistency_proof(old=old, new=new)
    except DomainError as error:
        return JsonResponse({"error": "invalid", "detail": error.message, "fields": error.fields}, status=400)
    return JsonResponse({"old": old, "new": new, "proof": [base64.b64encode(node).decode() for node in nodes]})


# The page -------------------------------------------------------------------------------------------------------


def _area_named(actor, text: str):
    """The area in the actor's scope with this code, or with this name in either language; None if there is none,
    DomainError if several share the name."""
    areas = areas_visible(actor=actor)
    by_code = areas.filter(code=text).first()
    if by_code is not None:
        return by_code
    named = list(areas.filter(Q(name_ko=text) | Q(name_en__iexact=text))[:2])
    if len(named) > 1:
        raise DomainError("area", _("Several areas have this name: give the area's code."))
    return named[0] if named else None


@page
def audit_log(request):
    actor = request.user
    if not can_read_audit_log(actor):
        raise NotVisible("audit log not found")
    filter_form = forms.AuditFilterForm(request.GET)
    filters, status = {}, 200
    if filter_form.is_valid():
        data = filter_form.cleaned_data
        filters = {
            "action": data["action"],
            "actor_name": data["actor"].strip(),
            "target_type": data["target_type"].strip(),
            "target_id": data["target_id"].strip(),
            "since": data["since"],
            "until": data["until"],
        }
        if data["area"].strip():
            try:
                filters["area"] = _area_named(actor, data["area"].strip())
            except DomainError as error:
                filter_form.add_error("area", error.message)
            else:
                if filters["area"] is None:
                    filter_form.add_error("area", _("There is no area with this name or code in your scope."))
    if not filter_form.is_valid():
        filters, status = {}, 400
    try:
        entries = audit_entries_visible(actor=actor, **filters)
    except NotVisible:
        filter_form.add_error("area", _("There is no area with this name or code in your scope."))
        entries, status = audit_entries_visible(actor=actor), 400
    history = audit_history(request, entries, param="page", anchor="entries", per_page=AUDIT_PAGE_SIZE)
    verification = audit_verify() if request.GET.get("verify") else None
    context = {
        "filter_form": filter_form,
        "page_obj": history.page,
        "history": history,
        "verification": verification,
    }
    return render(request, "audit/log.html", context, status=status)
