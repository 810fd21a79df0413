"""Markdown to safe HTML: markdown-it-py renders, nh3 (ammonia) keeps only harmless tags.

Raw HTML in the source is allowed through the renderer on purpose, so that nh3 can
remove it (a <script> disappears with its content) instead of showing it as text.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).disable("image")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "a", "hr",
}
_HEADING = re.compile(r"<(/?)h[12]>")


def render(source: str) -> str:
    """Markdown source → sanitized HTML. Headings start at level 3 (the page owns 1 and 2)."""
    html = _md.render(source or "")
    html = _HEADING.sub(r"<\1h3>", html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    ).strip()


def text_of(html: str) -> str:
    """The visible text of sanitized HTML (to tell whether anything is left)."""
    return nh3.clean(html, tags=set()).strip()
