"""The public documents built from the database: the trust list, the status lists and the root public key, and a
Verifier over the current ones for the API and the web pages. Nothing here needs a user: these are published."""

import base64
from collections.abc import Iterator, Mapping
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.utils import timezone

from inminban.areas.models import Area

from . import keyfiles
from .models import SigningKey, Stamp
from .offline import ROOT_KEY_FILE, STATUS_DIR, TRUST_LIST_FILE, max_status_age
from .services import root_key_ensure
from .trust import TrustedKey, build_status_list, build_trust_list, public_key_pem
from .verify import Verifier


def _root():
    record = root_key_ensure()
    return record, keyfiles.load_existing_key(record.key_name, expected_kid=record.kid)


def root_public_key() -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(root_key_ensure().public_key))


def stamp_keys():
    return SigningKey.objects.filter(purpose=SigningKey.Purpose.STAMP).select_related("office__area").order_by("kid")


def trusted_key(key: SigningKey) -> TrustedKey:
    return TrustedKey(
        kid=key.kid,
        public_key=bytes.fromhex(key.public_key),
        office=key.office.code,
        office_name=key.office.name_en or key.office.name_ko,
        valid_from=key.valid_from,
        valid_until=key.valid_until,
        kinds=key.kind_list,
        area=key.office.area.path,
    )


def unit_paths() -> dict[str, str]:
    return dict(Area.objects.filter(level__is_unit=True).values_list("code", "path"))


def trust_list_document(*, with_units: bool = True) -> bytes:
    """Every office key, current or retired, with its validity and its office's area, and where every unit is (what
    binds a key to the units it may sign for); signed by the root key. The server's own verifier reads the units
    from the database instead (`with_units=False`)."""
    _, root = _root()
    keys = [trusted_key(key) for key in stamp_keys()]
    units = unit_paths() if with_units else {}
    return build_trust_list(keys, issued_at=timezone.now(), root_key=root, units=units)


def status_list_document(kid: str) -> bytes | None:
    """The revocation bits of every stamp signed by key `kid` so far; None if there is no such key."""
    key = SigningKey.objects.filter(purpose=SigningKey.Purpose.STAMP, kid=kid).first()
    if key is None:
        return None
    _, root = _root()
    revoked = Stamp.objects.filter(signing_key=key, revoked_at__isnull=False).values_list("status_index", flat=True)
    return build_status_list(
        kid=key.kid,
        version=key.status_version,
        size=key.next_status_index,
        revoked_indexes=list(revoked),
        issued_at=timezone.now(),
        root_key=root,
    )


def status_list_documents() -> dict[str, bytes]:
    return {key.kid: status_list_document(key.kid) for key in stamp_keys()}


class LiveStatusLists(Mapping):
    """Status lists built from the database when asked for, so a server-side check builds only the one it needs."""

    def __getitem__(self, kid: str) -> bytes:
        document = status_list_document(kid)
        if document is None:
            raise KeyError(kid)
        return document

    def __iter__(self) -> Iterator[str]:
        return iter(stamp_keys().values_list("kid", flat=True))

    def __len__(self) -> int:
        return stamp_keys().count()


class LiveUnitPaths(Mapping):
    """Unit paths read from the database when asked for: one query per stamp, not the whole area tree."""

    def __getitem__(self, code: str) -> str:
        path = Area.objects.filter(code=code, level__is_unit=True).values_list("path", flat=True).first()
        if path is None:
            raise KeyError(code)
        return path

    def __iter__(self) -> Iterator[str]:
        return iter(Area.objects.filter(level__is_unit=True).values_list("code", flat=True))

    def __len__(self) -> int:
        return Area.objects.filter(level__is_unit=True).count()


class DatabaseStatus:
    """A key's revocation status as the database holds it now: what its next status list will say, read for one
    stamp at a time. The server answers a check with this instead of building (and root-signing) the key's whole
    status list, which at national size is millions of bits per check."""

    def __init__(self, key: SigningKey):
        self.key = key
        self.kid = key.kid
        self.version = key.status_version
        self.size = key.next_status_index
        self.issued_at = timezone.now()

    def covers(self, index: int) -> bool:
        return 0 <= index < self.size

    def is_revoked(self, index: int) -> bool:
        return Stamp.objects.filter(signing_key=self.key, status_index=index, revoked_at__isnull=False).exists()


class ServerVerifier(Verifier):
    """The offline checks in the same order with the same reasons; revocation read from the database."""

    def status_list(self, kid: str):
        key = SigningKey.objects.filter(purpose=SigningKey.Purpose.STAMP, kid=kid).first()
        if key is None:
            return f"No status list for key {kid}."
        return DatabaseStatus(key)


def server_verifier() -> Verifier:
    """A verifier over the current documents: the same offline checks, fed from the database."""
    return ServerVerifier(
        trust_list=trust_list_document(with_units=False),
        status_lists=LiveStatusLists(),
        root_public_key=root_public_key(),
        unit_paths=LiveUnitPaths(),
    )


def export_documents(directory: Path) -> list[Path]:
    """Write what an offline verifier needs into `directory`: trust list, status lists, pinned root public key."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / STATUS_DIR).mkdir(exist_ok=True)
    written = []
    path = directory / ROOT_KEY_FILE
    path.write_bytes(public_key_pem(root_public_key()))
    written.append(path)
    path = directory / TRUST_LIST_FILE
    path.write_bytes(trust_list_document())
    written.append(path)
    for kid, document in status_list_documents().items():
        path = directory / STATUS_DIR / f"{kid}.cose"
        path.write_bytes(document)
        written.append(path)
    return written


def verifier_bundle() -> dict:
    """What the browser verifier embeds: the pinned root key and the current signed documents, as hex/base64."""
    return {
        "root_key": root_key_ensure().public_key,
        "trust_list": base64.b64encode(trust_list_document()).decode("ascii"),
        "status_lists": {
            kid: base64.b64encode(document).decode("ascii") for kid, document in status_list_documents().items()
        },
        "built_at": timezone.now().isoformat(timespec="seconds"),
        "max_status_age_seconds": int(max_status_age().total_seconds()),
    }
