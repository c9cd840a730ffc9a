"""The domain's one "leave this field as it is" value, for edit functions whose fields may also be
cleared with None; and `assign_given`, for settings functions where None means "as it is"."""

from __future__ import annotations

import enum
from typing import Any, Final, Literal, TypeAlias


class Unchanged(enum.Enum):
    UNCHANGED = "unchanged"


UNCHANGED: Final = Unchanged.UNCHANGED

Keep: TypeAlias = Literal[Unchanged.UNCHANGED]
"""The type of UNCHANGED, for parameters: `title: str | Keep = UNCHANGED`."""


def assign_given(target: object, **values: Any) -> None:
    """Set each attribute of `target` whose new value is given (None leaves it as it is)."""
    for name, value in values.items():
        if value is not None:
            setattr(target, name, value)
