"""`plain`: names from the plugin are shown as written, never as Discord markup."""

from __future__ import annotations

import pytest

from cogs._ui import plain


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Test System Alpha", "Test System Alpha"),
        ("[click](https://evil.example)", "\\[click](https://evil.example)"),
        (
            "CMDR *bold* _it_ ~~x~~ `c` ||s||",
            "CMDR \\*bold\\* \\_it\\_ \\~\\~x\\~\\~ \\`c\\` \\|\\|s\\|\\|",
        ),
        ("> quoted", "\\> quoted"),
        ("@everyone", "@\u200beveryone"),
        ("<@123456> <@&55> <#7> <t:1:R>", "\\<@123456> \\<@&55> \\<#7> \\<t:1:R>"),
    ],
)
def test_plain(name: str, shown: str) -> None:
    assert plain(name) == shown
