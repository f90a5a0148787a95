"""/api/v1/: one NinjaAPI, one router per app, one error format.

Errors are JSON {"error": code, "detail": text, "fields": {field: [messages]}} with a 4xx status; a 500 is a bug."""

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as ModelValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from inminban.common.errors import DomainError, NotPermitted, NotVisible

from .schemas import API_DESCRIPTION, document_error_responses
from .tokens import user_for_token


class TokenAuth(HttpBearer):
    """`Authorization: Bearer inb_…` tokens made with `inminban token create USER`."""

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The web UI's session, with Django's CSRF check on writes."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


class InminbanAPI(NinjaAPI):
    """The NinjaAPI whose OpenAPI document also says what each error status means (and that 409 and 503 carry
    Retry-After), which ninja's `response=` cannot express."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return document_error_responses(document)


api = InminbanAPI(
    title="Inminban API",
    version="1",
    description=API_DESCRIPTION,
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionAuth()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_response(request, status: int, code: str, detail: str, fields: dict | None = None):
    return api.create_response(request, {"error": code, "detail": detail, "fields": fields or {}}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return error_response(request, 422, exc.code, exc.message, exc.fields)


@api.exception_handler(NotVisible)
def on_not_visible(request, exc):
    return error_response(request, 404, "not_found", "Not found.")


@api.exception_handler(Http404)
def on_http404(request, exc):
    return error_response(request, 404, "not_found", "Not found.")


@api.exception_handler(NotPermitted)
def on_not_permitted(request, exc):
    return error_response(request, 403, "forbidden", "You may not do this here.")


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return error_response(request, 401, "unauthenticated", "Log in or send a valid bearer token.")


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    return error_response(
        request, 413, "too_large", "The request body is too large.", {"body": ["The request body is too large."]}
    )


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload", "query", "path")]
        name = ".".join(location) or "body"
        fields.setdefault(name, []).append(error.get("msg", "Invalid value."))
    if not fields:
        fields = {"body": ["Invalid request."]}
    first = next(iter(fields))
    return error_response(request, 422, "invalid", f"{first}: {fields[first][0]}", fields)


@api.exception_handler(ModelValidationError)
def on_model_validation_error(request, exc: ModelValidationError):
    # Services raise DomainError; this is the safety net for a model's full_clean() that a service did not
    # anticipate: still bad input, answered as a 422 naming the field rather than a 500.
    if hasattr(exc, "error_dict"):
        fields = {
            ("body" if name == NON_FIELD_ERRORS else name): list(messages)
            for name, messages in exc.message_dict.items()
        }
    else:
        fields = {"body": list(exc.messages)}
    first = next(iter(fields))
    return error_response(request, 422, "invalid", f"{first}: {fields[first][0]}", fields)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    code = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found"}.get(
        exc.status_code, "error"
    )
    # Ninja's only 400 is a body it cannot parse (not JSON): name the body as the field to blame.
    fields = {"body": [str(exc.message)]} if exc.status_code == 400 else None
    return error_response(request, exc.status_code, code, str(exc.message), fields)


def register_routers() -> None:
    """Each app's router; imported here so that the apps stay independent of one another."""
    from inminban.api.routes import router as meta_router
    from inminban.areas.api import router as areas_router
    from inminban.duties.api import router as duties_router
    from inminban.entitlements.api import router as entitlements_router
    from inminban.entitlements.api_clearances import router as clearances_router
    from inminban.entitlements.api_counters import router as counters_router
    from inminban.governance.api.notices import router as notices_router
    from inminban.governance.api.petitions import router as petitions_router
    from inminban.governance.api.reports import router as reports_router
    from inminban.governance.api.votes import router as votes_router
    from inminban.health.api import router as health_router
    from inminban.integrity.api import router as integrity_router
    from inminban.registry.api import router as registry_router
    from inminban.registry.api_stays import router as stays_router
    from inminban.stamps.api import router as stamps_router

    api.add_router("/", meta_router)
    api.add_router("/", areas_router)
    api.add_router("/", registry_router)
    api.add_router("/", duties_router)
    api.add_router("/", stamps_router)
    api.add_router("/", entitlements_router)
    api.add_router("/", clearances_router)
    api.add_router("/", counters_router)
    api.add_router("/", votes_router)
    api.add_router("/", petitions_router)
    api.add_router("/", reports_router)
    api.add_router("/", notices_router)
    api.add_router("/", stays_router)
    api.add_router("/", health_router)
    api.add_router("/", integrity_router)


register_routers()
