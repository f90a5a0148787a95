"""What an outside office runs from cron: fetch the server's newest checkpoint, check that it is signed by the key
pinned in the state directory and that it extends the checkpoint kept there (an RFC 6962 consistency proof from
/audit/proof), and keep it. A checkpoint that does not extend the one held is refused, and the held one stays.

State directory: `key` (the verifier key, pinned on first use unless --key gives it), `checkpoint` (the newest
checkpoint seen) and `history/<size>.checkpoint` (every checkpoint accepted, for `audit verify --checkpoint`)."""

import base64
import binascii
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .merkle import consistency_holds
from .note import Checkpoint, NoteError, VerifierKey, parse_checkpoint, parse_verifier_key

TIMEOUT_SECONDS = 30


class Refused(Exception):
    """The server's log does not hold what it promised: it is not signed by the pinned key, or it went back."""


class Unreachable(Exception):
    """The server could not be asked (network, HTTP error): nothing was concluded."""


@dataclass
class Outcome:
    summary: str
    checkpoint: Checkpoint
    notes: list[str] = field(default_factory=list)


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        raise Unreachable(f"{url} answered {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise Unreachable(f"{url}: {getattr(error, 'reason', error)}") from None


def _write(path: Path, text: str) -> None:
    """Replace the file in one step, so a crash never leaves half a checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def _pinned_key(base: str, state: Path, given: VerifierKey | None, notes: list[str]) -> VerifierKey:
    stored = state / "key"
    if stored.exists():
        pinned = parse_verifier_key(stored.read_text())
        if given is not None and str(given) != str(pinned):
            raise Refused(f"--key differs from the key pinned in {stored}; remove that file to pin another")
        return pinned
    if given is None:
        try:
            given = parse_verifier_key(_get(base + "/audit/key").decode())
        except (NoteError, UnicodeDecodeError) as error:
            raise Refused(f"the server's key is not readable: {error}") from None
        notes.append(f"Pinned the server's key on first use: {given}. Compare it with the office that runs the log.")
    _write(stored, str(given) + "\n")
    return given


def _proof(base: str, old: int, new: int) -> list[bytes]:
    body = _get(f"{base}/audit/proof?{urllib.parse.urlencode({'old': old, 'new': new})}")
    try:
        return [base64.b64decode(item, validate=True) for item in json.loads(body)["proof"]]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise Refused("the consistency proof the server sent is not readable") from None


def witness(url: str, *, state: Path, verifier: VerifierKey | None = None) -> Outcome:
    base = url.rstrip("/").removesuffix("/audit/checkpoint")
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    notes: list[str] = []
    key = _pinned_key(base, state, verifier, notes)
    try:
        new = parse_checkpoint(_get(base + "/audit/checkpoint").decode(), key)
    except (NoteError, UnicodeDecodeError) as error:
        raise Refused(f"the server's checkpoint: {error}") from None
    if new.origin != key.name:
        raise Refused(f"the server's checkpoint is of another log ({new.origin}, not {key.name})")

    held_file = state / "checkpoint"
    if not held_file.exists():
        _keep(state, new)
        return Outcome(f"First checkpoint kept: {new.size} entries, root {new.root_hex}.", new, notes)
    try:
        held = parse_checkpoint(held_file.read_text(), key)
    except NoteError as error:
        raise Refused(f"the checkpoint kept in {held_file} does not verify: {error}") from None

    if new.size < held.size:
        raise Refused(f"the log went back from {held.size} to {new.size} entries: entries were deleted")
    if new.size == held.size:
        if new.root != held.root:
            raise Refused(f"the log was rewritten: at {new.size} entries its root changed from the one kept")
        return Outcome(f"No new entries: still {new.size}, same root.", new, notes)
    if not consistency_holds(held.size, new.size, held.root, new.root, _proof(base, held.size, new.size)):
        raise Refused(
            f"the checkpoint at {new.size} entries does not extend the one kept at {held.size}: "
            f"entries 1–{held.size} were rewritten"
        )
    _keep(state, new)
    return Outcome(f"Checkpoint at {new.size} entries extends the one kept at {held.size}; kept.", new, notes)


def _keep(state: Path, checkpoint: Checkpoint) -> None:
    _write(state / "history" / f"{checkpoint.size}.checkpoint", checkpoint.text)
    _write(state / "checkpoint", checkpoint.text)
