"""Reading a feed: from a file or an http(s) URL with a size limit, then parsing it safely.

Anything that is not an RSS 2.0 document is refused here with a :class:`FeedError` that says
what it is instead: empty, an XML bomb (a DOCTYPE declaring entities), an HTML page, not
well-formed XML, an Atom or RSS 1.0 feed. Nothing here judges the feed's content.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from warcast.errors import FeedError
from warcast.validation.rules import NAMESPACES
from warcast.web import get

if TYPE_CHECKING:
    from lxml.etree import _Element

_ENTITY_DECLARATION = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.IGNORECASE)
UNDECLARED_PREFIX = re.compile(r"Namespace prefix (\S+) (?:on|for) \S+ is not defined")


def read_feed(
    location: str, *, max_bytes: int = 50 * 1024 * 1024, timeout: float = 20.0
) -> bytes:
    """Return the bytes of the feed at a local path or http(s) URL, refusing oversized ones.

    A URL is fetched with one GET (warcast's User-Agent, ``timeout`` seconds); anything that
    cannot be read, or is larger than ``max_bytes``, is a FeedError.
    """
    return read_feed_at(location, max_bytes=max_bytes, timeout=timeout)[0]


def read_feed_at(
    location: str, *, max_bytes: int = 50 * 1024 * 1024, timeout: float = 20.0
) -> tuple[bytes, str]:
    """:func:`read_feed`, and the address the feed was finally read from (after redirects):
    what its relative URLs are relative to."""
    try:
        scheme = urlsplit(location).scheme.lower()
    except ValueError:
        raise FeedError(f"{location}: is not a URL or a path", hint="Check the address") from None
    final = location
    if scheme in ("http", "https"):
        data, final = http_get_at(location, limit=max_bytes, timeout=timeout)
    elif "://" in location:
        raise FeedError(f"{location}: cannot read a '{scheme}' URL", hint="Use http(s) or a path")
    else:
        data = _read_file(Path(location), max_bytes)
    if len(data) > max_bytes:
        raise FeedError(
            f"{_label(location)}feed is larger than {max_bytes} bytes",
            path=_path_or_none(location), hint="Check that this is a podcast feed",
        )
    return data, final


def _read_file(path: Path, max_bytes: int) -> bytes:
    """Read at most ``max_bytes + 1`` bytes of a local feed file."""
    try:
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)
    except OSError as exc:
        raise FeedError(f"cannot read the feed: {exc.strerror or exc}", path=path) from exc


def http_get(url: str, *, limit: int, timeout: float) -> bytes:
    """GET ``url`` and return at most ``limit + 1`` bytes of its body."""
    return http_get_at(url, limit=limit, timeout=timeout)[0]


def http_get_at(url: str, *, limit: int, timeout: float) -> tuple[bytes, str]:
    """:func:`http_get`, and the URL the body came from after redirects."""
    body = get(url, limit=limit, timeout=timeout)
    return _utf8_from_charset(body.data, body.charset), body.url


def _utf8_from_charset(data: bytes, charset: str | None) -> bytes:
    """A document without an XML encoding declaration is in the HTTP charset: re-encode it
    as UTF-8 (what the parser then assumes) when that is something else."""
    if not charset or charset.lower().replace("_", "-") in ("utf-8", "utf8", "us-ascii"):
        return data
    if re.match(rb"\s*<\?xml[^>]*encoding=", data[:200]) or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data
    try:
        return data.decode(charset).encode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return data


def parse_feed(data: bytes, *, source: str) -> _Element:
    """Parse feed bytes safely into the ``<rss>`` element; FeedError if it is not an RSS feed."""
    from lxml import etree

    if not data.strip():
        raise _feed_error(source, "is empty", "Check that the file or URL holds the feed")
    if _declares_entities(data):
        raise _feed_error(
            source, "declares XML entities in a DOCTYPE (a possible XML bomb); refusing to parse",
            "Remove the DOCTYPE; feeds do not need one",
        )
    if _looks_like_html(data):
        raise _feed_error(source, "is an HTML page, not a feed", "Use the URL of the RSS feed")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        reason = exc.msg or str(exc)
        hint = _syntax_hint(reason)
        raise _feed_error(source, f"is not well-formed XML ({reason})", hint) from exc
    _check_root_element(root, source)
    return root
def _declares_entities(data: bytes) -> bool:
    """Tell whether the document's DOCTYPE declares entities (the XML bomb pattern)."""
    head = data   # a DOCTYPE may follow any amount of comments and whitespace
    if head[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        head = head.decode("utf-32", errors="ignore").encode("utf-8")
    elif head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    return _ENTITY_DECLARATION.search(head) is not None


def _looks_like_html(data: bytes) -> bool:
    """Tell whether the bytes start like an HTML page (a login page, a 404 page, a website)."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _check_root_element(root: _Element, source: str) -> None:
    """Refuse a document whose root is not RSS, naming what it is instead."""
    from lxml import etree

    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise _feed_error(source, "declares XML entities in a DOCTYPE", "Remove the DOCTYPE")
    if root.tag == "rss":
        return
    name = etree.QName(root).localname if isinstance(root.tag, str) else "?"
    kinds = {"html": "an HTML page", "feed": "an Atom feed", "RDF": "an RSS 1.0 (RDF) feed"}
    kind = kinds.get(name, f"an XML document with root <{name}>")
    raise _feed_error(source, f"is {kind}, not an RSS 2.0 feed", "Podcast apps need RSS 2.0")


def _syntax_hint(message: str) -> str:
    """Say how to fix the usual XML syntax errors in feeds."""
    undeclared = UNDECLARED_PREFIX.search(message)
    if undeclared:
        prefix = undeclared.group(1)
        uri = NAMESPACES.get(prefix, "its namespace URI")
        return f'Declare xmlns:{prefix}="{uri}" on <rss>'
    if "Char value" in message or "xmlChar" in message:
        return "Remove the control characters; XML does not allow them"
    if "too long" in message or "Resource limit" in message or "amplification" in message:
        return "A text in it is over 10 MB, or it expands entities without end: not a feed"
    return "Fix the XML at that line, or ask the feed's publisher to"


def _feed_error(source: str, message: str, hint: str) -> FeedError:
    """Build the FeedError for ``source``, which may be a URL that Path would mangle."""
    return FeedError(f"{_label(source)}{message}", path=_path_or_none(source), hint=hint)


def _label(source: str) -> str:
    """Prefix a message with a URL source, which cannot go into FeedError's path."""
    return f"{source}: " if "://" in source else ""


def _path_or_none(source: str) -> str | None:
    return None if "://" in source else source
