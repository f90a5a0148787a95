"""`inminban stays purge`: the details of guests whose stays ended more than STAY_RETENTION_DAYS ago are gone from
every table of the database (the stays, the API's stored answers, the health checks of unregistered guests; the audit
never had them), the stays and their counts remain, the purge is one audit entry, and the audit log still verifies."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.audit.services import audit_verify
from inminban.health.models import HealthCheck
from inminban.registry import stays
from inminban.registry.models import Stay

from .stays_world import body_for, call, client_of, register, today

# ASCII, so that they read the same in every column type (JSON escapes other letters, bytea shows bytes as octal).
OLD_NAME, OLD_DOCUMENT = "Zqxvold Guestname", "ZQXOLD-771234"
OLD_ADDRESS, OLD_NOTE = "Zqxvold Street 9", "Zqxvold purpose note"
UNREGISTERED_NAME = "Zqxvunreg Guestname"
RECENT_NAME, RECENT_DOCUMENT = "Zqxvnew Guestname", "ZQXNEW-55"
SECRETS = [OLD_NAME, OLD_DOCUMENT, OLD_ADDRESS, OLD_NOTE, UNREGISTERED_NAME]


def _text_columns() -> list[tuple[str, str, str]]:
    """(table, column, SQL that reads the column as text) for every column of every table."""
    columns = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = %s",
                    [table],
                )
                for name, data_type in cursor.fetchall():
                    quoted = connection.ops.quote_name(name)
                    read = f"encode({quoted}, 'escape')" if data_type == "bytea" else f"CAST({quoted} AS text)"
                    columns.append((table, name, read))
            else:
                for column in connection.introspection.get_table_description(cursor, table):
                    quoted = connection.ops.quote_name(column.name)
                    columns.append((table, column.name, f"CAST({quoted} AS TEXT)"))
    return columns


def where_found(values: list[str]) -> dict[str, list[str]]:
    """For each value, the table.column pairs that hold it anywhere in the database."""
    found = {value: [] for value in values}
    with connection.cursor() as cursor:
        for table, column, read in _text_columns():
            for value in values:
                cursor.execute(
                    f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} WHERE {read} LIKE %s",  # noqa: S608
                    [f"%{value}%"],
                )
                if cursor.fetchone()[0]:
                    found[value].append(f"{table}.{column}")
    return found


@pytest.fixture
def old_and_recent(cast, household_a1, other_household_a1):
    """A stay that ended 35 days ago, registered, extended, ended and confirmed through the API with Idempotency-Keys
    (so that the API's stored answers hold the guest's details); a health check of an unregistered guest 40 days
    ago; and a stay of this week, which the purge must leave alone."""
    resident, leader = client_of(cast["resident-a1"]), client_of(cast["leader-a1"])
    body = body_for(
        household_a1,
        guest_name=OLD_NAME,
        document_number=OLD_DOCUMENT,
        origin_address=OLD_ADDRESS,
        origin_area="HS-B1",
        purpose_note=OLD_NOTE,
        purpose="trade",
        arrives_on=(today() - timedelta(days=40)).isoformat(),
        departs_on=(today() - timedelta(days=37)).isoformat(),
    )
    old = call(resident, "post", "/stays", body, **{"Idempotency-Key": "old-1"})
    assert old.status_code == 201, old.json()
    pk = old.json()["id"]
    later = (today() - timedelta(days=36)).isoformat()
    assert (
        call(resident, "patch", f"/stays/{pk}", {"departs_on": later}, **{"Idempotency-Key": "old-2"}).status_code
        == 200
    )
    ended = (today() - timedelta(days=35)).isoformat()
    assert (
        call(resident, "patch", f"/stays/{pk}", {"departed_on": ended}, **{"Idempotency-Key": "old-3"}).status_code
        == 200
    )
    assert call(leader, "post", f"/stays/{pk}/confirm", **{"Idempotency-Key": "old-4"}).status_code == 200
    HealthCheck.objects.create(
        unit=other_household_a1.unit,
        household=other_household_a1,
        subject=HealthCheck.Subject.UNREGISTERED_GUEST,
        guest_name=UNREGISTERED_NAME,
        checked_on=today() - timedelta(days=40),
        temperature_c=Decimal("36.6"),
        symptoms=False,
        recorded_by=cast["health-a"],
        recorded_at=timezone.now(),
    )
    recent = register(cast["resident-a1"], household_a1, guest_name=RECENT_NAME, document_number=RECENT_DOCUMENT)
    return {"old": Stay.objects.get(pk=pk), "recent": recent}


def test_after_the_purge_no_table_holds_the_guests_names_and_the_audit_verifies(cast, old_and_recent):
    before = where_found(SECRETS)
    # Where they were: the stay, the API's stored answers, the health check; never the audit log.
    assert "registry_stay.guest_name" in before[OLD_NAME]
    assert "api_idempotencyrecord.body" in before[OLD_NAME]
    assert "health_healthcheck.guest_name" in before[UNREGISTERED_NAME]
    assert not [where for places in before.values() for where in places if where.startswith("audit_")]
    entries = AuditEntry.objects.count()

    out = StringIO()
    call_command("stays", "purge", stdout=out)
    assert out.getvalue().startswith("1 stays that ended before")

    assert where_found(SECRETS) == {value: [] for value in SECRETS}
    # The recent stay is untouched.
    assert where_found([RECENT_NAME, RECENT_DOCUMENT]) == {
        RECENT_NAME: ["registry_stay.guest_name"],
        RECENT_DOCUMENT: ["registry_stay.document_number"],
    }
    # The stay remains for the counts, with its dates, unit, origin area and purpose.
    old = Stay.objects.get(pk=old_and_recent["old"].pk)
    assert (old.guest_name, old.document_number, old.origin_address, old.purpose_note) == ("", "", "", "")
    assert old.purged_at is not None and old.origin_area.code == "HS-B1" and old.purpose == "trade"
    assert old.confirmed_at is not None and old.hosts.count() == 1
    assert Stay.objects.count() == 2
    # One audit entry: how many and until when; the chain verifies.
    added = list(AuditEntry.objects.order_by("seq")[entries:])
    assert [entry.action for entry in added] == ["stays.purge"]
    cutoff = (today() - timedelta(days=30)).isoformat()
    assert added[0].after == {"cutoff": cutoff, "stays": 1, "other_records": added[0].after["other_records"]}
    assert added[0].after["other_records"] >= 2  # the health check and the stored answers
    assert audit_verify().ok

    # The API says it was purged, to everyone.
    for username in ("resident-a1", "leader-a1", "officer-a"):
        body = call(client_of(cast[username]), "get", f"/stays/{old.pk}").json()
        assert body["purged"] is True and body["guest_name"] == body["document_number"] == ""
        assert body["origin_area"] == "HS-B1" and body["may_change"] is False
    # Purged stays take no more changes.
    refused = call(client_of(cast["leader-a1"]), "patch", f"/stays/{old.pk}", {"departs_on": cutoff})
    assert refused.status_code == 422 and "stay" in refused.json()["fields"]

    # Again: nothing more to purge, no entry.
    assert stays.stays_purge() == 0
    assert AuditEntry.objects.count() == entries + 1


def test_purging_as_on_a_later_day_takes_the_recent_stays_too(cast, old_and_recent):
    later = today() + timedelta(days=60)
    out = StringIO()
    call_command("stays", "purge", "--today", later.isoformat(), stdout=out)
    assert out.getvalue().startswith("2 stays")
    assert where_found(SECRETS + [RECENT_NAME, RECENT_DOCUMENT]) == {
        value: [] for value in SECRETS + [RECENT_NAME, RECENT_DOCUMENT]
    }
    assert audit_verify().ok


def test_a_stay_still_within_its_retention_is_kept(cast, household_a1):
    ended = today() - timedelta(days=30)  # COALESCE(...) + 30 == today: not yet
    stay = register(cast["resident-a1"], household_a1, arrives_on=ended - timedelta(days=1), departs_on=ended)
    assert stays.stays_purge() == 0
    stay.refresh_from_db()
    assert stay.guest_name and stay.purged_at is None
    assert stays.stays_purge(today=today() + timedelta(days=1)) == 1


def test_the_purge_hooks_are_registered(db):
    from inminban.api.idempotency import guest_answers_purge
    from inminban.health.services import guest_names_purge

    assert guest_answers_purge in stays.STAY_PURGE_HOOKS
    assert guest_names_purge in stays.STAY_PURGE_HOOKS


def test_only_an_administrator_purges_from_a_service_call(cast):
    from inminban.common.errors import NotPermitted

    with pytest.raises(NotPermitted):
        stays.stays_purge(actor=cast["officer-a"])
    assert stays.stays_purge(actor=cast["admin"]) == 0


def test_a_bad_day_is_refused_by_the_command(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("stays", "purge", "--today", "12/01/2026")
