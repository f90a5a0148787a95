"""The integrity scan: every enabled pattern, set-based, safe to repeat.

For each pattern one statement, `INSERT INTO integrity_flag (…) SELECT … ON CONFLICT (pattern, key) DO NOTHING`
(scan_sql.py), in its own transaction with one audit entry when it raised flags (how many; actor: the system). A
flag's key names the records it is about, so whatever its status a flag is never raised twice, and two scans running
at once raise it once. Besides the statements the scan reads only small things: the detection rules, the depth of
the area tree and, for members_before_cycle, the span of the cycles' reference dates.

A scan looks back over a window: the last `days` days (the scheduled job and the command: INTEGRITY_SCAN_DAYS, 35),
or all history (`days=None`). Each pattern then reads only the records made or dated inside it (scan_sql.py), so an
hourly scan costs what a few weeks hold, not what the years hold; and since the scan runs far more often than the
window is long, every record is looked at by many scans while it is inside the window."""

from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min, Q
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


def window_start(today: date, days: int | None) -> datetime | None:
    """The start of a window of the last `days` days before `today` (and `today` itself): midnight, `days` days
    before it. None (all history) for `days=None`."""
    if days is None:
        return None
    if days < 1:
        raise ValueError(f"A scan window is at least one day, not {days}.")
    return start_of(today - timedelta(days=days))


def default_days() -> int:
    """The window of the scheduled job and of `inminban integrity scan` without --days or --all."""
    return settings.INTEGRITY_SCAN_DAYS


def scan_context(today: date | None = None, since: datetime | None = None) -> Context:
    """What the statements need, read once: the rules of every pattern, the depth of the area tree, the cycles (those
    inside the window, from `since`; None: all history)."""
    today = today or timezone.localdate()
    depth = Area.objects.aggregate(depth=Max("depth"))["depth"] or 0
    context = Context(today=today, now=timezone.now(), depth=depth, since=since)
    context.tiers = {pattern: tiers_for(pattern) for pattern in Pattern.values}
    cycles = Cycle.objects.filter(program__kind__in=PER_MEMBER_PROGRAMS)
    if since is not None:  # as members_before_cycle picks them (scan_sql._cycle_in_window)
        cycles = cycles.filter(Q(reference_date__gte=context.since_day) | Q(created_at__gte=since))
    span = cycles.aggregate(first=Min("reference_date"), last=Max("reference_date"))
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
                after={"pattern": pattern, "raised": raised, "today": context.today, "since": context.since_day},
            )
    return raised


def integrity_scan(
    *, today: date | None = None, days: int | None = None, progress: Progress | None = None
) -> dict[str, int]:
    """Look for every enabled pattern as of `today` (default: today) in the records of the last `days` days (default:
    all history; the scheduled job and the command pass INTEGRITY_SCAN_DAYS); returns how many flags each raised."""
    today = today or timezone.localdate()
    context = scan_context(today, window_start(today, days))
    patterns = list(Pattern.values)
    raised: dict[str, int] = {}
    for index, pattern in enumerate(patterns, start=1):
        raised[pattern] = _raise(pattern, context)
        if progress is not None:
            progress(index, len(patterns), f"{pattern}: {raised[pattern]}")
    return raised
