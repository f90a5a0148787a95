"""Sessions that end after a time without requests (INMINBAN_SESSION_IDLE_MINUTES)."""

import time

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session

from inminban.common.database import write_unless_busy

TOUCHED = "_inminban_touched"
# A logged-in session's expiry moves forward at most this often, so a read writes at most once a minute.
TOUCH_EVERY_SECONDS = 60


class SessionIdleMiddleware:
    """A session (database sessions) expires SESSION_COOKIE_AGE, the idle time, after it was last saved. This moves
    the expiry of a logged-in session forward when a minute has passed since it last did, in one UPDATE that is
    skipped, not waited for, while the database is busy with a long write (the session then ends a minute sooner).
    The cookie lasts until the browser closes; the expiry in the database ends the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.session_key is None or session.modified or not session.get(SESSION_KEY):
            return response
        now = int(time.time())
        if now - session.get(TOUCHED, 0) >= TOUCH_EVERY_SECONDS:
            session[TOUCHED] = now
            data, expires = session.encode(dict(session.items())), session.get_expiry_date()
            write_unless_busy(
                lambda: Session.objects.filter(session_key=session.session_key).update(
                    session_data=data, expire_date=expires
                )
            )
            session.modified = False  # written here (or skipped): the session middleware has nothing to save
        return response
