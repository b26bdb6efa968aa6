"""Bulk writes and reads for imports and sweeps: plain tuples through the database's bulk path
(executemany on SQLite, COPY on PostgreSQL), keys reserved beforehand, IN/ANY lookups without the ORM's
per-parameter cost. Measured on 100,000-row ledgers (docs in registry/importing.py)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

SEPARATOR = "\x1f"  # ASCII unit separator (values holding it are sent as a list instead)


def rows_where_in(model, column: str, values, select: tuple[str, ...]) -> list[tuple]:
    """The rows whose column holds one of these values, as plain tuples of the selected columns (raw SQL:
    the ORM spent 0.4 s building IN-lists for 33,000 household numbers, measured)."""
    from django.db import connection

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


def insert_rows(model, columns, rows) -> None:
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)  # "end" is a keyword in PostgreSQL
    with connection.cursor() as cur, connection.wrap_database_errors:  # Django's IntegrityError for COPY too
        if connection.vendor == "postgresql":
            # COPY: PostgreSQL's bulk path (executemany sends a statement per row).
            with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        for i in range(0, len(rows), 5000):
            cur.executemany(sql, rows[i : i + 5000])


def reserve_ids(model, n: int) -> list[int]:
    """n primary keys for rows about to be inserted raw, so that rows can point at each other without
    reading ids back. Must run inside the import's transaction (SQLite: under its write lock)."""
    from django.db import connection

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


@cache
def _insert_one_statement(model: Any, vendor: str, ignore_conflicts: bool) -> tuple[str, tuple]:
    from django.db import connection

    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    q = connection.ops.quote_name
    columns = ", ".join(q(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {q(model._meta.db_table)} ({columns}) VALUES ({marks})"
    if ignore_conflicts:
        return sql + " ON CONFLICT DO NOTHING", fields
    return sql + f" RETURNING {q(model._meta.pk.column)}", fields


def insert_one(obj, *, ignore_conflicts: bool = False) -> None:
    """Insert one new row as `save(force_insert=True)` (or bulk_create's ignore_conflicts) writes it, with a
    statement built once per model: the ORM's per-call set-up cost 0.34 ms CPU a row, this 0.14 (measured).
    For the hot paths only (a report, a notification): no signals are sent, so not for audited models.
    Sets the primary key, unless a conflict was ignored."""
    from django.db import connections, router

    connection = connections[router.db_for_write(type(obj))]  # the wrapper itself, not the proxy
    model: Any = type(obj)
    sql, fields = _insert_one_statement(model, connection.vendor, ignore_conflicts)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cur:
        cur.execute(sql, values)
        if not ignore_conflicts:
            obj.pk = cur.fetchone()[0]
    obj._state.adding, obj._state.db = False, connection.alias


def next_ids(model, n: int) -> list[int]:
    """n fresh primary keys drawn without locking the table (PostgreSQL: from its sequence; SQLite: under
    the caller's write lock), for rows that others must point at before they are written."""
    from django.db import connection

    if n == 0:
        return []
    if connection.vendor != "postgresql":
        return reserve_ids(model, n)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, n],
        )
        return [r[0] for r in cur.fetchall()]


def insert_objects(objs: list) -> None:
    """New model instances of one model written as bulk_create writes them, but through the bulk path
    (COPY on PostgreSQL, executemany on SQLite) with keys drawn first: bulk_create's per-field compile
    and array quoting was half of taking 200 reports in (measured). No signals, as bulk_create."""
    from django.db import connections, router

    if not objs:
        return
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]  # the wrapper: the proxy costs a call a field
    fields = model._meta.concrete_fields
    for obj, pk in zip(objs, next_ids(model, len(objs)), strict=True):
        obj._prepare_related_fields_for_save(operation_name="insert_objects")  # keys of related rows
        obj.pk = pk
    rows = [tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields) for obj in objs]
    insert_rows(model, [f.column for f in fields], rows)
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
