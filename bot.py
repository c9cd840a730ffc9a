"""BGS Warden: the entry point.

python bot.py              start (listener-only when DISCORD_TOKEN is not set)
python bot.py migrate      apply migrations to every configured database
python bot.py --help       every operator subcommand

The command line is `warden.cli`; the process's parts are in `warden/`.
"""

import sys

from warden.cli import main

if __name__ == "__main__":
    sys.exit(main())
