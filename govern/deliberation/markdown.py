"""Markdown in comments: the budgeting sanitizer renders it (markdown-it-py, then nh3),
and this module adds what a comment needs on top: refusing script-like text with a
clear message, and telling whether anything is left to show.
"""

from __future__ import annotations

import re

from markupsafe import Markup

from ..budgeting.markdown import render as _render
from ..budgeting.markdown import text_of

#: What looks like an attempt to run code in the reader's browser. The sanitizer would remove it;
#: we refuse it instead, so that the writer knows why their text would not appear as written.
SCRIPT_LIKE = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|style|svg|math|form|base|meta|link)\b"
    r"|<[^>]*\son[a-z]+\s*="
    r"|\]\(\s*<?\s*(javascript|vbscript|data)\s*:"
    r"|<\s*(javascript|vbscript|data)\s*:",
    re.IGNORECASE,
)


def render(text: str) -> Markup:
    """Markdown → sanitized HTML, safe to put into a page."""
    return Markup(_render(text or ""))


def looks_like_script(text: str) -> bool:
    return bool(SCRIPT_LIKE.search(text or ""))


def is_empty(html: str) -> bool:
    """True when sanitized HTML shows no words at all (only tags, spaces or a rule)."""
    return not text_of(str(html)).replace("&nbsp;", "").strip()
