"""A large load takes its tables out of their indexes and constraints and puts back exactly what the migrations made:
the same names and definitions (PostgreSQL: pg_indexes and pg_constraint, with deferrability and validation;
SQLite: sqlite_master)."""

from inminban.synth.bulk import LOADED_MODELS, generate_city
from inminban.synth.bulk_schema import detach, schema_snapshot

TABLES = [model._meta.db_table for model in LOADED_MODELS]


def test_indexes_and_constraints_are_the_same_before_and_after_a_rebuilding_load(db):
    before = schema_snapshot(TABLES)
    assert any("registry_person" in row for row in before)
    result = generate_city(households=400, city="SY", rebuild_indexes=True)
    assert result.rebuilt_indexes
    assert schema_snapshot(TABLES) == before


def test_detach_takes_the_indexes_off_and_restore_puts_them_back(db):
    before = schema_snapshot(TABLES)
    detached = detach(TABLES)
    after_detach = schema_snapshot(TABLES)
    assert len(after_detach) < len(before)
    names = {definition.name.strip('"') for definition in detached.definitions}
    assert "membership_household_idx" in names and "one_open_membership" in names
    detached.restore()
    assert schema_snapshot(TABLES) == before


def test_a_small_load_keeps_the_indexes(db):
    before = schema_snapshot(TABLES)
    result = generate_city(households=40, city="SY")
    assert not result.rebuilt_indexes
    assert schema_snapshot(TABLES) == before


def test_the_published_columns_are_the_ones_the_sql_writes():
    from datetime import date

    from inminban.synth.bulk import COLUMNS
    from inminban.synth.bulk_sql import Bases, CampaignPlan, CitySQL, PostgresDialect
    from inminban.synth.names import WORKPLACES

    sql = CitySQL(
        dialect=PostgresDialect(1),
        code="SY",
        bases=Bases(),
        reference_date=date(2026, 1, 1),
        registry_start=date(2015, 3, 1),
        workplaces=WORKPLACES,
        campaigns=[CampaignPlan(1, 90, "campaign:1", "x", "4", "person_hours", date(2025, 1, 1), date(2025, 1, 2))],
        unit_level_id=1,
        unit_depth=4,
        district_width=2,
        unit_width=2,
    )
    tables = sql.household_pass("0", "1", with_head=True, issued_at="", issued_by_id=1).tables
    tables += sql.member_pass("0", "1").tables
    written = {rows.table: tuple(rows.columns) for rows in tables}
    for model, columns in COLUMNS.items():
        assert written[model._meta.db_table] == columns
