"""django-axes tells of a lockout only through its signal; the receiver hands it to the service that audits it."""

from axes.signals import user_locked_out
from django.dispatch import receiver

from .services import login_lockout_record


@receiver(user_locked_out, dispatch_uid="inminban.accounts.lockout")
def on_locked_out(sender, request, username, ip_address, **kwargs):
    # Axes sends this for the failure that reaches the limit (it has just counted the failures) and again for each
    # attempt refused while locked (it has not): only the first is a new lockout.
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None:
        login_lockout_record(username=username, address=ip_address, failures=failures)
