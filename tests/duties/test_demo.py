"""The demo duties: built through the services on the demo city, idempotent, audit chain intact."""

import pytest

from inminban.audit.services import audit_verify
from inminban.duties import selectors
from inminban.duties.models import Campaign, Delivery, Directive, Levy, Share, Waiver
from inminban.stamps.models import Stamp
from inminban.synth.demo_duties import DEMO_DIRECTIVE_TITLE, build_demo_duties


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


def test_demo_has_a_directive_campaigns_a_levy_and_stamps(cast, nothing_written):
    stamps_before = Stamp.objects.count()
    built = build_demo_duties(cast)  # False when the demo city already came with its duties

    directive = Directive.objects.get(title_en=DEMO_DIRECTIVE_TITLE)
    progress = selectors.directive_progress(actor=cast["officer-a"], directive=directive)
    assert 0 < progress["acknowledged"] < progress["total"]
    assert progress["confirmed"] >= 1

    finished = Campaign.objects.get(title_en="Street cleaning")
    assert selectors.obligation_status(finished) == "finished"
    owed = Share.objects.filter(quota__campaign=finished, quantity__gt=0)
    assert owed.exists() and not owed.filter(stamp_serial="").exists()

    running = Campaign.objects.get(title_en="Gravel for the greenhouse")
    assert selectors.obligation_status(running) == "running"
    assert 0 < selectors.obligation_progress(actor=cast["officer-a"], obligation=running)["percent"] < 100
    assert running.sessions.count() == 4

    levy = Levy.objects.get(title_en="Rice for the army")
    deliveries = Delivery.objects.filter(share__quota__levy=levy)
    assert deliveries.count() >= 3
    partial = Share.objects.filter(quota__levy=levy, done__gt=0, confirmed_at__isnull=True)
    assert any(not share.fulfilled for share in partial)
    assert Waiver.objects.filter(status="pending").exists()
    assert Stamp.objects.count() > (stamps_before if built else 0) + owed.count()
    assert audit_verify().ok

    with nothing_written():
        assert build_demo_duties(cast) is False
