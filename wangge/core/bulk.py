"""Bulk writes and reads for imports and sweeps: plain tuples through the database's bulk path
(executemany on SQLite, COPY on PostgreSQL), keys reserved beforehand, IN/ANY lookups without the ORM's
per-parameter cost. Measured on 100,000-row ledgers (docs in registry/importing.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
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


def insert_rows(model, columns, rows, *, ignore_conflicts: bool = False) -> None:
    """Rows of plain values into the model's table; with ignore_conflicts, rows whose unique key is taken
    are skipped (an INSERT … ON CONFLICT DO NOTHING a row, instead of COPY)."""
    from django.db import connection

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


# Values these column types take as they are: the field's own preparation would only check and return them
# (each column's get_db_prep_save was 40 % of taking reports in, measured). Only Django's own field classes:
# a subclass may prepare its values (the encrypted fields do). Anything else goes the ORM's way.
@cache
def _as_is() -> dict[type, tuple[type, ...]]:
    from django.db import models

    return {
        **dict.fromkeys([models.CharField, models.TextField, models.SlugField], (str,)),
        **dict.fromkeys(
            [
                models.IntegerField,
                models.BigIntegerField,
                models.SmallIntegerField,
                models.PositiveIntegerField,
                models.PositiveSmallIntegerField,
                models.PositiveBigIntegerField,
                models.AutoField,
                models.BigAutoField,
                models.SmallAutoField,
            ],
            (int,),
        ),  # fmt: skip
        models.FloatField: (float,),
        models.BooleanField: (bool,),
    }


@cache
def _column_plan(model: Any, vendor: str, with_pk: bool) -> tuple[tuple, ...]:
    """Per column: the field, its attribute, the value types passed as they are, whether its pre_save does
    something (auto_now, files), and whether it is a datetime the backend adapts."""
    from django.db.models import DateField, DateTimeField, Field, ForeignKey, OneToOneField

    plan = []
    for f in model._meta.concrete_fields:
        if f.primary_key and not with_pk:
            continue
        # a foreign key's value is its target's (a key of one of the above)
        target = type(f.target_field) if type(f) in (ForeignKey, OneToOneField) else type(f)
        as_is = _as_is().get(target, ())
        is_datetime = type(f) is DateTimeField
        if is_datetime and vendor == "postgresql":
            as_is = (datetime,)  # psycopg adapts aware datetimes itself (Django returns them unchanged)
        custom = type(f).pre_save is not Field.pre_save
        if type(f) in (DateField, DateTimeField) and not (f.auto_now or f.auto_now_add):
            custom = False  # DateField.pre_save only reads the attribute unless it stamps the time
        plan.append((f, f.attname, as_is, custom, is_datetime and vendor != "postgresql"))
    return tuple(plan)


def row_values(obj, connection, *, with_pk: bool = True) -> tuple:
    """The values an INSERT of this new instance sends, as `Field.get_db_prep_save(pre_save(...))` gives
    them, with the checks skipped for values that already are what the column takes."""
    adapt = connection.ops.adapt_datetimefield_value
    model: Any = type(obj)
    out = []
    for f, attname, as_is, custom, adapt_datetime in _column_plan(model, connection.vendor, with_pk):
        v = f.pre_save(obj, True) if custom else getattr(obj, attname)
        if v is None or type(v) in as_is:
            out.append(v)
        elif adapt_datetime and type(v) is datetime:
            out.append(adapt(v))
        else:
            out.append(f.get_db_prep_save(v, connection))
    return tuple(out)


_NOT_GIVEN = object()


@cache
def _construction_plan(model: Any) -> tuple[tuple[tuple, ...], bool]:
    from django.db.models import signals

    fields = tuple((f.attname, f.name if f.is_relation else None, f) for f in model._meta.concrete_fields)
    # a model something listens to while it is made (an image field's dimensions) goes through __init__
    plain = not (signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model))
    return fields, plain


def new(model, **values):
    """`model(**values)` for a new row, filled in as Django fills the rows it reads back: __init__'s
    descriptors and per-field lookups were a quarter of taking reports in (measured). Values go by field
    name (a related object, or None) or by attribute name (`grid_id`); the rest take their defaults."""
    from django.db.models.base import ModelState

    fields, plain = _construction_plan(model)
    args, related = {}, []
    for attname, name, f in fields:
        v = values.pop(attname, _NOT_GIVEN)
        if v is _NOT_GIVEN and name is not None and name in values:
            obj = values.pop(name)
            if obj is not None and not isinstance(obj, f.related_model):
                raise TypeError(f"{model.__name__}.{name} takes a {f.related_model.__name__}, not {obj!r}")
            related.append((f, obj))
            v = None if obj is None else getattr(obj, f.target_field.attname)
        if v is _NOT_GIVEN:
            v = f.get_default()
        args[attname] = v
    if values:
        raise TypeError(f"{model.__name__} has no field {', '.join(values)}")
    if plain:
        instance = model.__new__(model)
        instance._state = ModelState()
        instance.__dict__.update(args)
    else:
        instance = model(*args.values())
    for f, obj in related:
        f.set_cached_value(instance, obj)  # as the descriptor does: case.category needs no query
    return instance


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
    For the hot paths only (a report, a notification): no signals are sent, so not for audited models, and
    on PostgreSQL the statement does not pass Django's cursor wrapper (no query log, no execute_wrapper).
    Sets the primary key, unless a conflict was ignored."""
    from django.db import connections, router

    connection = connections[router.db_for_write(type(obj))]  # the wrapper itself, not the proxy
    model: Any = type(obj)
    sql, _fields = _insert_one_statement(model, connection.vendor, ignore_conflicts)
    values = row_values(obj, connection, with_pk=False)
    if connection.vendor == "postgresql":
        # Bound on the server: Django's cursor binds on the client, quoting every value into the text, which
        # cost a report's insert 40 of its 100 µs CPU (measured). Not prepared, as Django (poolers).
        import psycopg

        connection.ensure_connection()
        connection.validate_no_broken_transaction()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as raw:
            raw.execute(sql, values, prepare=False)
            if not ignore_conflicts:
                obj.pk = raw.fetchone()[0]  # type: ignore[index]  # RETURNING gives a row
    else:
        with connection.cursor() as cur:
            cur.execute(sql, values)
            if not ignore_conflicts:
                obj.pk = cur.fetchone()[0]
    obj._state.adding, obj._state.db = False, connection.alias


_sequences: dict[tuple[str, str], str] = {}  # (database alias, table): its key's sequence


def next_ids(model, n: int) -> list[int]:
    """n fresh primary keys drawn as a sequence draws them, for rows that others must point at before they
    are written: no one else is given them, whether or not the rows are ever written. PostgreSQL: from the
    table's sequence, without locking it. SQLite: by moving the table's AUTOINCREMENT counter on, in a
    write of its own, so that a batch's keys are drawn before its (longer) write transaction begins."""
    from django.db import connection, transaction

    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            sequence = _sequences.get((connection.alias, table))
            if sequence is None:  # looked up once: inside the draw, a catalogue lookup a key (measured)
                cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, model._meta.pk.column])
                sequence = _sequences[(connection.alias, table)] = cur.fetchone()[0]
            cur.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, n])
            return [r[0] for r in cur.fetchall()]
        with transaction.atomic():  # BEGIN IMMEDIATE (settings): read and move the counter as one
            start = reserve_ids(model, n)[0]
            cur.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [start + n - 1, table])
            if cur.rowcount == 0:  # a table that never had a row has no counter yet
                cur.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start + n - 1])
    return list(range(start, start + n))


@dataclass
class Prepared:
    """New instances of one model turned into rows, ready to be written by `write` (keys drawn, values
    prepared): the work done before a write transaction, so that SQLite's one writer waits less."""

    model: Any = None
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    objs: list = field(default_factory=list)
    ignore_conflicts: bool = False


def prepare(objs: list, *, ignore_conflicts: bool = False, draw_keys: bool = True) -> Prepared:
    """Rows for new instances of one model, as bulk_create would write them. Keys are drawn here for those
    without one (`next_ids`), so other rows can point at them; without draw_keys, or with ignore_conflicts,
    the database gives the keys and they are not read back (with ignore_conflicts a row may be skipped)."""
    from django.db import connections, router

    if not objs:
        return Prepared()
    model: Any = type(objs[0])
    connection = connections[router.db_for_write(model)]  # the wrapper: the proxy costs a call a field
    with_pk = draw_keys and not ignore_conflicts
    if with_pk:
        missing = [obj for obj in objs if obj.pk is None]
        for obj, pk in zip(missing, next_ids(model, len(missing)), strict=True):
            obj.pk = pk
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert_objects")  # keys of related rows
    rows = [row_values(obj, connection, with_pk=with_pk) for obj in objs]
    columns = [f.column for f, *_rest in _column_plan(model, connection.vendor, with_pk)]
    return Prepared(model, columns, rows, list(objs), ignore_conflicts)


def write(prepared: Prepared) -> None:
    """Write prepared rows through the bulk path (COPY on PostgreSQL, executemany on SQLite). No signals,
    as bulk_create."""
    from django.db import connections, router

    if not prepared.rows:
        return
    insert_rows(prepared.model, prepared.columns, prepared.rows, ignore_conflicts=prepared.ignore_conflicts)
    alias = connections[router.db_for_write(prepared.model)].alias
    for obj in prepared.objs:
        obj._state.adding, obj._state.db = False, alias


def insert_objects(objs: list, *, ignore_conflicts: bool = False) -> None:
    """New model instances of one model written as bulk_create writes them, but through the bulk path
    with keys drawn first: bulk_create's per-field compile and array quoting was half of taking 200
    reports in (measured)."""
    write(prepare(objs, ignore_conflicts=ignore_conflicts))
