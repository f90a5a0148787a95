"""What the generator tests share: a private keys directory per test (the generator writes an office key file per
district), and the counts that must not move when a load fails."""

import pytest

from inminban.areas.models import Area, Office
from inminban.audit.models import AuditEntry
from inminban.duties.models import Campaign
from inminban.registry.models import Dwelling, Household, Membership, Occupation, Person, Residence
from inminban.stamps.models import SigningKey, Stamp

COUNTED = (Area, Office, Dwelling, Household, Residence, Person, Membership, Occupation, Stamp, SigningKey, Campaign)


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    path = tmp_path / "keys"
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(path))
    return path


def database_counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in COUNTED}
    counts["AuditEntry"] = AuditEntry.objects.count()
    return counts
