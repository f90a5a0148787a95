"""Where the backup commands take a passphrase from: a file (for scripts), or asked for twice on the terminal."""

import getpass
from pathlib import Path

from django.core.management.base import CommandError

MIN_LENGTH = 12


def passphrase_from(file: str | None, *, ask: bool, confirm: bool) -> str | None:
    if file:
        try:
            text = Path(file).read_text().strip()
        except OSError as error:
            raise CommandError(f"--passphrase-file: cannot read {file}: {error.strerror}") from None
    elif ask:
        text = getpass.getpass("Passphrase: ")
        if confirm and getpass.getpass("Passphrase again: ") != text:
            raise CommandError("The two passphrases differ.")
    else:
        return None
    if confirm and len(text) < MIN_LENGTH:
        raise CommandError(f"A passphrase has at least {MIN_LENGTH} characters.")
    return text
