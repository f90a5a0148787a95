"""What every page view shares."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from inminban.common.errors import NotPermitted, NotVisible


def page(view):
    """Log-in required; NotVisible answers 404 and NotPermitted 403, whichever selector or service raised it."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotVisible:
            raise Http404 from None
        except NotPermitted:
            raise PermissionDenied from None

    return wrapper
