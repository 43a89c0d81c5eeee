"""The few statements every command runs, as plain parameterised SQL.

Every command locks its case row, reads the chain's head, inserts its events and
projects them. Through the ORM, building each of those queries cost more CPU than
the database took to run it (docs/benchmarks.md, command throughput: 2.6 ms of Python per
`note_add`, about 0.6 ms of it for the locked read alone). The SQL here is built once
per shape from the models' own fields, and values go through the fields' own
`get_db_prep_*` methods, so column names, JSON, dates and UUIDs are stored exactly as
the ORM would store them, on SQLite and PostgreSQL alike. Everything else uses the ORM.

ruff's S608 (SQL built from strings) is silenced below where the only interpolated text
is table and column names from model metadata, quoted by the backend; every value is a
parameter.
"""

import functools
from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model


def _db():
    # Once per statement: each use of the `connection` proxy is a thread-local lookup.
    return connections[DEFAULT_DB_ALIAS]


def _field(model: type[Model], name: str):
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


@functools.cache
def _insert_sql(model: type[Model], rows: int, vendor: str) -> tuple[str, tuple]:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    # The auto-incremented key is the database's to assign, as in Model.save().
    fields = tuple(f for f in model._meta.concrete_fields if f is not model._meta.auto_field)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(f.column) for f in fields)}) VALUES {', '.join([row] * rows)}"
    )
    if model._meta.auto_field:
        # The assigned keys, in the order of the rows (SQLite 3.35+ and PostgreSQL).
        sql += f" RETURNING {quote(model._meta.auto_field.column)}"
    return sql, fields


def insert(instances: Sequence[Model]) -> None:
    """INSERT `instances` (unsaved, all of one model) in one statement, and set their
    auto-incremented keys. Field defaults come from the instances themselves
    (`Model(**fields)` applies them)."""
    db = _db()
    sql, fields = _insert_sql(type(instances[0]), len(instances), db.vendor)
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), db)
        for instance in instances
        for field in fields
    ]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        if type(instances[0])._meta.auto_field:
            for instance, (key,) in zip(instances, cursor.fetchall(), strict=True):
                instance.pk = key
                instance._state.adding = False


@functools.cache
def _where_sql(model: type[Model], names: tuple[str, ...], vendor: str) -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    return " AND ".join(f"{quote(_field(model, name).column)} = %s" for name in names)


def _where_params(model: type[Model], key: dict[str, Any], db) -> list:
    return [_field(model, name).get_db_prep_value(value, db) for name, value in key.items()]


@functools.cache
def _update_sql(
    model: type[Model], names: tuple[str, ...], keys: tuple[str, ...], vendor: str
) -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    assignments = ", ".join(f"{quote(_field(model, name).column)} = %s" for name in names)
    return (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {_where_sql(model, keys, vendor)}"
    )


def update(model: type[Model], key: dict[str, Any], values: dict[str, Any]) -> int:
    """UPDATE the rows matching `key` (field names or "pk", equality only) with `values`
    (plain values, no expressions). Returns the number of rows changed."""
    db = _db()
    sql = _update_sql(model, tuple(values), tuple(key), db.vendor)
    params = [_field(model, name).get_db_prep_save(value, db) for name, value in values.items()]
    with db.cursor() as cursor:
        cursor.execute(sql, params + _where_params(model, key, db))
        return cursor.rowcount


@functools.cache
def _select_sql(
    model: type[Model], columns: tuple[str, ...], keys: tuple[str, ...], lock: bool, vendor: str
) -> tuple[str, tuple]:
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    fields = tuple(_field(model, name) for name in columns)
    sql = (
        f"SELECT {', '.join(quote(f.column) for f in fields)} "  # noqa: S608
        f"FROM {quote(model._meta.db_table)} WHERE {_where_sql(model, keys, vendor)}"
    )
    if lock and db.features.has_select_for_update:
        sql += " FOR UPDATE"
    # The converters the ORM's compiler applies, in its order: the backend's, then the
    # field's own (UUIDs kept as text on SQLite, JSON decoded, ...).
    converters = []
    for field in fields:
        column = field.get_col(model._meta.db_table)
        converters.append((column, db.ops.get_db_converters(column) + column.get_db_converters(db)))
    return sql, tuple(converters)


def select_one(
    model: type[Model], columns: tuple[str, ...], key: dict[str, Any], *, lock: bool = False
) -> tuple | None:
    """One row's `columns` (field names), converted to Python values as the ORM would,
    or None. With `lock`, the row stays locked (FOR UPDATE) until the transaction ends,
    where the database has row locks (SQLite serialises writers anyway)."""
    db = _db()
    sql, converters = _select_sql(model, columns, tuple(key), lock, db.vendor)
    with db.cursor() as cursor:
        cursor.execute(sql, _where_params(model, key, db))
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for value, (column, convert_all) in zip(row, converters, strict=True):
        for convert in convert_all:
            value = convert(value, column, db)
        values.append(value)
    return tuple(values)
