"""Bulk writes and reads for imports of thousands of rows (everything else writes through the ORM):
plain tuples through the database's bulk path (executemany on SQLite, COPY on PostgreSQL), keys reserved
beforehand, IN/ANY lookups without the ORM's per-parameter cost. Measured on 100,000-row ledgers (docs in
registry/importing.py)."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

SEPARATOR = "\x1f"  # ASCII unit separator (values holding it are sent as a list instead)


def rows_where_in(model, column: str, values, select: tuple[str, ...]) -> list[tuple]:
    """The rows whose column holds one of these values, as plain tuples of the selected columns (raw SQL:
    the ORM spent 0.4 s building IN-lists for 33,000 household numbers, measured)."""

    q = connection.ops.quote_name
    table, name = q(model._meta.db_table), q(column)
    names = ", ".join(q(c) for c in select)
    values = list(values)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            if all(type(v) is str and SEPARATOR not in v for v in values):
                # one text parameter split by the server: psycopg spent 0.1 s per 100,000 strings
                # quoting a list parameter item by item (measured)
                sql = f"SELECT {names} FROM {table} WHERE {name} = ANY(string_to_array(%s, %s))"
                cur.execute(sql, [SEPARATOR.join(values), SEPARATOR])
            else:
                cur.execute(f"SELECT {names} FROM {table} WHERE {name} = ANY(%s)", [values])
            return cur.fetchall()
        # One JSON parameter joined against the column's index: half the time of IN-lists of 900 (the
        # parameter limit) for 100,000 ID indexes (measured). Values are distinct, so a join adds no rows.
        columns = ", ".join(f"t.{q(c)}" for c in select)
        cur.execute(
            f"SELECT {columns} FROM json_each(%s) AS j JOIN {table} AS t ON t.{name} = j.value",
            [json.dumps(list(dict.fromkeys(values)))],
        )
        return cur.fetchall()


def insert_rows(model, columns, rows, *, ignore_conflicts: bool = False) -> None:
    """Rows of plain values into the model's table; with ignore_conflicts, rows whose unique key is taken
    are skipped (an INSERT … ON CONFLICT DO NOTHING a row, instead of COPY)."""

    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)  # "end" is a keyword in PostgreSQL
    with connection.cursor() as cur, connection.wrap_database_errors:  # Django's IntegrityError for COPY too
        if ignore_conflicts:
            marks = ", ".join(["%s"] * len(columns))
            cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows)
            return
        if connection.vendor == "postgresql":
            # COPY: PostgreSQL's bulk path (executemany sends a statement per row).
            with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        for i in range(0, len(rows), 5000):
            cur.executemany(sql, rows[i : i + 5000])


def insert_records(model, records: list[dict]) -> None:
    """Rows named column by column ({column: value}, every record with the same columns) into the model's
    table, by `insert_rows`: adding a column is one edit where the record is built."""
    if records:
        columns = tuple(records[0])
        # every record comes from one dict literal, so its values are in the columns' order: tuple(values)
        # runs in C (picking them by name cost 0.6 s for 100,000 persons of 29 columns, measured)
        if __debug__ and tuple(records[-1]) != columns:
            raise ValueError("records name different columns")
        insert_rows(model, columns, [tuple(r.values()) for r in records])


def reserve_ids(model, n: int) -> list[int]:
    """n primary keys for rows about to be inserted raw, so that rows can point at each other without
    reading ids back. Must run inside the import's transaction (SQLite: under its write lock)."""

    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # Other writers of this table wait until the import commits (their INSERT needs a lock this
            # one excludes), so one jump of the sequence reserves a block no one else can draw from.
            cur.execute(f"LOCK TABLE {connection.ops.quote_name(table)} IN SHARE ROW EXCLUSIVE MODE")
            cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cur.fetchone()[0]
            cur.execute("SELECT setval(%s, nextval(%s) + %s)", [sequence, sequence, n - 1])
            last = cur.fetchone()[0]
            return list(range(last - n + 1, last + 1))
        # Atomic blocks on SQLite begin IMMEDIATE (settings): no other writer until this one commits.
        # AUTOINCREMENT never reuses a key: start past both the highest row and the highest ever issued.
        cur.execute(
            f"SELECT MAX(COALESCE((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 0), "
            "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        start = cur.fetchone()[0] + 1
    return list(range(start, start + n))


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a bulk job builds its rows: they hold no reference
    cycles, yet every few hundred new lists and dicts the collector walks the ever older ones again
    (measured: 0.55 s of a 2.7 s check of 100,000 ledger rows). Whatever is garbage is collected as usual
    once the job is done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
