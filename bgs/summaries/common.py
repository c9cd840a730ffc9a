"""What every summary shares: small SQL helpers (the period filter is `bgs.rollups.buckets`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    cast,
    func,
    literal_column,
)


def column_total(expression: Any) -> ColumnElement[int]:
    """Σ expression as a 64-bit integer, 0 when there are no rows (PostgreSQL would say
    numeric and NULL)."""
    return cast(func.coalesce(func.sum(expression), 0), BigInteger)


ZERO: ColumnElement[int] = literal_column("0", BigInteger)


def add_fields(left: Any, right: Any) -> dict[str, Any]:
    return {f.name: getattr(left, f.name) + getattr(right, f.name) for f in fields(left)}


def sum_of(columns: Iterable[Any]) -> ColumnElement[int]:
    """column + column + … of some columns (one row's)."""
    terms = list(columns)
    total: ColumnElement[int] = terms[0]
    for term in terms[1:]:
        total = total + term
    return total
