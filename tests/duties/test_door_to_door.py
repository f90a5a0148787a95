"""Door-to-door acknowledgement on the directive page: one card per household in a fixed order, a tap answered with
the household's card alone (for duties/door.js) or a redirect to the card's anchor (without it), and a mistaken tap
undone within INMINBAN_ACK_UNDO_MINUTES, audited as a correction of its own."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.duties.models import DirectiveAcknowledgement
from inminban.registry.models import Household

SCRIPT = {"HTTP_X_REQUESTED_WITH": "fetch"}


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


@pytest.fixture
def directive(make_directive, unit_a1):
    return make_directive(unit_a1)


@pytest.fixture
def households(unit_a1):
    return list(Household.objects.filter(unit=unit_a1, dissolved_on__isnull=True).order_by("number"))


def _page(directive) -> str:
    return f"/directives/{directive.pk}/?unit=HS-A1"


def _acknowledge(client, directive, household, **extra):
    data = {"household": household.pk, "next": _page(directive)}
    return client.post(f"/directives/{directive.pk}/acknowledge/", data, **extra)


def _undo(client, ack, reason="Tapped by mistake", **extra):
    return client.post(f"/acknowledgements/{ack.pk}/undo/", {"reason": reason, "next": "/day/"}, **extra)


def _card_order(html: str) -> list[str]:
    return re.findall(r'id="(household-\d+)" data-door-card', html)


def test_one_card_per_household_in_number_order_that_stays_after_a_tap(client_for, directive, households):
    client = client_for("leader-a1")
    before = client.get(_page(directive))
    assert before.status_code == 200
    order = _card_order(before.content.decode())
    assert order == [f"household-{household.pk}" for household in households]

    # The last household acknowledges: it does not move to the end or the top of the list.
    assert _acknowledge(client, directive, households[-1]).status_code == 302
    assert _acknowledge(client, directive, households[1]).status_code == 302
    after = client.get(_page(directive)).content.decode()
    assert _card_order(after) == order
    assert "door.js" in after and 'nonce="' in after


def test_acknowledge_without_script_comes_back_to_the_card_with_its_confirmation(client_for, directive, households):
    client = client_for("leader-a1")
    household = households[2]
    entries = AuditEntry.objects.count()
    response = _acknowledge(client, directive, household)
    assert response.status_code == 302
    assert response["Location"] == f"{_page(directive)}#household-{household.pk}"
    ack = DirectiveAcknowledgement.objects.get(directive=directive, household=household)
    assert ack.channel == "leader"
    assert AuditEntry.objects.count() == entries + 1
    assert AuditEntry.objects.order_by("-seq").first().action == "directive.acknowledge"

    html = client.get(response["Location"]).content.decode()
    card = html[html.index(f'id="household-{household.pk}"') :]
    card = card[: card.index("</li>")]
    assert f"Household {household.number} acknowledged the directive." in card
    assert "Undo (until" in card


def test_acknowledge_from_the_script_answers_the_card_alone(client_for, directive, households):
    client = client_for("leader-a1")
    household = households[0]
    response = _acknowledge(client, directive, household, **SCRIPT)
    assert response.status_code == 200
    assert response["X-Door-Card"] == "1"
    html = response.content.decode()
    assert _card_order(html) == [f"household-{household.pk}"]
    assert "acknowledged" in html and "Undo (until" in html
    assert f"{len(households) - 1} households have not acknowledged yet." in html
    assert "<html" not in html  # a fragment, not a page
    assert DirectiveAcknowledgement.objects.filter(directive=directive, household=household).exists()


def test_undo_within_the_window_takes_the_tap_back_and_is_audited_as_a_correction(client_for, directive, households):
    client = client_for("leader-a1")
    household = households[1]
    _acknowledge(client, directive, household)
    ack = DirectiveAcknowledgement.objects.get(directive=directive, household=household)
    entries = AuditEntry.objects.count()

    response = _undo(client, ack, **SCRIPT)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Undone: household {household.number} has not acknowledged the directive." in html
    assert ">Acknowledge</button>" in html  # the card offers the tap again
    assert not DirectiveAcknowledgement.objects.filter(pk=ack.pk).exists()
    assert AuditEntry.objects.count() == entries + 1
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "directive.acknowledge_undo"
    assert entry.after == {"reason": "Tapped by mistake"}
    assert entry.before["household"] == household.pk and entry.before["directive"] == directive.pk
    assert entry.household_id == household.pk and entry.actor.username == "leader-a1"

    # The household can then be acknowledged again.
    assert _acknowledge(client, directive, household).status_code == 302
    assert DirectiveAcknowledgement.objects.filter(directive=directive, household=household).count() == 1


def test_undo_without_script_redirects_to_the_card(client_for, directive, households):
    client = client_for("leader-a1")
    household = households[0]
    _acknowledge(client, directive, household)
    ack = DirectiveAcknowledgement.objects.get(directive=directive, household=household)
    response = client.post(
        f"/acknowledgements/{ack.pk}/undo/", {"reason": "Tapped by mistake", "next": _page(directive)}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#household-{household.pk}")
    assert not DirectiveAcknowledgement.objects.filter(pk=ack.pk).exists()


def test_undo_after_the_window_is_refused(client_for, directive, households, nothing_written):
    client = client_for("leader-a1")
    _acknowledge(client, directive, households[0])
    ack = DirectiveAcknowledgement.objects.get(directive=directive, household=households[0])
    DirectiveAcknowledgement.objects.filter(pk=ack.pk).update(
        acknowledged_at=timezone.now() - timedelta(minutes=5, seconds=5)
    )
    page = client.get(_page(directive)).content.decode()
    assert "Undo (until" not in page  # no button once the window has passed
    with nothing_written():
        response = _undo(client, ack, **SCRIPT)
        assert response.status_code == 422
        assert "An acknowledgement can be undone only within 5 minutes of the tap." in response.content.decode()
        plain = _undo(client, ack)
        assert plain.status_code == 302
    assert "only within 5 minutes" in client.get(plain["Location"]).content.decode()


def test_the_window_is_a_setting(client_for, directive, households, settings, nothing_written):
    settings.ACK_UNDO_MINUTES = 1
    client = client_for("leader-a1")
    _acknowledge(client, directive, households[0])
    ack = DirectiveAcknowledgement.objects.get(directive=directive, household=households[0])
    DirectiveAcknowledgement.objects.filter(pk=ack.pk).update(acknowledged_at=timezone.now() - timedelta(minutes=2))
    with nothing_written():
        response = _undo(client, ack, **SCRIPT)
    assert response.status_code == 422
    assert "only within 1 minutes" in response.content.decode()


def test_undo_in_korean(client_for, directive, households, nothing_written):
    client = client_for("leader-a1")
    _acknowledge(client, directive, households[0])
    ack = DirectiveAcknowledgement.objects.get(directive=directive, household=households[0])
    DirectiveAcknowledgement.objects.filter(pk=ack.pk).update(acknowledged_at=timezone.now() - timedelta(hours=1))
    with nothing_written():
        response = _undo(client, ack, HTTP_ACCEPT_LANGUAGE="ko", **SCRIPT)
    assert response.status_code == 422
    assert "5분 안에만 취소할수 있습니다" in response.content.decode()


def test_undo_by_another_units_leader_is_refused(client_for, directive, households, nothing_written):
    _acknowledge(client_for("leader-a1"), directive, households[0])
    ack = DirectiveAcknowledgement.objects.get(directive=directive, household=households[0])
    with nothing_written():
        assert _undo(client_for("leader-b1"), ack).status_code == 404
        assert _undo(client_for("leader-b1"), ack, **SCRIPT).status_code == 404
        assert _undo(client_for("auditor"), ack, **SCRIPT).status_code == 403
        assert _undo(client_for(None), ack).status_code == 302  # to the login page
    assert DirectiveAcknowledgement.objects.filter(pk=ack.pk).exists()


def test_only_whoever_tapped_may_undo(client_for, directive, households, nothing_written):
    """The officer may change the unit, but the leader's tap is the leader's to take back."""
    _acknowledge(client_for("leader-a1"), directive, households[0])
    ack = DirectiveAcknowledgement.objects.get(directive=directive, household=households[0])
    with nothing_written():
        response = _undo(client_for("officer-a"), ack, **SCRIPT)
    assert response.status_code == 422
    assert "Only whoever recorded an acknowledgement can take it back." in response.content.decode()


def test_undo_after_the_stamp_is_refused(client_for, directive, households, nothing_written):
    client = client_for("leader-a1")
    _acknowledge(client, directive, households[0])
    ack = DirectiveAcknowledgement.objects.get(directive=directive, household=households[0])
    confirmed = client.post(f"/acknowledgements/{ack.pk}/confirm/", {"next": _page(directive)})
    assert confirmed.status_code == 302 and confirmed["Location"].startswith("/stamps/")
    with nothing_written():
        response = _undo(client, ack, **SCRIPT)
    assert response.status_code == 422
    assert "it can no longer be undone" in response.content.decode()


def test_undo_needs_a_reason(client_for, directive, households, nothing_written):
    client = client_for("leader-a1")
    _acknowledge(client, directive, households[0])
    ack = DirectiveAcknowledgement.objects.get(directive=directive, household=households[0])
    with nothing_written():
        for reason in ("", "   ", "x" * 201):
            response = _undo(client, ack, reason=reason, **SCRIPT)
            assert response.status_code == 422
    assert DirectiveAcknowledgement.objects.filter(pk=ack.pk).exists()


def test_bad_input_is_an_error_and_writes_nothing(client_for, directive, households, make_directive, unit_a1, unit_b1):
    client = client_for("leader-a1")
    _acknowledge(client, directive, households[0])
    other_unit = Household.objects.filter(unit=unit_b1).first()
    informational = make_directive(unit_a1, requires_ack=False, due_on=None)
    before = (DirectiveAcknowledgement.objects.count(), AuditEntry.objects.count())

    for value in ("", "abc", "-1", "99999999999999999999", str(other_unit.pk)):
        response = client.post(
            f"/directives/{directive.pk}/acknowledge/", {"household": value, "next": _page(directive)}, **SCRIPT
        )
        assert response.status_code == 404, value
    assert client.post(f"/directives/{directive.pk}/acknowledge/", {"next": _page(directive)}).status_code == 404
    assert client.get(f"/directives/{directive.pk}/acknowledge/").status_code == 405

    twice = _acknowledge(client, directive, households[0], **SCRIPT)
    assert twice.status_code == 422
    assert f"Household {households[0].number} has already acknowledged this directive." in twice.content.decode()

    not_asked = _acknowledge(client, informational, households[1], **SCRIPT)
    assert not_asked.status_code == 422
    assert "This directive does not ask for acknowledgement." in not_asked.content.decode()

    assert client.post("/acknowledgements/abc/undo/", {"reason": "x"}).status_code == 404
    assert client.post("/acknowledgements/999999/undo/", {"reason": "x"}).status_code == 404
    assert (DirectiveAcknowledgement.objects.count(), AuditEntry.objects.count()) == before


def test_a_foreign_next_is_not_followed(client_for, directive, households):
    client = client_for("leader-a1")
    response = client.post(
        f"/directives/{directive.pk}/acknowledge/", {"household": households[0].pk, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{_page(directive)}#household-{households[0].pk}"
