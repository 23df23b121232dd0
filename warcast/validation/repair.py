"""Parsing a feed as podcast apps manage to, for reading other hosts' feeds (import, and the
old feed ``validate --previous`` compares with): what apps read although it is not
namespace-well-formed XML (prefixes used without a declaration), UTF-16 or UTF-32, or under
the old UserLand default namespace is repaired, and each repair said. Everything else goes
through :func:`~warcast.validation.reading.parse_feed`, which refuses what is not RSS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from warcast.errors import FeedError
from warcast.feed.namespaces import URIS
from warcast.validation.reading import UNDECLARED_PREFIX, parse_feed

if TYPE_CHECKING:
    from lxml.etree import _Element

#: What an undeclared prefix most likely meant (feeds that forgot the xmlns declaration).
USUAL_NAMESPACES = URIS

_RSS_START = re.compile(rb"<rss(?=[\s/>])")
_USERLAND = re.compile(rb'\s+xmlns\s*=\s*["\']http://backend\.userland\.com/rss2/?["\']')



@dataclass(frozen=True)
class Repaired:
    """A parsed feed, the bytes that parsed, and what had to be repaired."""

    data: bytes
    root: _Element
    userland: bool          # the old UserLand default namespace was dropped
    declared: tuple[str, ...]   # prefixes declared on <rss> that the feed left undeclared


def parse_repaired(data: bytes, *, source: str) -> Repaired:
    """Parse a feed as podcast apps manage to: UTF-16 and UTF-32 read as UTF-8, the old
    UserLand default namespace dropped, prefixes used without a declaration (not
    namespace-well-formed, yet common) declared on <rss> as what they always stand for.
    FeedError for anything else."""
    data = _as_utf8(data)
    userland = bool(_USERLAND.search(data[:4096]))
    if userland:
        data = _USERLAND.sub(b"", data, count=1)
    declared: list[str] = []
    while True:
        try:
            root = parse_feed(data, source=source)
            break
        except FeedError as exc:
            found = UNDECLARED_PREFIX.search(exc.message)
            start = _root_start(data)
            if not found or start is None or len(declared) >= 20 or found.group(1) in declared:
                raise
            prefix = found.group(1)
            uri = USUAL_NAMESPACES.get(prefix, f"urn:x-undeclared:{prefix}")
            data = data[:start] + f' xmlns:{prefix}="{uri}"'.encode() + data[start:]
            declared.append(prefix)
    return Repaired(data, root, userland, tuple(declared))


def _as_utf8(data: bytes) -> bytes:
    """UTF-16 and UTF-32 documents as UTF-8 (the encoding declaration follows)."""
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
                       (b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be")):
        if data.startswith(bom):
            try:
                text = data.decode(codec).removeprefix("\ufeff")
            except UnicodeDecodeError:
                return data
            text = re.sub(r'^(<\?xml[^>]*?encoding=)(["\'])[^"\']*\2', r"\1\2UTF-8\2", text)
            return text.encode("utf-8")
    return data


def _root_start(data: bytes) -> int | None:
    """Where to insert attributes into the <rss> start tag (comments skipped)."""
    for match in _RSS_START.finditer(data):
        if data.rfind(b"<!--", 0, match.start()) <= data.rfind(b"-->", 0, match.start()):
            return match.end()
    return None
