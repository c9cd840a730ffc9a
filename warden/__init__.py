"""The process: the services that run with or without Discord, the Discord bot, the run modes and
the command line that `bot.py` starts."""
