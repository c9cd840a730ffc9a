"""`plain`: names from the plugin are shown as written, never as Discord markup."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cogs._ui import plain


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Test System Alpha", "Test System Alpha"),
        ("[click](https://evil.example)", "\\[click\\](https://evil.example)"),
        ("[a](b)[c](d)", "\\[a\\](b)\\[c\\](d)"),
        ("Col 285 Sector AB-C d14-5", "Col 285 Sector AB\\-C d14\\-5"),
        (
            "CMDR *bold* _it_ ~~x~~ `c` ||s||",
            "CMDR \\*bold\\* \\_it\\_ \\~\\~x\\~\\~ \\`c\\` \\|\\|s\\|\\|",
        ),
        ("> quoted", "\\> quoted"),
        ("@everyone", "@\u200beveryone"),
        ("<@123456> <@&55> <#7> <t:1:R>", "\\<@123456\\> \\<@&55\\> \\<\\#7\\> \\<t:1:R\\>"),
        ("# big", "\\# big"),
        ("back\\slash", "back\\\\slash"),
    ],
)
def test_plain(name: str, shown: str) -> None:
    assert plain(name) == shown


# What Discord shows: a backslash before ASCII punctuation shows that character; the zero-width
# space `plain` puts after `@` is invisible.
ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
MARKUP = re.compile(r"[*_~|`<]|@(everyone|here)|\[[^\]]*\]\(")
FRAGMENTS = st.sampled_from(
    [
        "[click](https://example.com)",
        "*",
        "**",
        "_",
        "__",
        "~~",
        "||",
        "`",
        "```",
        "@everyone",
        "@here",
        "<@123>",
        "<@&5>",
        "<#7>",
        "<t:1:R>",
        "$x^2$",
        "> ",
        "# ",
        "-# ",
        "- ",
        "\\",
        "https://example.com",
        "[",
        "](",
        ")",
    ]
)
NAMES = st.lists(FRAGMENTS | st.text(max_size=6), max_size=8).map("".join)


def shown(raw: str) -> str:
    return ESCAPED.sub(r"\1", raw).replace("@\u200b", "@")


@settings(max_examples=500, deadline=None)
@given(NAMES.filter(lambda name: "\u200b" not in name))
def test_plain_shows_any_name_as_written(name: str) -> None:
    """Whatever a plugin sends as a name, Discord shows it character for character, and no
    markup (emphasis, spoiler, code, mention, tag, masked link) is left live in it."""
    rendered = plain(name)
    assert shown(rendered) == name
    live = ESCAPED.sub("", rendered)
    assert MARKUP.search(live) is None, live
