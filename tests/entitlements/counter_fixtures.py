"""What the distribution tests share: an approved ration cycle over district A with its vouchers, counters in both
districts and in unit A1 and A2, their clerks, and helpers to tamper with or forge a voucher.

Imported by the test modules (`from .counter_fixtures import *`), so that pytest finds the fixtures there."""

from dataclasses import dataclass
from datetime import date

import base45
import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from inminban.areas.models import Area
from inminban.audit.models import AuditEntry
from inminban.entitlements import services
from inminban.entitlements.counters import counter_clerk_assign, counter_create
from inminban.entitlements.models import Counter, CounterClerk, Cycle, Entitlement, Redemption
from inminban.stamps import codec, keyfiles
from inminban.stamps.models import SigningKey, Stamp
from inminban.stamps.services import office_signing_key, root_key_ensure, stamp_claims, stamp_encoded

from .conftest import month_start

__all__ = ["distribution", "clients", "forged", "tampered", "rows", "Distribution"]


@dataclass
class Distribution:
    """The world of a distribution test. `vouchers` are entitlements of unit A1 households, in household order."""

    cycle: Cycle
    counter_a: Counter  # serves district HS-A
    counter_a1: Counter  # serves unit HS-A1 only (a second counter for the same households)
    counter_a2: Counter  # serves unit HS-A2 only
    counter_b: Counter  # serves district HS-B
    clerks: dict[str, User]  # "a", "a1", "a2", "b"
    vouchers: list[Entitlement]

    def text(self, index: int) -> str:
        return stamp_encoded(self.vouchers[index].voucher)


def _clerk(admin_like: User, counter: Counter, username: str) -> User:
    user = User.objects.create_user(username, password="x", first_name="Clerk", last_name=username.upper())
    counter_clerk_assign(actor=admin_like, user=user, counter=counter, since=date(2020, 1, 1))
    return user


@pytest.fixture
def distribution(cast, make_program, checker, office_a, office_b) -> Distribution:
    """A grain ration over HS-A for this month, computed by officer-a and approved by a second officer (which issues
    the vouchers); counters CTR-A (HS-A), CTR-A1, CTR-A2 and CTR-B (HS-B), each with its own clerk."""
    officer = cast["officer-a"]
    program = make_program(name_en="Ration for counters", name_ko="배급소 식량")
    cycle = services.cycle_create(actor=officer, program=program, period_start=month_start(timezone.localdate()))
    services.cycle_generate(actor=officer, cycle=cycle)
    cycle = services.cycle_approve(actor=checker, cycle=Cycle.objects.get(pk=cycle.pk))
    cycle = services.cycle_distribute(actor=officer, cycle=Cycle.objects.get(pk=cycle.pk))
    area = {code: Area.objects.get(code=code) for code in ("HS-A", "HS-A1", "HS-A2", "HS-B")}

    def counter(code: str, office, where: str, name: str, actor: User) -> Counter:
        return counter_create(
            actor=actor, office=office, area=area[where], code=code, name_en=name, name_ko=f"{name} 배급소"
        )

    counters = {
        "a": counter("CTR-A", office_a, "HS-A", "Counter A", officer),
        "a1": counter("CTR-A1", office_a, "HS-A1", "Counter A1", officer),
        "a2": counter("CTR-A2", office_a, "HS-A2", "Counter A2", officer),
        "b": counter("CTR-B", office_b, "HS-B", "Counter B", cast["officer-b"]),
    }
    clerks = {
        key: _clerk(cast["officer-b"] if key == "b" else officer, item, f"ctr-clerk-{key}")
        for key, item in counters.items()
    }
    vouchers = list(
        Entitlement.objects.filter(cycle=cycle, unit=area["HS-A1"], eligible=True, quantity__gt=0)
        .select_related("voucher", "household", "unit")
        .order_by("household__number")
    )
    assert len(vouchers) >= 4, "the demo's unit A1 has enough entitled households"
    root_key_ensure()  # made on the first verification otherwise, which a test counting audit entries would see
    return Distribution(
        cycle=cycle,
        counter_a=counters["a"],
        counter_a1=counters["a1"],
        counter_a2=counters["a2"],
        counter_b=counters["b"],
        clerks=clerks,
        vouchers=vouchers,
    )


CAST = ["officer-a", "officer-b", "leader-a1", "resident-a1", "auditor", "admin"]


@pytest.fixture
def clients(distribution, bearer) -> dict:
    """Bearer-token clients of the cast and the counters' clerks, made before a test counts rows (making a token is
    audited)."""
    return {name: bearer(name) for name in [*CAST, *(user.username for user in distribution.clerks.values())]}


def tampered(text: str, offset: int = 40) -> str:
    """The voucher with one byte of its signed content changed (and validly re-encoded, so only the signature can
    tell)."""
    prefix, _, body = text.partition(":")
    raw = bytearray(base45.b45decode(body))
    if prefix.endswith("Z"):
        import zlib

        inner = bytearray(zlib.decompress(bytes(raw)))
        inner[offset] ^= 0x01
        return f"{prefix}:{base45.b45encode(zlib.compress(bytes(inner), 9)).decode()}"
    raw[offset] ^= 0x01
    return f"{prefix}:{base45.b45encode(bytes(raw)).decode()}"


@pytest.fixture
def forged(cast, office_b):
    """`forged(voucher_stamp)`: the same claims signed by office B's key, which does not govern district A's units."""

    def make(stamp: Stamp, **changes) -> str:
        with transaction.atomic():
            key = office_signing_key(actor=cast["officer-b"], office=office_b)
        key = SigningKey.objects.get(pk=key.pk)
        private = keyfiles.load_existing_key(key.key_name, expected_kid=key.kid)
        claims = stamp_claims(stamp)
        for name, value in changes.items():
            setattr(claims, name, value)
        return codec.encode_stamp(claims, private, bytes.fromhex(key.kid))

    return make


def rows() -> dict[str, int]:
    """Row counts of everything distribution writes, and the audit log's length."""
    return {
        "redemptions": Redemption.objects.count(),
        "redeemed": sum(Entitlement.objects.values_list("redeemed", flat=True)),
        "counters": Counter.objects.count(),
        "clerks": CounterClerk.objects.count(),
        "stamps": Stamp.objects.count(),
        "audit": AuditEntry.objects.count(),
        "settled": list(Redemption.objects.order_by("pk").values_list("pk", "status", "excess")),
    }
