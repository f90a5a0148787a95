"""A database busy with a long write, seen from a request: telling it apart, and writing only if it is free.

On SQLite a long write (`inminban generate`, a cycle computed in one transaction) holds the write lock; in WAL mode
readers carry on beside it, but any other write waits for the busy timeout and then fails. On PostgreSQL a large
`generate` holds exclusive locks on the registry tables it reloads until its commit, so even reads of them wait.
Web requests wait only INMINBAN_LOCK_WAIT_MS for a lock (the middleware below; PostgreSQL's
`lock_timeout`) and answer 503 with Retry-After when that runs out; writes that are only bookkeeping (a token's last
use, a session's expiry moving forward) are skipped rather than waited for.
"""

from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection

# sqlite3's primary result codes for "another connection holds the lock".
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
# PostgreSQL: lock_not_available, what a statement answers when lock_timeout runs out.
LOCK_NOT_AVAILABLE = "55P03"


def is_database_busy(error: BaseException) -> bool:
    """Whether `error` says the database was locked by another writer (SQLite), rather than anything else."""
    for candidate in (error, error.__cause__):
        if not isinstance(candidate, Exception):
            continue
        code = getattr(candidate, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED):
            return True
        if getattr(candidate, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            return True
    return isinstance(error, OperationalError) and "database is locked" in str(error)


def _busy_timeout_ms() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        return int(cursor.fetchone()[0])


@contextmanager
def sqlite_busy_timeout(milliseconds: int):
    """Within the block, this thread's SQLite connection waits at most `milliseconds` for the write lock."""
    if connection.vendor != "sqlite":
        yield
        return
    previous = _busy_timeout_ms()
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
    try:
        yield
    finally:
        if connection.connection is not None:  # still open (a request may have closed it)
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {previous}")


def write_unless_busy(write: Callable[[], object]) -> bool:
    """Run `write` (one autocommit statement of bookkeeping) without waiting for the lock; False if it was busy."""
    try:
        with sqlite_busy_timeout(0):
            write()
    except OperationalError as error:
        if not is_database_busy(error) or connection.in_atomic_block:
            raise
        return False
    return True


@contextmanager
def postgres_lock_timeout(milliseconds: int):
    """Within the block, this thread's PostgreSQL session waits at most `milliseconds` for any lock."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {int(milliseconds)}")
    try:
        yield
    finally:
        if connection.connection is not None and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")


class BusyDatabaseTimeoutMiddleware:
    """A web request waits at most INMINBAN_LOCK_WAIT_MS for SQLite's write lock, and a read (GET, HEAD) as long for
    any PostgreSQL lock (commands keep the database's own waits): a busy database then answers 503 with
    Retry-After, not a hang. PostgreSQL writes still wait their turn, as they must for the audit chain's lock under
    many concurrent writers; only a large load's table locks stop reads."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        milliseconds = settings.WEB_LOCK_WAIT_MS
        if request.method not in ("GET", "HEAD"):
            with sqlite_busy_timeout(milliseconds):
                return self.get_response(request)
        with sqlite_busy_timeout(milliseconds), postgres_lock_timeout(milliseconds):
            return self.get_response(request)
