"""Article text: whatever a source holds (HTML or text) made into clean plain text.

Every text field of every source is read as HTML (unless it has no tag or character reference
at all: then it is plain text, and "x<y" stays "x<y"), passed through the same safelist
sanitizer as show notes (:func:`warcast.notes.sanitize_html`, so scripts and styles vanish with
their content) and flattened to plain text (:func:`warcast.notes.plain_text`). Control
characters and bidirectional overrides are removed first; membership prompts and sharing lines
that sites put inside the article are dropped from bodies. Nothing here returns HTML.
"""

from __future__ import annotations

import html
import re
import unicodedata

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
"""C0 (except tab and newline), DEL, C1, bidi embeddings/overrides/isolates and stray BOMs."""

_HTML_HINT = re.compile(
    r"<(?:!--|/?(?:a|abbr|address|article|aside|audio|b|base|blockquote|body|br|button|caption"
    r"|cite|code|dd|del|details|div|dl|dt|em|embed|figcaption|figure|font|footer|form|h[1-6]"
    r"|head|header|hr|html|i|iframe|img|input|ins|li|link|main|mark|meta|nav|noscript|object"
    r"|ol|p|picture|pre|q|s|script|section|select|small|source|span|strong|style|sub|summary"
    r"|sup|svg|table|tbody|td|template|textarea|tfoot|th|thead|time|title|tr|u|ul|video)\b)"
    r"|&(?:#[0-9]+|#x[0-9a-f]+|[a-z][a-z0-9]+);",
    re.IGNORECASE,
)
"""A tag, comment or character reference: text without any is plain text, not HTML."""

_TABLE = re.compile(r"<(/?)(table|thead|tbody|tfoot|caption|tr|td|th)\b", re.IGNORECASE)
_CELLS = {"td": "span", "th": "span"}
"""Tables become divs (rows) and spans (cells) first: HTML parsers move anything else found
between table tags out of the table, which would run all the rows together."""
_BLOCK = re.compile(
    r"</?(?:address|article|aside|dd|details|div|dl|dt|figcaption|figure|footer|h1|h5|h6"
    r"|header|main|nav|section|summary)\b",
    re.IGNORECASE,
)
"""Block tags the sanitizer drops (keeping their text): a line break keeps blocks apart."""

_READ_MORE = re.compile(r"\s*\b(read more|continue reading)\b.*$", re.IGNORECASE)
"""The link WordPress excerpts end with."""

FURNITURE_LINES = tuple(re.compile(pattern, re.IGNORECASE) for pattern in (
    r"\bbecome an? (paying |paid )?(member|subscriber)\b",
    r"\balready an? (paying |paid )?(member|subscriber)\b",
    r"\b(subscribe|sign up|join|log ?in|sign ?in) (now |today )?to (read|continue|unlock|keep)\b",
    r"\bthis (article|analysis|story|post|piece|content) is (only )?(for|available to) "
    r"(paying |paid )?(members|subscribers)\b",
    r"\b(sign up|subscribe) (for|to) (our|the) .*newsletter\b",
    r"^share( this( article| story| post| analysis)?)?:?( on)?"
    r"( (twitter|x|facebook|linkedin|bluesky|mastodon|reddit|whatsapp|e-?mail|print)\b.*)?$",
    r"^the post .+ appeared first on .+$",
))
"""Lines that are site furniture, not article text: membership prompts, newsletter and share
boxes, WordPress's "The post … appeared first on …" footer. Matched only on short lines."""

FURNITURE_MAX_CHARS = 200
"""A longer line is prose that merely mentions membership or newsletters: it is kept."""


def remove_controls(text: str) -> str:
    """Text without control characters (newlines and tabs kept), line ends as ``\\n``, NFC."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


def html_lines(fragment: str) -> list[str]:
    """The non-empty lines of plain text in an HTML fragment (or plain text), one per block."""
    from warcast.notes import plain_text, sanitize_html

    fragment = remove_controls(fragment)
    if not _HTML_HINT.search(fragment):  # plain text: "x<y" is not a tag
        fragment = html.escape(fragment, quote=False)
    spaced = _TABLE.sub(_untable, fragment)
    spaced = _BLOCK.sub(lambda match: "<br>" + match.group(0), spaced)
    text = remove_controls(plain_text(sanitize_html(spaced)))
    return [line for line in (" ".join(line.split()) for line in text.split("\n")) if line]


def _untable(match: re.Match[str]) -> str:
    tag = _CELLS.get(match.group(2).lower(), "div")
    return f" <{match.group(1)}{tag}"


def excerpt(text: str, limit: int = 60) -> str:
    """Raw source text quoted in a message: one line, no control characters, at most ``limit``."""
    text = " ".join(remove_controls(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(fragment: str) -> str:
    """A title, name, tag or dek: plain text on one line."""
    return " ".join(html_lines(fragment))


def is_furniture(line: str) -> bool:
    """Tell whether a line of article text is a prompt or box the site adds to every article."""
    if len(line) > FURNITURE_MAX_CHARS:
        return False
    return any(pattern.search(line) for pattern in FURNITURE_LINES)


def dek_text(fragment: str) -> str:
    """A dek (standfirst, excerpt): one line, without furniture or a trailing "Read more"."""
    lines = [line for line in html_lines(fragment) if not is_furniture(line)]
    return _READ_MORE.sub("", " ".join(lines))


def body_text(fragment: str) -> str:
    """An article body as plain text, one paragraph per line, furniture lines dropped."""
    return "\n".join(line for line in html_lines(fragment) if not is_furniture(line))
