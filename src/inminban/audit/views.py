"""Public, read-only: what outside offices and witnesses fetch to hold the audit log to its past."""

import base64

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from inminban.common.errors import DomainError

from .models import AuditCheckpoint
from .services import audit_consistency_proof, audit_verifier_key

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
