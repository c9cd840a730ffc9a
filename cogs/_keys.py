"""What to do with a new BGS-Tally key: shared by `/apikey create` and `/connect`."""

from __future__ import annotations

from bgs.listener_address import ListenerAddress


def paste_steps(address: ListenerAddress) -> list[str]:
    """The steps to paste a key into BGS-Tally, or, when members cannot reach the listener,
    what the operator must fix first."""
    if address.problem is not None:
        return [
            f"⚠️ {address.problem}",
            "Keep the key meanwhile: once that is done, `/status` shows the URL to paste with it "
            "into BGS-Tally (EDMC → File → Settings → BGS-Tally → API).",
        ]
    return [
        f"1. In EDMC: **File → Settings → BGS-Tally → API**: server URL `{address.url}`, "
        "API key: the key above.",
        "2. Click **Establish Connection**, check the events it asks for, then **I Approve**.",
    ]
