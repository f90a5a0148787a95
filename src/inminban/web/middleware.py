"""Request limits every page shares."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _


class UploadSizeMiddleware:
    """Refuse a request body larger than INMINBAN_MAX_UPLOAD_BYTES before anything reads it. Django bounds the form
    fields of a body (DATA_UPLOAD_MAX_MEMORY_SIZE) but not its files, which it spools to disk in full before a view
    can look at their size: without this, any logged-in user could fill the disk with one upload."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_UPLOAD_BYTES:
            megabytes = settings.MAX_UPLOAD_BYTES / (1024 * 1024)
            return HttpResponse(
                _("The file is too large: at most %(size)s MB can be sent at once.") % {"size": f"{megabytes:g}"},
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
