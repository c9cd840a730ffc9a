"""The domain's one "leave this field as it is" value, for edit functions whose fields may also be
cleared with None."""

from __future__ import annotations

import enum
from typing import Final, Literal, TypeAlias


class Unchanged(enum.Enum):
    UNCHANGED = "unchanged"


UNCHANGED: Final = Unchanged.UNCHANGED

Keep: TypeAlias = Literal[Unchanged.UNCHANGED]
"""The type of UNCHANGED, for parameters: `title: str | Keep = UNCHANGED`."""
