"""Template helpers for the audit history: the raw entry (for auditors) and its integrity, action labels."""

import json

from django import template

from inminban.audit.chain import entry_fields, entry_hash
from inminban.audit.describe import action_label as _action_label

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """An action's short label in the UI language ("Share confirmed"); never the code."""
    return _action_label(action)


@register.filter
def raw_json(value) -> str:
    """A stored before/after as JSON, for the raw entry auditors may open."""
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@register.filter
def hash_intact(entry) -> bool:
    """Whether the entry still hashes to its stored hash (its own content unchanged; links are checked apart)."""
    return entry_hash(entry.prev_hash, entry_fields(entry)) == entry.hash
