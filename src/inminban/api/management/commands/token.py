from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from inminban.api.models import ApiToken
from inminban.api.tokens import token_create, token_expires_at, token_revoke
from inminban.common.errors import DomainError


class Command(BaseCommand):
    help = (
        "API tokens: `token create USER [--name NAME]` prints a new bearer token once; `token list [USER]` shows "
        "tokens with their number; `token revoke NUMBER` revokes one (it answers 401 from then on)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("subject", nargs="?", help="create: the user; list: a user (optional); revoke: a number.")
        parser.add_argument("--name", default="")

    def handle(self, *args, action, subject, name, **options):
        if action == "create":
            _, token = token_create(actor=None, user=self._user(subject), name=name)
            self.stdout.write(token)
        elif action == "list":
            self._list(self._user(subject) if subject else None)
        else:
            self._revoke(subject)

    def _user(self, username: str | None) -> User:
        if not username:
            raise CommandError("Name the user.")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        return user

    def _list(self, user: User | None) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("pk")
        if user is not None:
            tokens = tokens.filter(user=user)
        now, local = timezone.now(), timezone.localtime
        for token in tokens:
            expires = token_expires_at(token)
            if token.revoked_at is not None:
                state = f"revoked {local(token.revoked_at):%Y-%m-%d %H:%M}"
            elif expires <= now:
                state = f"expired {local(expires):%Y-%m-%d}"
            else:
                state = f"expires {local(expires):%Y-%m-%d}"
            used = f"{local(token.last_used_at):%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(
                f"{token.pk:>6}  {token.prefix}…  {token.user.username:<16} {token.name or '-':<16} "
                f"created {local(token.created_at):%Y-%m-%d}  last used {used}  {state}"
            )

    def _revoke(self, number: str | None) -> None:
        if not number or not number.isdigit():
            raise CommandError("Give the token's number, as `inminban token list` shows it.")
        token = ApiToken.objects.filter(pk=int(number)).first()
        if token is None:
            raise CommandError(f"No token number {number}.")
        try:
            token_revoke(actor=None, token=token)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Token {token.pk} ({token.prefix}…, {token.user.username}) is revoked.")
