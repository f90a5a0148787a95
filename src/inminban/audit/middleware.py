import uuid

from .context import origin


class RequestOriginMiddleware:
    """Records where each request comes from so services can write it into the audit entry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith("/api/") else "web"
        with origin(
            channel=channel,
            address=request.META.get("REMOTE_ADDR"),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
            request_id=request.META.get("HTTP_X_REQUEST_ID", "")[:64] or uuid.uuid4().hex,
        ):
            return self.get_response(request)
