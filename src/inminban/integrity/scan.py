"""The integrity scan: every enabled pattern, set-based, safe to repeat.

For each pattern one statement, `INSERT INTO integrity_flag (…) SELECT … ON CONFLICT (pattern, key) DO NOTHING`
(scan_sql.py), in its own transaction with one audit entry when it raised flags (how many; actor: the system). A
flag's key names the records it is about, so whatever its status a flag is never raised twice, and two scans running
at once raise it once. Besides the statements the scan reads only small things: the detection rules, the depth of
the area tree and, for members_before_cycle, the span of the cycles' reference dates."""

from collections.abc import Callable
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from inminban.areas.models import Area
from inminban.audit.services import audit_record
from inminban.entitlements.models import Cycle

from .models import Pattern
from .rules import tiers_for
from .scan_sql import CANDIDATES, PER_MEMBER_PROGRAMS, Context, Sql, insert_statement, start_of

Progress = Callable[..., None]


class ScanRun:
    """The audit entry's target: one run of the scan for one pattern (no row of its own)."""

    def __init__(self, pattern: str, today: date):
        self.pk = pattern
        self.today = today

    def __str__(self) -> str:
        return f"integrity scan {self.today.isoformat()} ({self.pk})"


def scan_context(today: date | None = None) -> Context:
    """What the statements need, read once: the rules of every pattern, the depth of the area tree, the cycles."""
    today = today or timezone.localdate()
    depth = Area.objects.aggregate(depth=Max("depth"))["depth"] or 0
    context = Context(today=today, now=timezone.now(), depth=depth)
    context.tiers = {pattern: tiers_for(pattern) for pattern in Pattern.values}
    span = Cycle.objects.filter(program__kind__in=PER_MEMBER_PROGRAMS).aggregate(
        first=Min("reference_date"), last=Max("reference_date")
    )
    if span["first"] is not None:
        tiers = context.tiers[Pattern.MEMBERS_BEFORE_CYCLE]
        longest = max([tiers.default.threshold, *(rule.threshold for _, rule in tiers.tiers)])
        since = start_of(span["first"] - timedelta(days=int(longest) + 1))
        until = min(start_of(span["last"] + timedelta(days=1)), context.tomorrow)
        context.cycle_window = (since, until)
    return context


def pattern_statement(pattern: str, context: Context) -> Sql | None:
    """The one statement that raises `pattern`'s flags, or None when there is nothing to look for (the pattern is
    off everywhere, or, for members_before_cycle, there is no cycle)."""
    if not context.tiers[pattern].enabled_anywhere:
        return None
    if pattern == Pattern.MEMBERS_BEFORE_CYCLE and context.cycle_window is None:
        return None
    return insert_statement(pattern, CANDIDATES[pattern](context), context)


def _raise(pattern: str, context: Context) -> int:
    statement = pattern_statement(pattern, context)
    if statement is None:
        return 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Compiling these one-off statements costs PostgreSQL's JIT 1–4 s each, more than running them below
                # a few million rows (benchmarks/README.md, integrity).
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(statement.text, statement.params)
            raised = max(cursor.rowcount, 0)
        if raised:
            audit_record(
                actor=None,
                action="integrity.scan",
                target=ScanRun(pattern, context.today),
                target_type="integrity.scan",
                after={"pattern": pattern, "raised": raised, "today": context.today},
            )
    return raised


def integrity_scan(*, today: date | None = None, progress: Progress | None = None) -> dict[str, int]:
    """Look for every enabled pattern as of `today` (default: today); returns how many flags each raised."""
    context = scan_context(today)
    patterns = list(Pattern.values)
    raised: dict[str, int] = {}
    for index, pattern in enumerate(patterns, start=1):
        raised[pattern] = _raise(pattern, context)
        if progress is not None:
            progress(index, len(patterns), f"{pattern}: {raised[pattern]}")
    return raised
