"""Warden processes for multi-process tests: `bot.py` roles as real subprocesses against the
loopback fake Discord (see `tests.helpers.warden_process`), on one database."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.fake_discord import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class WardenProcess:
    """One `bot.py` process; its output goes to `log`."""

    name: str
    args: Sequence[str]
    env: Mapping[str, str]
    log: Path
    wrapper: Sequence[str] = ()
    process: asyncio.subprocess.Process | None = field(default=None, init=False)
    earlier: str = field(default="", init=False)  # the output of the runs before this one

    async def start(self, fake: FakeDiscord) -> None:
        command = [
            sys.executable,
            "-m",
            "tests.helpers.warden_process",
            "--api",
            fake.base_url,
            "--gateway",
            fake.gateway_url,
            "--name",
            self.name,
            *self.wrapper,
            "--",
            *self.args,
        ]
        self.earlier += self.output()
        with self.log.open("w", encoding="utf-8") as output:
            self.process = await asyncio.create_subprocess_exec(
                *command, cwd=ROOT, env={**os.environ, **self.env}, stderr=output, stdout=output
            )

    def output(self) -> str:
        """What the current run (or the last one) wrote."""
        return self.log.read_text(encoding="utf-8") if self.log.exists() else ""

    async def kill(self) -> None:
        """kill -9: no chance to finish anything."""
        await self._stop(signal.SIGKILL)

    async def stop(self) -> None:
        """SIGTERM: a clean shutdown."""
        await self._stop(signal.SIGTERM)

    async def _stop(self, signum: int) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signum)
            await asyncio.wait_for(self.process.wait(), 30)
        self.process = None


async def until(
    check: Callable[[], bool | Awaitable[bool]], what: str, within: float = 60.0
) -> None:
    """Wait until `check()` (sync or async) is true; fail naming `what`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        outcome = check()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if loop.time() > deadline:
            raise AssertionError(f"not within {within:g} s: {what}")
        await asyncio.sleep(0.1)
