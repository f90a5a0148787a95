"""django-axes tells of a lockout only through its signal, and Django of a login or logout through its own; the
receivers hand them to the services."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from .services import login_lockout_record, session_forget, session_record


@receiver(user_locked_out, dispatch_uid="inminban.accounts.lockout")
def on_locked_out(sender, request, username, ip_address, **kwargs):
    # Axes sends this for the failure that reaches the limit (it has just counted the failures) and again for each
    # attempt refused while locked (it has not): only the first is a new lockout.
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None:
        login_lockout_record(username=username, address=ip_address, failures=failures)


@receiver(user_logged_in, dispatch_uid="inminban.accounts.session")
def on_logged_in(sender, request, user, **kwargs):
    # The session is saved with its new key before the signal (login() cycles the key): the row can name it.
    session = getattr(request, "session", None)
    if session is None:
        return
    if session.session_key is None:
        session.save()
    session_record(
        user=user,
        session_key=session.session_key,
        address=request.META.get("REMOTE_ADDR"),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


@receiver(user_logged_out, dispatch_uid="inminban.accounts.logout")
def on_logged_out(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    session_forget(session_key=session.session_key if session is not None else None)
