from django.core.management.base import BaseCommand, CommandError

from inminban.accounts.services import login_unlock
from inminban.common.errors import DomainError


class Command(BaseCommand):
    help = (
        "Lift a login lockout before it ends by itself: --user NAME (the account, from every address) or --address "
        "IP (the address, for every account). `inminban lockouts` shows who is locked out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", default="", help="The account to unlock.")
        parser.add_argument("--address", default="", help="The address to unlock.")

    def handle(self, *args, user, address, **options):
        try:
            removed = login_unlock(actor=None, username=user, address=address)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Unlocked {user or address} ({removed} record{'s' if removed != 1 else ''} of failures).")
