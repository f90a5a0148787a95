from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from inminban.api.tokens import token_create


class Command(BaseCommand):
    help = "API tokens: `token create USER [--name NAME]` prints a new bearer token once."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create"])
        parser.add_argument("username")
        parser.add_argument("--name", default="")

    def handle(self, *args, action, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        _, token = token_create(actor=None, user=user, name=name)
        self.stdout.write(token)
