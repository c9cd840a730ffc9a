"""Parsing the values of command options that Discord passes as text: ids chosen from
autocomplete, and dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from cogs._errors import UserError

ID_DIGITS: Final = 18  # a longer "id" cannot be a database id (BIGINT)
DATE_FORMAT: Final = "%Y-%m-%d"
DATE_TIME_FORMAT: Final = "%Y-%m-%d %H:%M"
DATE_FORMS: Final = "YYYY-MM-DD or YYYY-MM-DD HH:MM (UTC)"


def id_of(value: str) -> int | None:
    text = value.strip().removeprefix("#")
    if text.isascii() and text.isdigit() and len(text) <= ID_DIGITS:
        return int(text)
    return None


def parse_id(value: str, what: str) -> int:
    """The id an autocomplete choice carries; anything else is refused with what to do."""
    found = id_of(value)
    if found is None:
        raise UserError(
            f"Pick the {what} from the list that appears as you type; “{value}” is not one."
        )
    return found


def parse_instant(value: str, what: str, *, end_of_day: bool = False) -> datetime:
    """`YYYY-MM-DD HH:MM` or `YYYY-MM-DD` (UTC); a bare end date means the end of that day."""
    text = value.strip()
    for fmt in (DATE_TIME_FORMAT, DATE_FORMAT):
        try:
            parsed = datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        if fmt == DATE_FORMAT and end_of_day:
            parsed += timedelta(days=1, seconds=-1)
        return parsed
    raise UserError(
        f"“{value}” is not a {what} I can read: use {DATE_FORMS}, e.g. 2026-11-20 or "
        "2026-11-20 18:00. Nothing was changed."
    )


def describe_changes(changes: dict[str, Any]) -> str:
    return ", ".join(f"{field} {value!r}" for field, value in changes.items())
