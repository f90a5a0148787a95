"""The project's handler500: a database busy with a long write is a 503 with Retry-After, not a crash.

Django calls it while it handles the exception, so the exception is at hand in sys.exc_info(). Under /api/ the
answer is then given the API's error format by `inminban.api.errors.ApiErrorMiddleware`."""

import sys

from django.shortcuts import render
from django.views import defaults

from inminban.common.database import is_database_busy

RETRY_AFTER_SECONDS = 5


def server_error(request):
    error = sys.exc_info()[1]
    if error is not None and is_database_busy(error):
        response = render(request, "503.html", {"retry_after": RETRY_AFTER_SECONDS}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request)
