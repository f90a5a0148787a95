"""An offline counter: the pack a counter takes with it, the checks and hand-outs it records from the pack alone, and
the upload of those hand-outs once it is back online.

A pack is a directory (or the zip of one, `pack_zip`):

    trust-list.cose, status/<kid>.cose, root-key.pem   what any offline verifier needs (stamps.documents)
    counter.json      the counter, the area it serves, when the pack was written, its cycles with their status
    vouchers.json     the vouchers of the households it serves in its open cycles: serial, cycle, household number,
                      unit, quantity and what was handed out against it when the pack was written (grams or won)
    redemptions.jsonl what this counter handed out since, one JSON object a line, each with its own id (uuid4)
    uploads.jsonl     what each upload answered about those lines

Only `pack_write` and `pack_zip` read the database. Checking a voucher (`offline_check`), recording a hand-out
(`offline_redeem`), `local_status` and `upload` work from the directory alone: a counter whose connection (or whose
server) is gone keeps working. The checks are the server's, in the same order and with the same reason codes:
signature, key, revocation and expiry by the trust files; the cycle by counter.json; what is left by vouchers.json
less what was handed out here since."""

import fcntl
import hashlib
import io
import json
import tempfile
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone

from inminban.stamps import codec
from inminban.stamps.offline import verifier_from_directory
from inminban.stamps.trust import TrustError
from inminban.stamps.verify import Verifier

PACK_VERSION = 1
COUNTER_FILE = "counter.json"
VOUCHERS_FILE = "vouchers.json"
REDEMPTIONS_FILE = "redemptions.jsonl"
UPLOADS_FILE = "uploads.jsonl"
# Redemptions per upload request: each carries its voucher text (about 300 characters), so 400 stay well under the
# server's body limit (INMINBAN_MAX_BODY_BYTES, 256 KiB by default).
UPLOAD_BATCH = 400
# A cycle closed this recently is still in the pack, so that its vouchers are refused as "closed", not "unknown".
CLOSED_CYCLES_KEPT = timedelta(days=90)

# The server's words for the same refusals (entitlements.redemptions.REFUSALS), and those only an offline counter says.
MESSAGES = {
    "not_a_voucher": "This is a stamp, not a voucher.",
    "other_cycle": "This voucher is for another cycle (%(cycle)s), not one this counter's pack holds.",
    "cycle_closed": "The cycle of this voucher is closed: its vouchers have expired.",
    "cycle_not_open": "The cycle of this voucher is not approved for distribution.",
    "not_served_here": "This voucher is for a household this counter does not serve.",
    "unknown_voucher": "This voucher is not in the counter's pack: write a new pack when the connection is back.",
    "used_up": "Already handed out in full: %(what)s.",
    "not_enough_left": "Only %(left)s is left on this voucher.",
    "bad_quantity": "The quantity is a whole number above zero (grams or won).",
    "valid": "The voucher is valid.",
}


class PackError(Exception):
    """The directory is not a usable counter pack (missing or damaged files)."""


class UploadError(Exception):
    """The server refused an upload, or could not be reached. What it recorded before stays recorded."""


def amount_text(amount: int, measure: str) -> str:
    """2,170 g, 67.3 kg or 3,000 ₩ (as entitlements.explain.amount_text, without the database's Program)."""
    if measure == "kpw":
        return f"{amount:,} ₩"
    if amount >= 1000:
        return f"{amount / 1000:,.1f} kg".replace(".0 kg", " kg")
    return f"{amount:,} g"


def _now() -> datetime:
    return timezone.localtime(timezone.now())


def cycle_of_ref(duty_ref: str) -> int | None:
    """The cycle id of a voucher's duty reference ("cycle:12")."""
    kind, _, number = duty_ref.partition(":")
    return int(number) if kind == "cycle" and number.isdigit() else None


# Writing a pack (with the database) ------------------------------------------------------------------------------


def _pack_cycles(counter):
    from django.db.models import Q

    from inminban.duties.selectors import ancestor_paths

    from .models import Cycle
    from .vouchers import OPEN_STATUSES

    area = counter.area.path
    overlapping = Q(program__area__path__in=ancestor_paths(area)) | Q(program__area__path__startswith=area)
    recently_closed = Q(status=Cycle.Status.CLOSED, closed_at__gte=timezone.now() - CLOSED_CYCLES_KEPT)
    return list(
        Cycle.objects.filter(overlapping)
        .filter(Q(status__in=OPEN_STATUSES) | recently_closed)
        .select_related("program")
        .order_by("period_start", "pk")
    )


def _refuse_other_counters_pack(counter, directory: Path) -> None:
    """A directory holds one counter's pack: its hand-outs must never be uploaded as another counter's."""
    existing = directory / COUNTER_FILE
    if not existing.exists():
        return
    try:
        code = json.loads(existing.read_text(encoding="utf-8"))["counter"]["code"]
    except (ValueError, KeyError, TypeError):
        code = None
    if code != counter.code:
        raise PackError(
            f"{directory} holds the pack of another counter ({code or 'unreadable'}); use an empty directory."
        )


def pack_write(counter, directory: Path) -> list[Path]:
    """Write the counter's pack into `directory` (made if missing; redemptions already recorded there are kept).
    The trust files are exported as `inminban stamp export` writes them."""
    from inminban.areas.access import subtree_q
    from inminban.stamps.documents import export_documents

    from .models import Entitlement, Redemption
    from .vouchers import OPEN_STATUSES

    directory = Path(directory)
    _refuse_other_counters_pack(counter, directory)
    written = export_documents(directory)
    cycles = _pack_cycles(counter)
    open_ids = [cycle.pk for cycle in cycles if cycle.status in OPEN_STATUSES]
    rows = (
        Entitlement.objects.filter(cycle_id__in=open_ids, voucher__isnull=False)
        .filter(subtree_q("unit__path", counter.area.path))
        .order_by("cycle_id", "unit__path", "household__number")
        .values_list("voucher__serial", "cycle_id", "household__number", "unit__code", "quantity", "redeemed")
    )
    vouchers = [
        {
            "serial": str(serial),
            "cycle": cycle,
            "household": household,
            "unit": unit,
            "quantity": quantity,
            "redeemed": redeemed,
        }
        for serial, cycle, household, unit, quantity, redeemed in rows.iterator(chunk_size=5000)
    ]
    # Hand-outs of this directory the server has counted already: they are in the `redeemed` figures above, and
    # must not be taken off what is left a second time.
    local_ids = []
    for record in _read_lines(directory / REDEMPTIONS_FILE):
        try:
            local_ids.append(uuid.UUID(str(record.get("id"))))
        except ValueError:
            continue
    counted = sorted(str(uid) for uid in Redemption.objects.filter(uid__in=local_ids).values_list("uid", flat=True))
    document = {
        "version": PACK_VERSION,
        "counter": {
            "id": counter.pk,
            "code": counter.code,
            "name": counter.name,
            "name_ko": counter.name_ko,
            "name_en": counter.name_en,
            "office": counter.office.code,
            "address": counter.address,
            "opening_hours": counter.opening_hours,
        },
        "area": counter.area.code,
        "area_path": counter.area.path,
        "packed_at": _now().isoformat(),
        "cycles": [
            {
                "id": cycle.pk,
                "program": cycle.program.name_ko or cycle.program.name_en,
                "program_en": cycle.program.name_en or cycle.program.name_ko,
                "status": cycle.status,
                "period_start": cycle.period_start.isoformat(),
                "period_end": cycle.period_end.isoformat(),
                "measure": cycle.program.measure,
            }
            for cycle in cycles
        ],
        "counted_redemptions": counted,
    }
    for name, content in ((COUNTER_FILE, document), (VOUCHERS_FILE, vouchers)):
        path = directory / name
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(content, ensure_ascii=False, indent=1), encoding="utf-8")
        temporary.replace(path)
        written.append(path)
    return written


def pack_zip(counter) -> bytes:
    """The counter's pack as a zip (for the download button): the same files `pack_write` writes."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="inminban-pack-") as name:
        root = Path(name)
        pack_write(counter, root)
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


# Reading a pack (no database) ------------------------------------------------------------------------------------


def _read_lines(path: Path) -> list[dict]:
    """The JSON objects of a .jsonl file; a line cut short by a crash while writing is skipped, not fatal."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


@dataclass
class Pack:
    directory: Path
    counter: dict
    area_path: str
    packed_at: datetime
    cycles: dict[int, dict]
    vouchers: dict[str, dict]
    counted: set[str]
    verifier: Verifier

    @property
    def redemptions_file(self) -> Path:
        return self.directory / REDEMPTIONS_FILE


def pack_load(directory: Path) -> Pack:
    """Read a pack written by `pack_write`. PackError if it is not one."""
    directory = Path(directory)
    try:
        document = json.loads((directory / COUNTER_FILE).read_text(encoding="utf-8"))
        vouchers = json.loads((directory / VOUCHERS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackError(f"{directory} is not a counter pack: {exc}") from None
    if not isinstance(document, dict) or document.get("version") != PACK_VERSION or not isinstance(vouchers, list):
        raise PackError(f"{directory}: unknown pack format.")
    try:
        verifier = verifier_from_directory(directory)
        return Pack(
            directory=directory,
            counter=document["counter"],
            area_path=document["area_path"],
            packed_at=datetime.fromisoformat(document["packed_at"]),
            cycles={int(cycle["id"]): cycle for cycle in document["cycles"]},
            vouchers={entry["serial"]: entry for entry in vouchers},
            counted=set(document.get("counted_redemptions", [])),
            verifier=verifier,
        )
    except (KeyError, TypeError, ValueError, TrustError) as exc:
        raise PackError(f"{directory}: the pack is damaged ({exc}).") from None


def local_redemptions(pack: Pack) -> list[dict]:
    return _read_lines(pack.redemptions_file)


def _local_by_serial(pack: Pack, serial: str) -> list[dict]:
    """The hand-outs recorded here against a voucher that the pack's figures do not include yet."""
    return [
        record
        for record in local_redemptions(pack)
        if record.get("serial") == serial and record.get("id") not in pack.counted
    ]


@dataclass
class OfflineCheck:
    """What the offline counter shows after a scan: as the server's VoucherCheck, from the pack."""

    ok: bool
    reason: str
    message: str
    claims: dict | None = None
    entry: dict | None = None  # the voucher's line of vouchers.json
    cycle: dict | None = None
    left: int = 0
    previous: list[dict] = field(default_factory=list)  # hand-outs recorded here since the pack was written

    @property
    def measure(self) -> str:
        return (self.cycle or {}).get("measure", "g")


def _refused(reason: str, params: dict | None = None, **found) -> OfflineCheck:
    message = MESSAGES[reason] % params if params else MESSAGES[reason]
    return OfflineCheck(False, reason, message, **found)


def _words(record: dict, counter_name: str) -> str:
    when = record.get("handed_at", "")[:16].replace("T", " ")
    return f"{record.get('clerk') or '—'}, {counter_name}, {when}"


def offline_check(pack: Pack, text: str, *, cycle: int | None = None, now: datetime | None = None) -> OfflineCheck:
    """Verify a voucher from the pack alone and work out what is left on it. Never writes."""
    result = pack.verifier.verify(text, now=now)
    claims = result.claims
    if claims is not None and claims.duty_kind != codec.VOUCHER:
        return _refused("not_a_voucher", claims=claims.as_dict())
    if claims is None or (not result.ok and result.reason not in ("revoked", "expired")):
        return OfflineCheck(False, result.reason, result.message, claims=claims.as_dict() if claims else None)
    found = {"claims": claims.as_dict()}
    cycle_id = cycle_of_ref(claims.duty_ref)
    voucher_cycle = pack.cycles.get(cycle_id) if cycle_id is not None else None
    if voucher_cycle is None or (cycle is not None and cycle != cycle_id):
        return _refused("other_cycle", {"cycle": claims.duty_title or claims.duty_ref}, **found)
    found["cycle"] = voucher_cycle
    if voucher_cycle["status"] == "closed":
        return _refused("cycle_closed", **found)
    if not result.ok:
        return OfflineCheck(False, result.reason, result.message, **found)
    entry = pack.vouchers.get(str(claims.serial))
    if entry is None:
        unit_path = pack.verifier.unit_path(claims.unit)
        served = unit_path is not None and unit_path.startswith(pack.area_path)
        return _refused("unknown_voucher" if served else "not_served_here", **found)
    previous = _local_by_serial(pack, entry["serial"])
    left = entry["quantity"] - entry["redeemed"] - sum(int(record.get("quantity", 0)) for record in previous)
    found.update(entry=entry, previous=previous, left=max(left, 0))
    if left <= 0:
        counter_name = pack.counter.get("name", "")
        what = "; ".join(_words(record, counter_name) for record in previous)
        if entry["redeemed"]:
            what = "; ".join(filter(None, ["before the pack was written", what]))
        return _refused("used_up", {"what": what or "—"}, **found)
    return OfflineCheck(True, "valid", MESSAGES["valid"], **found)


def offline_redeem(
    pack: Pack,
    text: str,
    *,
    quantity: int | None = None,
    clerk: str = "",
    cycle: int | None = None,
    now: datetime | None = None,
) -> tuple[OfflineCheck, dict | None]:
    """Check the voucher and, if it can be redeemed, record the hand-out (all that is left, or `quantity`) in
    redemptions.jsonl with a new id. The file is locked from the check to the write, so two clerks at one machine
    cannot both hand out the last of a voucher. Returns the check and the record (None when refused)."""
    if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0):
        return _refused("bad_quantity"), None
    pack.redemptions_file.touch(exist_ok=True)
    with pack.redemptions_file.open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            check = offline_check(pack, text, cycle=cycle, now=now)
            if not check.ok:
                return check, None
            amount = check.left if quantity is None else quantity
            if amount > check.left:
                left = amount_text(check.left, check.measure)
                return _refused("not_enough_left", {"left": left}, **_found_of(check)), None
            record = {
                "id": str(uuid.uuid4()),
                "voucher": text.strip(),
                "serial": check.entry["serial"],
                "cycle": check.entry["cycle"],
                "household": check.entry["household"],
                "quantity": amount,
                "handed_at": (now or _now()).isoformat(),
                "clerk": clerk,
                "counter": pack.counter.get("code", ""),
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            return check, record
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _found_of(check: OfflineCheck) -> dict:
    return {
        "claims": check.claims,
        "entry": check.entry,
        "cycle": check.cycle,
        "left": check.left,
        "previous": check.previous,
    }


# Status and upload -----------------------------------------------------------------------------------------------


def local_status(pack: Pack) -> dict:
    """What is recorded here: every hand-out with what the last upload said of it."""
    outcomes = {}
    for line in _read_lines(pack.directory / UPLOADS_FILE):
        outcomes[line.get("id")] = line
    records = local_redemptions(pack)
    for record in records:
        upload = outcomes.get(record.get("id"))
        record["upload"] = upload.get("outcome") if upload else None
    return {
        "counter": pack.counter,
        "packed_at": pack.packed_at.isoformat(),
        "cycles": list(pack.cycles.values()),
        "vouchers": len(pack.vouchers),
        "redemptions": records,
        "not_uploaded": sum(1 for record in records if record["upload"] is None),
    }


def _http_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise UploadError(f"Cannot reach {url}: {getattr(exc, 'reason', exc)}") from None


def batch_url(base_url: str, counter_id: int) -> str:
    base = base_url.rstrip("/")
    if not base.endswith("/api/v1"):
        base += "/api/v1"
    return f"{base}/counters/{counter_id}/redemptions/batch"


def upload(
    pack: Pack,
    *,
    url: str,
    token: str,
    batch: int = UPLOAD_BATCH,
    post: Callable[[str, bytes, dict[str, str]], tuple[int, bytes]] | None = None,
) -> dict:
    """Send every hand-out recorded here to the server's batch endpoint, `batch` at a time. Each request carries an
    Idempotency-Key made from its redemption ids, and each redemption its own id, so an upload interrupted or
    repeated any number of times records each hand-out once. Returns the totals and the conflicts and refusals."""
    post = post or _http_post
    # What an earlier upload got onto the server is not sent again (sending it would only replay that answer); a
    # hand-out the server refused, or never answered for, is. Without uploads.jsonl everything is sent: each
    # redemption's own id still keeps the server from recording any twice.
    on_server = {"recorded", "already_recorded", "conflict"}
    records = [
        record
        for record in local_status(pack)["redemptions"]
        if record.get("id") and record.get("upload") not in on_server
    ]
    target = batch_url(url, pack.counter["id"])
    run = uuid.uuid4().hex
    totals = {"sent": len(records), "recorded": 0, "already_recorded": 0, "conflicts": [], "refused": []}
    for start in range(0, len(records), batch):
        chunk = records[start : start + batch]
        items = [
            {
                "id": record["id"],
                "voucher": record["voucher"],
                "quantity": record["quantity"],
                "handed_at": record["handed_at"],
                "clerk": record.get("clerk", ""),
            }
            for record in chunk
        ]
        # The key names this run's request: a proxy or client repeating it gets its first answer. A later run is a
        # new request, answered afresh ("already recorded"), so its report says what the server holds now.
        key = (
            "counter-upload-"
            + hashlib.sha256(f"{run}:{','.join(item['id'] for item in items)}".encode()).hexdigest()[:48]
        )
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        status, body = post(target, json.dumps({"redemptions": items}).encode(), headers)
        try:
            answer = json.loads(body)
        except ValueError:
            answer = {}
        if status != 200:
            detail = answer.get("detail") if isinstance(answer, dict) else ""
            raise UploadError(f"The server answered {status}: {detail or body[:200]!r}")
        _note_outcomes(pack, answer)
        totals["recorded"] += len(answer["recorded"])
        totals["already_recorded"] += len(answer["already_recorded"])
        totals["conflicts"] += answer["conflicts"]
        totals["refused"] += answer["refused"]
    return totals


def _note_outcomes(pack: Pack, answer: dict) -> None:
    at = _now().isoformat()
    outcome = {item["id"]: "recorded" for item in answer["recorded"]}
    outcome.update({uid: "already_recorded" for uid in answer["already_recorded"]})
    outcome.update({item["id"]: "conflict" for item in answer["conflicts"]})
    lines = [{"id": uid, "outcome": value, "at": at} for uid, value in outcome.items()]
    lines += [
        {"id": item["id"], "outcome": "refused", "reason": item["reason"], "at": at} for item in answer["refused"]
    ]
    with (pack.directory / UPLOADS_FILE).open("a", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
