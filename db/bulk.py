"""Inserts that every writer shares: the dialect's INSERT (with ON CONFLICT on both dialects), and
many rows into one guild's tables at the driver's speed, the plugin listener's hot path (and
into the global galaxy tables, the EDDN feed's).

Core works out every row's values in Python, column by column, and on SQLite that costs more
than SQLite takes to store the row. So on SQLite these inserts go to the DBAPI cursor: each
table's statement is built once from its metadata, and each value goes through its column's own
bind processor, so it is stored exactly as Core stores it (the same text for an instant, the
same JSON). On PostgreSQL they run the Core statement, except `insert_two`, whose one statement
of two inserts goes to the cursor on PostgreSQL the same way.

The cursor is beneath the tenant session's hooks (`db.database`), so where these functions use
it they stamp the session's guild on every row themselves and refuse a row of another guild, as
those hooks do. Columns with defaults are refused: a row must give every value it stores.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Table, func, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from db.database import check_guild
from db.types import UTCDateTime

INSTANTS_REMEMBERED = 4096  # converted instants kept per column (a batch repeats its tick's)

Processor = Callable[[Any], Any]


def table_of(model: type[Any]) -> Table:
    """A model's table (every model of ours maps exactly one)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def dialect_name(session: Session | AsyncSession) -> str:
    """The name of the session's database dialect: "sqlite" or "postgresql"."""
    return session.get_bind().dialect.name


def dialect_insert(dialect: str, target: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into a model or table for `dialect`, which supports ON CONFLICT (both do)."""
    if dialect == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert the rows into a tenant table in the session's transaction."""
    _insert_many(session, table, rows, tenant=True)


def insert_global_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert the rows into a global table (one without `guild_id`: the galaxy's) in the
    session's transaction, at the driver's speed as `insert_rows` does."""
    _insert_many(session, table, rows, tenant=False)


def _insert_many(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, tenant: bool
) -> None:
    if not rows:
        return
    if _dialect(session).name != "sqlite":
        session.execute(_core_insert(table), rows)
        return
    statement = _CursorInsert.of(table, _dialect(session), (), ())
    guild_id = _guild(session) if tenant else None
    values = [statement.values(row, guild_id) for row in rows]
    with _cursor(session, statement.sql) as cursor:
        cursor.executemany(statement.sql, values)


def insert_new(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    unique: tuple[str, ...],
    returning: tuple[str, ...],
) -> list[tuple[Any, ...]]:
    """Insert the rows that do not collide with a stored row on the `unique` columns (the rest
    are skipped); `returning`'s values of each row inserted, in no particular order."""
    if not rows:
        return []
    if _dialect(session).name != "sqlite":
        result = session.execute(_postgres_insert_new(table, unique, returning), rows)
        return [tuple(row) for row in result]
    statement = _CursorInsert.of(table, _dialect(session), unique, returning)
    guild_id = _guild(session)
    inserted = []
    with _cursor(session, statement.sql) as cursor:
        for row in rows:
            cursor.execute(statement.sql, statement.values(row, guild_id))
            values = cursor.fetchone()
            if values is not None:
                inserted.append(tuple(values))
    return inserted


def insert_two(
    session: Session,
    table: Table,
    row: Mapping[str, Any],
    other: Table,
    other_rows: Sequence[Mapping[str, Any]],
) -> int:
    """Insert `row` into tenant table `table` and `other_rows` into tenant table `other` in the
    session's transaction; returns the new row's id. On PostgreSQL one statement (a data-
    modifying CTE) through the cursor, so the second insert costs neither a round trip nor
    SQLAlchemy's work per statement; on SQLite two, the second at the driver's speed."""
    if _dialect(session).name == "sqlite" or not other_rows:
        new_id: int = session.execute(insert(table).returning(table.c.id), row).scalar_one()
        insert_rows(session, other, other_rows)
        return new_id
    first, second, sql = _postgres_insert_two(table, other, len(other_rows), _dialect(session))
    guild_id = _guild(session)
    values = first.values(row, guild_id)
    for other_row in other_rows:
        values += second.values(other_row, guild_id)[1:]  # all rows share $1, the guild
    with _cursor(session, sql) as cursor:
        cursor.execute(sql, values)
        return int(cursor.fetchone()[0])


def add_to(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    unique: tuple[str, ...],
    summed: tuple[str, ...],
    greatest: tuple[str, ...] = (),
) -> None:
    """Insert the rows, or where a stored row has the same `unique` columns, add the `summed`
    columns to it and keep the greater of the `greatest` ones (counters that only grow by
    what each transaction adds)."""
    if not rows:
        return
    if _dialect(session).name != "sqlite":
        session.execute(_postgres_add_to(table, unique, summed, greatest), rows)
        return
    updates = [f"{name} = {name} + excluded.{name}" for name in summed]
    updates += [f"{name} = max({name}, excluded.{name})" for name in greatest]
    statement = _CursorInsert.of(table, _dialect(session), (), (), (unique, tuple(updates)))
    guild_id = _guild(session)
    values = [statement.values(row, guild_id) for row in rows]
    with _cursor(session, statement.sql) as cursor:
        cursor.executemany(statement.sql, values)


@contextmanager
def _cursor(session: Session, sql: str) -> Iterator[Any]:
    """A DBAPI cursor of the session's connection; the driver's errors come out as
    SQLAlchemy's, as they do from Core (so a locked database is still `is_unavailable`)."""
    dialect = _dialect(session)
    cursor = session.connection().connection.cursor()
    try:
        yield cursor
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(
            sql, None, exc, dialect.loaded_dbapi.Error, dialect=dialect
        ) from exc
    finally:
        cursor.close()


def _dialect(session: Session) -> Dialect:
    return session.get_bind().dialect


def _guild(session: Session) -> int:
    guild_id: int = session.info["guild_id"]
    return guild_id


@dataclass(frozen=True, slots=True)
class _CursorInsert:
    """One table's INSERT for the driver's cursor: the SQLite statement, the row keys in the
    order of its parameters (after `guild_id` in a tenant table), and the dialect's bind
    processors of the columns that have one (by parameter index)."""

    sql: str
    keys: tuple[str, ...]
    processors: tuple[tuple[int, Processor], ...]
    tenant: bool

    @staticmethod
    @cache
    def of(
        table: Table,
        dialect: Dialect,
        unique: tuple[str, ...],
        returning: tuple[str, ...],
        update: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
    ) -> _CursorInsert:
        """The INSERT of `table`; with `unique`, rows that collide are skipped, or with
        `update` (conflict columns, SET clauses) updated."""
        numbered = table.autoincrement_column  # the database numbers it
        tenant = "guild_id" in table.c
        columns = [c for c in table.columns if c.name != "guild_id" and c is not numbered]
        for column in columns:
            if column.default is not None or column.server_default is not None:
                raise ValueError(f"{table.name}.{column.name} has a default: insert it with Core")
        first = ["guild_id"] if tenant else []
        names = ", ".join([*first, *(c.name for c in columns)])
        marks = ", ".join("?" * (len(columns) + len(first)))
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
        if unique:
            sql += f" ON CONFLICT ({', '.join(unique)}) DO NOTHING"
        if update is not None:
            sql += f" ON CONFLICT ({', '.join(update[0])}) DO UPDATE SET {', '.join(update[1])}"
        if returning:
            sql += f" RETURNING {', '.join(returning)}"
        processors = []
        for index, column in enumerate(columns, start=len(first)):
            process = column.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                if isinstance(column.type, UTCDateTime):
                    process = lru_cache(maxsize=INSTANTS_REMEMBERED)(process)
                processors.append((index, process))
        return _CursorInsert(sql, tuple(c.name for c in columns), tuple(processors), tenant)

    def values(self, row: Mapping[str, Any], guild_id: int | None) -> list[Any]:
        """The parameters of one row; `guild_id` is the session's (None for a global table)."""
        if not self.tenant:
            values = list(map(row.get, self.keys))
        else:
            assert guild_id is not None, "a tenant table's rows need the session's guild"
            check_guild(row, guild_id)
            values = [guild_id, *map(row.get, self.keys)]
        for index, process in self.processors:
            value = values[index]
            if value is not None:
                values[index] = process(value)
        return values


@cache
def _core_insert(table: Table) -> Any:
    return insert(table)


@cache
def _postgres_insert_new(table: Table, unique: tuple[str, ...], returning: tuple[str, ...]) -> Any:
    return (
        postgresql.insert(table)
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(*(table.c[name] for name in returning))
    )


@lru_cache(maxsize=64)
def _postgres_insert_two(
    table: Table, other: Table, rows: int, dialect: Dialect
) -> tuple[_CursorInsert, _CursorInsert, str]:
    """`insert_two`'s row layouts and SQL for `rows` other rows, `$1` the guild."""
    first = _CursorInsert.of(table, dialect, (), ())
    second = _CursorInsert.of(other, dialect, (), ())
    marks = itertools.count(2)
    own = ", ".join(f"${next(marks)}" for _ in first.keys)
    others = ", ".join(
        "($1, " + ", ".join(f"${next(marks)}" for _ in second.keys) + ")" for _ in range(rows)
    )
    sql = (
        f"WITH noted AS (INSERT INTO {other.name} (guild_id, {', '.join(second.keys)}) "
        f"VALUES {others}) "
        f"INSERT INTO {table.name} (guild_id, {', '.join(first.keys)}) VALUES ($1, {own}) "
        "RETURNING id"
    )
    return first, second, sql


@cache
def _postgres_add_to(
    table: Table, unique: tuple[str, ...], summed: tuple[str, ...], greatest: tuple[str, ...]
) -> Any:
    statement = postgresql.insert(table)
    updates = {name: table.c[name] + statement.excluded[name] for name in summed}
    updates |= {name: func.greatest(table.c[name], statement.excluded[name]) for name in greatest}
    return statement.on_conflict_do_update(index_elements=list(unique), set_=updates)
