import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from inminban.accounts.services import admin_create
from inminban.common.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create an administrator with a strong password (at least 10 characters, not common, not only digits, not "
        "like the user name). The password is asked for twice, or read from standard input with --password-stdin."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")

    def handle(self, *args, username, email, password_stdin, **options):
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The two passwords differ; nothing was created.")
        try:
            user = admin_create(actor=None, username=username, password=password, email=email)
        except DomainError as error:
            raise CommandError(f"{error.field}: {error.message} Nothing was created.") from error
        self.stdout.write(f"Administrator {user.username} created.")
