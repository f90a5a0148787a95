"""Reading an exported trust directory (see `documents.export_documents`) without Django's database."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings

from .trust import TrustError, load_public_key
from .verify import Verifier

TRUST_LIST_FILE = "trust-list.cose"
STATUS_DIR = "status"
ROOT_KEY_FILE = "root-key.pem"


class DirectoryStatusLists(dict):
    """Status lists read from DIR/status/<kid>.cose on first use."""

    def __init__(self, directory: Path):
        super().__init__()
        self.directory = directory

    def get(self, kid: str, default=None):
        if kid not in self:
            path = self.directory / f"{kid}.cose"
            if not (kid.isalnum() and path.is_file()):
                return default
            self[kid] = path.read_bytes()
        return self[kid]


def max_status_age() -> timedelta:
    """How old status lists may be before an offline verifier stops calling stamps valid (set in days by
    INMINBAN_STAMP_STATUS_MAX_AGE_DAYS): a revocation after they were exported would go unseen."""
    return timedelta(days=settings.STAMP_STATUS_MAX_AGE_DAYS)


def verifier_from_directory(directory: Path, *, root_key_file: Path | None = None) -> Verifier:
    """A Verifier over DIR/trust-list.cose and DIR/status/, pinned to `root_key_file` (default DIR/root-key.pem),
    that calls no stamp valid from status lists older than `max_status_age()`. TrustError if the root key cannot be
    read; a missing or bad trust list is reported per stamp."""
    root_path = root_key_file or directory / ROOT_KEY_FILE
    try:
        root = load_public_key(root_path.read_bytes())
    except OSError as exc:
        raise TrustError(f"cannot read the pinned root key {root_path}: {exc.strerror}") from None
    trust_path = directory / TRUST_LIST_FILE
    trust_list = trust_path.read_bytes() if trust_path.is_file() else None
    return Verifier(
        trust_list=trust_list,
        status_lists=DirectoryStatusLists(directory / STATUS_DIR),
        root_public_key=root,
        max_status_age=max_status_age(),
    )
