"""Parsing an old feed as podcast apps manage to, and writing a forwarding copy of it.

The repairs themselves (undeclared prefixes, UTF-16, the UserLand namespace) are the
validator's :mod:`~warcast.validation.repair`; here each one becomes a note for the producer,
and the namespaces feeds use are mapped to the prefixes warcast reads them as.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from warcast.errors import FeedError
from warcast.feed.namespaces import LEGACY_PODCAST, PREFIXES
from warcast.imports.model import Notices
from warcast.validation.repair import USUAL_NAMESPACES, parse_repaired

if TYPE_CHECKING:
    from lxml.etree import _Element

#: Namespace URIs feeds use (lower case, no trailing slash) and the prefix warcast reads them as.
NAMESPACE_PREFIXES = PREFIXES
LEGACY_PODCAST_NAMESPACES = LEGACY_PODCAST



def refuse(location: str, message: str, hint: str = "Check the feed") -> FeedError:
    where = f"{location}: " if "://" in location else ""
    return FeedError(f"{where}{message}", path=None if where else location, hint=hint)


def forwarding_feed(data: bytes, new_feed_url: str, *, source: str) -> bytes:
    """The old feed, byte for byte, with one ``itunes:new-feed-url`` set to ``new_feed_url``
    (any it had are replaced): for an old host that serves a feed file you can replace. Apps
    that read it move over. Comments and CDATA are never touched; the result is parsed and
    checked to hold exactly that change, else FeedError."""
    from xml.sax.saxutils import escape

    data, before = parse_leniently(data, source, Notices())
    masked = _masked(data)
    channel = re.search(rb"<channel(?=[\s>])[^>]*>", masked)
    if channel is None:
        raise refuse(source, "has no <channel>")
    items = [(m.start(), m.end()) for m in
             re.finditer(rb"<item(?=[\s>/]).*?</item\s*>", masked, re.DOTALL)]
    spans = [m.span() for prefix in _itunes_prefixes(masked) for m in re.finditer(
        rb"<" + re.escape(prefix) + rb":new-feed-url(?=[\s>/])[^>]*?(?:/>|>.*?</"
        + re.escape(prefix) + rb":new-feed-url\s*>)", masked, re.DOTALL)
        if not any(start <= m.start() < end for start, end in items)]
    element = (f'<itunes:new-feed-url xmlns:itunes="{USUAL_NAMESPACES["itunes"]}">'
               f"{escape(new_feed_url)}</itunes:new-feed-url>").encode()
    result = data
    for start, end in sorted(spans, reverse=True):
        result = result[:start] + result[end:]
    result = result[:channel.end()] + b"\n    " + element + result[channel.end():]
    _check_forwarding(before, result, new_feed_url, source)
    return result


def _masked(data: bytes) -> bytes:
    """``data`` with comments, CDATA sections and processing instructions blanked out (same
    length), so that patterns only ever match markup."""
    def blank(match: re.Match[bytes]) -> bytes:
        return re.sub(rb"[^\n]", b" ", match.group(0))

    return re.sub(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", blank, data, flags=re.DOTALL)


def _itunes_prefixes(masked: bytes) -> set[bytes]:
    """Every prefix the document binds to the iTunes namespace."""
    itunes = {uri for uri, prefix in NAMESPACE_PREFIXES.items() if prefix == "itunes"}
    return {prefix for prefix, uri in re.findall(
        rb"xmlns:([A-Za-z_][\w.-]*)\s*=\s*[\"']([^\"']*)[\"']", masked)
        if uri.decode("utf-8", "replace").strip().lower().rstrip("/") in itunes}


def _check_forwarding(before: _Element, data: bytes, url: str, source: str) -> None:
    """The forwarding feed parses, its channel names ``url`` as new-feed-url once, and its
    items are exactly the old ones."""
    from lxml import etree

    _, after = parse_leniently(data, source, Notices())
    channels = after.find("channel"), before.find("channel")
    moved = [child for child in channels[0] if isinstance(child.tag, str) and
             etree.QName(child).localname == "new-feed-url" and
             NAMESPACE_PREFIXES.get((etree.QName(child).namespace or "").lower().rstrip("/"))
             == "itunes"]
    items = [[etree.tostring(item) for item in channel.iter("item")] for channel in channels]
    if len(moved) != 1 or (moved[0].text or "").strip() != url or items[0] != items[1]:
        raise refuse(source, "cannot be given an itunes:new-feed-url without changing more",
                     "Set it on the old host instead")


def parse_leniently(data: bytes, source: str, notices: Notices) -> tuple[bytes, _Element]:
    """Parse a feed as podcast apps manage to (:func:`parse_repaired`), noting each repair.
    Returns the repaired bytes and the <rss> element; FeedError for anything else."""
    repaired = parse_repaired(data, source=source)
    if repaired.userland:
        notices.add("the old UserLand RSS namespace on <rss> ignored")
    usual = [p for p in repaired.declared if p in USUAL_NAMESPACES]
    if usual:
        notices.add("namespace prefixes used without being declared: read as their usual "
                    "namespaces", ", ".join(usual))
    if len(usual) < len(repaired.declared):
        notices.add("unknown namespace prefixes used without being declared: ignored",
                    ", ".join(p for p in repaired.declared if p not in usual))
    return repaired.data, repaired.root
