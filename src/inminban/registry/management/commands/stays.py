"""`inminban stays purge [--today YYYY-MM-DD]`: erase the details of guests whose stays ended more than
STAY_RETENTION_DAYS (default 30) ago, everywhere they are kept. The stays themselves stay, so do the counts; the purge
is one audit entry (how many, and the cutoff), and the audit log stays verifiable (`inminban audit verify`)."""

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from inminban.registry.stays import purge_cutoff, stays_purge


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--today: {text!r} is not a date written YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Overnight stays. `purge [--today YYYY-MM-DD]` erases the guest's name, address, document number and note of "
        "every stay that ended more than INMINBAN_STAY_RETENTION_DAYS days ago (and their copies in other tables); "
        "the stays are kept for the counts."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        purge = actions.add_parser("purge", help="Erase the details of guests whose stays ended long enough ago.")
        purge.add_argument("--today", help="Purge as on this day (YYYY-MM-DD; default today).")

    def handle(self, *args, action, today=None, **options):
        day = _day(today) if today else timezone.localdate()
        purged = stays_purge(today=day)
        self.stdout.write(
            f"{purged} stays that ended before {purge_cutoff(day).isoformat()} "
            f"(more than {settings.STAY_RETENTION_DAYS} days ago): their guests' details were erased."
        )
