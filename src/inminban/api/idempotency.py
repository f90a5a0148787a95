"""Idempotency-Key on API writes: a retried request gets the first response and writes nothing new.

Done as middleware so every write endpoint gets it without each handler remembering to."""

import hashlib

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse

from .models import IdempotencyRecord
from .tokens import bearer_token, user_for_token

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
HEADER = "Idempotency-Key"


def _principal(request):
    token = bearer_token(request)
    if token:
        return user_for_token(token)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if not key or request.method not in WRITE_METHODS or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > 128 or not key.isascii() or not key.isprintable():
            return JsonResponse(
                {
                    "error": "invalid",
                    "detail": "Idempotency-Key must be at most 128 printable ASCII characters.",
                    "fields": {HEADER: ["At most 128 printable ASCII characters."]},
                },
                status=400,
            )
        user = _principal(request)
        if user is None:
            return self.get_response(request)  # the API answers 401 itself
        try:
            body = request.body
        except Exception:  # noqa: BLE001 - body too large etc.: let the API produce its own error
            return self.get_response(request)
        request_hash = hashlib.sha256(request.method.encode() + request.path.encode() + b"\n" + body).hexdigest()
        previous = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if previous is not None:
            if previous.request_hash != request_hash:
                return JsonResponse(
                    {
                        "error": "idempotency_conflict",
                        "detail": "This Idempotency-Key was already used for a different request.",
                        "fields": {HEADER: ["Reused with a different request."]},
                    },
                    status=422,
                )
            response = HttpResponse(bytes(previous.body), status=previous.status, content_type=previous.content_type)
            response["Idempotent-Replayed"] = "true"
            return response
        response = self.get_response(request)
        if response.status_code < 500 and not getattr(response, "streaming", False):
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        user=user,
                        key=key,
                        method=request.method,
                        path=request.path[:512],
                        request_hash=request_hash,
                        status=response.status_code,
                        content_type=response.get("Content-Type", "application/json"),
                        body=response.content,
                    )
            except IntegrityError:
                pass  # a concurrent retry stored its response first; both carry the same result
        return response
