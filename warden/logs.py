"""Logging, configured once per process."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str) -> None:
    """Configure the root logger once (a second call changes nothing)."""
    root = logging.getLogger()
    if root.handlers:
        return
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("discord").setLevel(max(logging.INFO, root.level))
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
