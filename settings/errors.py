"""The configuration's one error."""

from __future__ import annotations


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix."""
