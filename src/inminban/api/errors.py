"""The API's one error format, whatever answered: {"error": code, "detail": text, "fields": {field: [messages]}}.

The exception handlers in `v1.py` answer the errors the API knows. Some errors are answered before or after it, by
Django: an unknown path under /api/ (404), a method the path does not take (405), a crash or a busy database
(500, 503, from the project's handler500). The middleware gives those the same format, keeping their status and
headers (Allow, Retry-After)."""

import json

from django.http import JsonResponse

API_PREFIX = "/api/"

CODES = {
    400: ("bad_request", "The request could not be read."),
    401: ("unauthenticated", "Log in or send a valid bearer token."),
    403: ("forbidden", "You may not do this here."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This path does not take this method."),
    413: ("too_large", "The request body is too large."),
    429: ("too_many_requests", "Too many requests; try again later."),
    500: ("server_error", "Something went wrong on the server; it has been logged."),
    503: ("unavailable", "The database is busy with a long write; try again after Retry-After seconds."),
}
KEPT_HEADERS = ("Allow", "Retry-After", "Vary")


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    return {"error": code, "detail": detail, "fields": fields or {}}


def _is_error_format(response) -> bool:
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        payload = json.loads(response.content)
    except (ValueError, AttributeError):
        return False
    return isinstance(payload, dict) and set(payload) == {"error", "detail", "fields"}


class ApiErrorMiddleware:
    """Every error answered under /api/ is in the API's error format. First in MIDDLEWARE, so that it sees the
    answers of all the others (and Django's own, for an exception raised in one of them)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not request.path.startswith(API_PREFIX) or response.streaming:
            return response
        if _is_error_format(response):
            return response
        code, detail = CODES.get(response.status_code, ("error", "The request failed."))
        replaced = JsonResponse(error_body(code, detail), status=response.status_code)
        for name in KEPT_HEADERS:
            if name in response:
                replaced[name] = response[name]
        return replaced
