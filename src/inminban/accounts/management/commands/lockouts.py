from django.core.management.base import BaseCommand
from django.utils import timezone

from inminban.accounts.selectors import lockouts_active


class Command(BaseCommand):
    help = "Accounts and addresses locked out after too many wrong passwords, and until when (`inminban unlock`)."

    def handle(self, *args, **options):
        lockouts = lockouts_active()
        if not lockouts:
            self.stdout.write("Nobody is locked out.")
        for lockout in lockouts:
            until = timezone.localtime(lockout.until)
            self.stdout.write(
                f"{lockout.kind:<8} {lockout.name:<40} {lockout.failures:>4} failures  until {until:%H:%M}"
            )
