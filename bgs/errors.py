"""The domain's expected failures."""

from __future__ import annotations


class DomainError(Exception):
    """An expected failure whose message is written for the user (shown as-is in Discord)."""
