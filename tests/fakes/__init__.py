"""Fakes of external services that the real code runs against on loopback."""
