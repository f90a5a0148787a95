"""What the stamp tests share: a private keys directory per test, a stamp-issuing helper, trust documents."""

import json
from datetime import date

import pytest
from django.test import Client

from inminban.audit.models import AuditEntry
from inminban.registry.models import Household
from inminban.stamps import documents, services
from inminban.stamps.models import SigningKey, Stamp
from inminban.stamps.verify import Verifier

API = "/api/v1"


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    """Key files of each test live in its own directory, never in the repository or the shared data directory."""
    path = tmp_path / "keys"
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(path))
    return path


@pytest.fixture
def household_a1(unit_a1) -> Household:
    return Household.objects.filter(unit=unit_a1).order_by("number").first()


@pytest.fixture
def household_b1(unit_b1) -> Household:
    return Household.objects.filter(unit=unit_b1).order_by("number").first()


def stamp_args(household, **changes) -> dict:
    return {
        "household": household,
        "duty_kind": "labour",
        "duty_ref": "campaign:12/share:40",
        "duty_title": "Street cleaning",
        "quantity": 8,
        "measure": "hours",
        "period_start": date(2026, 3, 1),
        "period_end": date(2026, 3, 31),
    } | changes


@pytest.fixture
def issue(cast):
    """Issue a stamp through the service: `issue(household, actor="leader-a1", **changes)`."""

    def make(household, actor: str = "leader-a1", **changes) -> Stamp:
        return services.stamp_issue(actor=cast[actor], **stamp_args(household, **changes))

    return make


def live_verifier() -> Verifier:
    """A verifier fed with freshly built documents, as an offline verifier would be after an export."""
    return Verifier(
        trust_list=documents.trust_list_document(),
        status_lists=documents.status_list_documents(),
        root_public_key=documents.root_public_key(),
    )


def call(client: Client, method: str, path: str, body=None):
    kwargs = {}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method.lower())(API + path, **kwargs)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Stamp, SigningKey, AuditEntry)}


@pytest.fixture
def unchanged(db):
    """Asserts, after a bad-input test, that no stamp, key or audit entry was written."""
    before = counts()
    revoked = Stamp.objects.filter(revoked_at__isnull=False).count()
    yield
    assert counts() == before
    assert Stamp.objects.filter(revoked_at__isnull=False).count() == revoked
