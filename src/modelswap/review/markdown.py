"""A small, safe Markdown renderer for model answers, which are untrusted text.

Everything is HTML-escaped first; only then are a few Markdown forms turned into tags this module
writes itself: fenced code blocks, headings, bullet and numbered lists, paragraphs, **bold**,
*italic* and `code`. No attribute is ever emitted, links stay text (their URL shown, never an
``href``), and raw HTML in the answer shows as the characters it is made of.
"""

from __future__ import annotations

import html
import re

MAX_CHARS = 100_000
"""Characters of an answer rendered; the rest is cut with a marker."""

_INLINE = (
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*\n]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])"), r"<em>\1</em>"),
)
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,9}[.)]\s+(.*)$")


def _inline(escaped: str) -> str:
    for pattern, replacement in _INLINE:
        escaped = pattern.sub(replacement, escaped)
    return escaped


def render_markdown(text: str) -> str:
    """Escaped HTML for ``text`` read as Markdown; safe to insert into a page as it is."""
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS] + "\n\n[… cut: the answer is longer than the review page shows]"
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""
    code: list[str] | None = None

    def flush() -> None:
        nonlocal list_tag
        if paragraph:
            out.append("<p>" + "<br>".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if items:
            out.append(f"<{list_tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{list_tag}>")
            items.clear()
            list_tag = ""

    for raw in text.split("\n"):
        line = html.escape(raw, quote=True)
        if raw.strip().startswith("```"):
            if code is None:
                flush()
                code = []
            else:
                out.append("<pre><code>" + "\n".join(code) + "</code></pre>")
                code = None
            continue
        if code is not None:
            code.append(line)
            continue
        if not raw.strip():
            flush()
        elif m := _HEADING.match(line):
            flush()
            level = min(len(m.group(1)) + 2, 6)
            out.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
        elif (m := _BULLET.match(line)) or (m := _NUMBERED.match(line)):
            tag = "ul" if _BULLET.match(line) else "ol"
            if paragraph or (list_tag and list_tag != tag):
                flush()
            list_tag = tag
            items.append(m.group(1))
        else:
            if items:
                flush()
            paragraph.append(line)
    if code is not None:
        out.append("<pre><code>" + "\n".join(code) + "</code></pre>")
    flush()
    return "".join(out)
