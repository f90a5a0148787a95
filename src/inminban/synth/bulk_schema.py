"""Taking a bulk load's tables out of their indexes and constraints, and putting them back exactly as they were.

Writing millions of rows into a table is several times faster without its indexes (PostgreSQL maintains each one row
by row, and writes a WAL record for every entry; a build afterwards sorts once and writes whole pages) and without
its foreign keys (Django's are DEFERRABLE INITIALLY DEFERRED: PostgreSQL queues one check per row and runs them one
by one at commit, where re-adding the constraint validates the whole table with one join).

The definitions are read from the catalog before anything is dropped (`pg_get_indexdef`, `pg_get_constraintdef`;
on SQLite the `sql` of `sqlite_master`), and the very same text is executed to restore them, inside the load's
transaction: the schema after a load is the one the migrations made, and a failed load rolls back the drops too.
On PostgreSQL that covers primary keys and unique constraints as well, and the foreign keys of other tables that
point at the loaded ones (a primary key cannot be dropped under them). SQLite keeps its primary keys, the unique
constraints written into CREATE TABLE and its foreign keys (it checks them with an index lookup per row, cheaply);
only its CREATE INDEX indexes go.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction


@dataclass
class Definition:
    """One index or constraint: where it is, its name, what kind, and the statement that recreates it."""

    table: str
    name: str
    kind: str  # "primary", "unique", "index", "foreign"
    create: str
    rows: int = 0  # rows of its table when captured, for progress weights


@dataclass
class Detached:
    """The definitions taken off a load's tables, in the order they are restored."""

    definitions: list[Definition] = field(default_factory=list)

    def restore(
        self, on_done: Callable[[Definition, float], None] | None = None, *, foreign_keys_later: bool = False
    ) -> list[tuple[str, str]]:
        """Recreate everything: primary keys and unique constraints, then the other indexes, then foreign keys
        (which validate against the restored primary keys). With `foreign_keys_later` (PostgreSQL), foreign keys
        come back NOT VALID: enforced for every row written from now on, while the rows just loaded are checked by
        `validate_constraints` afterwards (without blocking reads or writes). Returns those (table, name) pairs."""
        later = []
        with connection.cursor() as cursor:
            _run_pending_checks(cursor)
            for definition in self.definitions:
                began = time.perf_counter()
                if foreign_keys_later and definition.kind == "foreign" and connection.vendor == "postgresql":
                    cursor.execute(definition.create + " NOT VALID")
                    later.append((definition.table, definition.name))
                else:
                    cursor.execute(definition.create)
                if on_done is not None:
                    on_done(definition, time.perf_counter() - began)
        return later


def validate_constraints(constraints: list[tuple[str, str]], progress: Callable[[int, int, str], None]) -> int:
    """Check the rows of each NOT VALID constraint (PostgreSQL's VALIDATE CONSTRAINT takes a lock that lets reads and
    writes go on), each in its own transaction, skipping those already valid (so an interrupted run resumes).
    Returns how many were validated now; a row that breaks one raises, and the constraint stays NOT VALID."""
    validated = 0
    for index, (table, name) in enumerate(constraints, 1):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT convalidated FROM pg_constraint WHERE conrelid = %s::regclass AND conname = %s", [table, name]
            )
            row = cursor.fetchone()
            if row is not None and not row[0]:
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute(f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"')
                validated += 1
        progress(index, len(constraints), f"{table}: {name}")
    return validated


RESTORE_ORDER = {"primary": 0, "unique": 1, "index": 2, "foreign": 3}


def _run_pending_checks(cursor) -> None:
    """PostgreSQL refuses to add or drop a foreign key on a table with deferred checks still queued (rows this
    transaction wrote into it, such as new areas): run them now instead of at commit."""
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _postgres_definitions(tables: list[str]) -> list[Definition]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE (c.conrelid = ANY(%(tables)s::regclass[]) AND c.contype IN ('p', 'u', 'f'))
               OR (c.confrelid = ANY(%(tables)s::regclass[]) AND c.contype = 'f')
            ORDER BY 1, 2
            """,
            {"tables": tables},
        )
        kinds = {"p": "primary", "u": "unique", "f": "foreign"}
        found = [
            Definition(table, name, kinds[kind], f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for table, name, kind, definition in cursor.fetchall()
        ]
        # Indexes that back no constraint (those come back with their constraint).
        cursor.execute(
            """
            SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%(tables)s::regclass[])
              AND NOT EXISTS (
                  SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
            ORDER BY 1, 2
            """,
            {"tables": tables},
        )
        found += [Definition(table, name, "index", definition) for table, name, definition in cursor.fetchall()]
    return found


def _sqlite_definitions(tables: list[str]) -> list[Definition]:
    with connection.cursor() as cursor:
        placeholders = ", ".join(["%s"] * len(tables))
        cursor.execute(
            f"SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({placeholders}) ORDER BY tbl_name, name",
            tables,
        )
        return [Definition(table, name, "index", sql) for table, name, sql in cursor.fetchall()]


def detach(tables: list[str]) -> Detached:
    """Drop the indexes and constraints of `tables` (see the module's docstring for which), returning how to put them
    back. Must run inside the load's transaction; on PostgreSQL it holds ACCESS EXCLUSIVE locks on `tables` and on
    the tables whose foreign keys point at them until the commit."""
    if connection.vendor == "postgresql":
        definitions = _postgres_definitions(tables)
    else:
        definitions = _sqlite_definitions(tables)
    rows = {}
    with connection.cursor() as cursor:
        _run_pending_checks(cursor)
        for table in {definition.table for definition in definitions}:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
            else:
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            rows[table] = max(0, cursor.fetchone()[0])
        # Foreign keys first: they depend on the unique indexes they reference.
        for definition in sorted(definitions, key=lambda item: -RESTORE_ORDER[item.kind]):
            definition.rows = rows[definition.table]
            if definition.kind == "index":
                # PostgreSQL's name is `regclass` text, already quoted where it needs to be.
                name = definition.name if connection.vendor == "postgresql" else f'"{definition.name}"'
                cursor.execute(f"DROP INDEX {name}")
            else:
                cursor.execute(f'ALTER TABLE {definition.table} DROP CONSTRAINT "{definition.name}"')
    return Detached(sorted(definitions, key=lambda item: (RESTORE_ORDER[item.kind], item.table, item.name)))


def schema_snapshot(tables: list[str]) -> list[tuple]:
    """Every index and constraint on `tables` (and foreign keys pointing at them) with its full definition and
    flags, sorted: two snapshots are equal exactly when the schema is the same."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                """
                SELECT 'index', tablename, indexname, indexdef, '' FROM pg_indexes
                WHERE schemaname = current_schema() AND tablename = ANY(%(names)s)
                UNION ALL
                SELECT 'constraint', c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid),
                    concat_ws(',', c.contype, c.condeferrable, c.condeferred, c.convalidated, c.confrelid::regclass)
                FROM pg_constraint c
                WHERE c.conrelid = ANY(%(tables)s::regclass[]) OR c.confrelid = ANY(%(tables)s::regclass[])
                ORDER BY 1, 2, 3
                """,
                {"tables": tables, "names": tables},
            )
        else:
            placeholders = ", ".join(["%s"] * len(tables))
            cursor.execute(
                f"SELECT type, tbl_name, name, COALESCE(sql, '') FROM sqlite_master "
                f"WHERE tbl_name IN ({placeholders}) ORDER BY 1, 2, 3",
                tables,
            )
        return [tuple(row) for row in cursor.fetchall()]
