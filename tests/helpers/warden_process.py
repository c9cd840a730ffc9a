"""Run `bot.py` in a subprocess against the loopback fake Discord, for multi-process tests.

    python -m tests.helpers.warden_process --api URL --gateway URL --name NAME \
        [--no-after-ingest] -- ARGS...

runs `warden.cli.main(ARGS)` (the real command line: `discord --shards 0 --shard-count 2`,
`listen`, ...) with discord.py pointed at the fake (the two class attributes testing.md names)
and its User-Agent ending in `process/NAME`, so the fake can tell which process posted.
`--no-after-ingest` stands for a listener that dies between answering a batch and its
after-ingest run: it answers, and never runs the work (the test then kills it).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import discord
import yarl

from bgs.alerts import AfterIngest
from warden.cli import main


def _patch(api: str, gateway: str, name: str) -> None:
    discord.http.Route.BASE = api
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    setup = discord.http.HTTPClient.__init__

    def labelled(self: discord.http.HTTPClient, *args: Any, **kwargs: Any) -> None:
        setup(self, *args, **kwargs)
        self.user_agent += f" process/{name}"

    discord.http.HTTPClient.__init__ = labelled  # type: ignore[method-assign]


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True, help="the fake Discord's REST base URL")
    parser.add_argument("--gateway", required=True, help="the fake Discord's gateway URL")
    parser.add_argument("--name", required=True)
    parser.add_argument("--no-after-ingest", action="store_true")
    split = argv.index("--")
    options = parser.parse_args(argv[:split])
    _patch(options.api, options.gateway, options.name)
    if options.no_after_ingest:
        AfterIngest.stored = lambda self, guild_id, result: None  # type: ignore[method-assign]
    return main(argv[split + 1 :])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
