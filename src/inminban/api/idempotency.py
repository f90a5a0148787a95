"""Idempotency-Key on API writes: a retried request gets the first response and writes nothing new.

Done as middleware so every write endpoint gets it without each handler remembering to. The key is claimed before
the handler runs: a row (user, key) is inserted in its own transaction, and the unique constraint lets exactly one
request through. The others find the claim and wait for its response (replayed to them), or answer 409 with
Retry-After if it takes longer than INMINBAN_IDEMPOTENCY_WAIT_SECONDS. A key is kept for
INMINBAN_IDEMPOTENCY_HOURS; after that (or once purged by the `api.idempotency_purge` schedule) it may be used
again."""

import hashlib
import re
import time
from datetime import datetime, timedelta
from datetime import time as day_time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from .models import IdempotencyRecord
from .tokens import bearer_token, user_for_token

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
HEADER = "Idempotency-Key"
POLL_SECONDS = 0.05
# Requests whose body must not be kept, not even as a hash: a secret ballot (votes.py). The answer stored for them
# does not say the choice either.
SECRET_BODY = re.compile(r"/api/v1/votes/[0-9]+/ballots")
# A claim still running after this long belongs to a request whose process died (no request runs this long).
ABANDONED_AFTER = timedelta(minutes=10)


def _principal(request):
    token = bearer_token(request)
    if token:
        return user_for_token(token)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _error(status: int, code: str, detail: str, field: str, **headers) -> JsonResponse:
    response = JsonResponse({"error": code, "detail": detail, "fields": {HEADER: [field]}}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def key_lifetime() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_HOURS)


def _stale(record: IdempotencyRecord, now) -> bool:
    """An expired key, or a claim whose request died: either may be taken by a new request."""
    if record.created_at <= now - key_lifetime():
        return True
    return record.completed_at is None and record.created_at <= now - ABANDONED_AFTER


def _claim(*, user, key: str, request, request_hash: str) -> IdempotencyRecord | None:
    """Insert the claim in its own transaction; None if another request holds the key."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user=user,
                key=key,
                method=request.method,
                path=request.path[:512],
                request_hash=request_hash,
                status=0,
                content_type="",
                body=b"",
            )
    except IntegrityError:
        return None


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if not key or request.method not in WRITE_METHODS or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > 128 or not key.isascii() or not key.isprintable():
            return _error(
                400,
                "invalid",
                "Idempotency-Key must be at most 128 printable ASCII characters.",
                "At most 128 printable ASCII characters.",
            )
        user = _principal(request)
        if user is None:
            return self.get_response(request)  # the API answers 401 itself
        try:
            body = request.body
        except Exception:  # noqa: BLE001 - body too large etc.: let the API produce its own error
            return self.get_response(request)
        if SECRET_BODY.fullmatch(request.path):
            body = b""  # a ballot: its hash would tell the choice (three possible bodies); a retry replays anyway
        request_hash = hashlib.sha256(request.method.encode() + request.path.encode() + b"\n" + body).hexdigest()

        deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
        while True:
            claim = _claim(user=user, key=key, request=request, request_hash=request_hash)
            if claim is not None:
                return self._run(request, claim)
            held = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if held is None:
                continue  # the holder failed and let the key go between our insert and our read: claim again
            if _stale(held, timezone.now()):
                IdempotencyRecord.objects.filter(pk=held.pk, created_at=held.created_at).delete()
                continue
            if held.request_hash != request_hash:
                return _error(
                    422,
                    "idempotency_conflict",
                    "This Idempotency-Key was already used for a different request.",
                    "Reused with a different request.",
                )
            if held.completed_at is not None:
                return _replay(held)
            if time.monotonic() >= deadline:
                return _error(
                    409,
                    "idempotency_in_progress",
                    "A request with this Idempotency-Key is still being processed; retry shortly for its answer.",
                    "Still being processed.",
                    Retry_After="1",
                )
            time.sleep(POLL_SECONDS)

    def _run(self, request, claim: IdempotencyRecord):
        """Run the handler under the claim; keep its answer, or let the key go if it failed (5xx or exception)."""
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=claim.pk).delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            IdempotencyRecord.objects.filter(pk=claim.pk).delete()
            return response
        IdempotencyRecord.objects.filter(pk=claim.pk).update(
            status=response.status_code,
            content_type=response.get("Content-Type", "application/json"),
            body=response.content,
            completed_at=timezone.now(),
        )
        return response


def idempotency_keys_purge(*, now=None) -> int:
    """Delete the keys older than their lifetime (and claims abandoned by a dead request); returns how many."""
    now = now or timezone.now()
    expired = IdempotencyRecord.objects.filter(created_at__lte=now - key_lifetime())
    abandoned = IdempotencyRecord.objects.filter(completed_at__isnull=True, created_at__lte=now - ABANDONED_AFTER)
    deleted, _ = (expired | abandoned).delete()
    return deleted


# Answers that may repeat an overnight guest's details (the stays' answers, and the health checks', which name a guest
# seen with no registered stay): erased with the guests' details by `inminban stays purge`.
GUEST_PATHS = ("/api/v1/stays", "/api/v1/health-checks")


def guest_answers_purge(cutoff) -> int:
    """A STAY_PURGE_HOOKS hook (registered in ApiConfig.ready): delete the stored answers of writes on the stays and
    health-check paths. Those older than the cutoff, and also every finished one however recent: a late write on an
    old stay (its departure recorded, a confirmation, a registration made long after the guest left) stores the
    guest's name too, and an answer does not say which stay it names. A retry that spans the purge then runs again
    rather than replaying; a claim still running keeps its key (it holds no answer yet)."""
    start_of_cutoff = timezone.make_aware(datetime.combine(cutoff, day_time.min), timezone.get_default_timezone())
    on_paths = Q()
    for prefix in GUEST_PATHS:
        on_paths |= Q(path__startswith=prefix)
    old_or_done = Q(created_at__lt=start_of_cutoff) | Q(completed_at__isnull=False)
    deleted, _ = IdempotencyRecord.objects.filter(on_paths).filter(old_or_done).delete()
    return deleted
