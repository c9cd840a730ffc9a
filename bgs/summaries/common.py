"""What every summary shares: the period filter and small SQL helpers."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    cast,
    false,
    func,
    literal_column,
)
from sqlalchemy.orm import InstrumentedAttribute

from bgs.periods import Period

Column = ColumnElement[Any] | InstrumentedAttribute[Any]


def period_filter(period: Period, timestamp: Column, tickid: Column) -> list[ColumnElement[bool]]:
    """Conditions selecting a period's rows: by tick id for tick periods, else by time."""
    if period.by_tick:
        return [tickid == period.tick.tickid] if period.tick is not None else [false()]
    bounds = []
    if period.start is not None:
        bounds.append(timestamp >= period.start)
    if period.end is not None:
        bounds.append(timestamp < period.end)
    return bounds


def column_total(expression: Any) -> ColumnElement[int]:
    """Σ expression as a 64-bit integer, 0 when there are no rows (PostgreSQL would say
    numeric and NULL)."""
    return cast(func.coalesce(func.sum(expression), 0), BigInteger)


ZERO: ColumnElement[int] = literal_column("0", BigInteger)


def add_fields(left: Any, right: Any) -> dict[str, Any]:
    return {f.name: getattr(left, f.name) + getattr(right, f.name) for f in fields(left)}
