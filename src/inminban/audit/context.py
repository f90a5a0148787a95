"""Where the current write comes from (request address, channel), carried to audit_record without plumbing."""

import contextvars
from contextlib import contextmanager

_origin: contextvars.ContextVar[dict | None] = contextvars.ContextVar("inminban_origin", default=None)


def current_origin() -> dict:
    return dict(_origin.get() or {"channel": "system"})


@contextmanager
def origin(**values):
    token = _origin.set({k: v for k, v in values.items() if v is not None})
    try:
        yield
    finally:
        _origin.reset(token)
