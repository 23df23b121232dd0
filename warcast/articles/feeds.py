"""Article feeds: RSS 2.0 and Atom as WordPress emits them, parsed safely into drafts.

XML is parsed with defusedxml: a document that declares entities (the XML bomb pattern) or
refers to external ones is refused before anything is expanded or fetched. Which element
feeds which field is the data in :data:`RSS_FIELDS` and :data:`ATOM_FIELDS`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from warcast.articles.article import Draft, Reading, source_error
from warcast.articles.text import excerpt, one_line
from warcast.feed.namespaces import URIS, subset

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

ATOM = URIS["atom"]
NAMESPACES = subset("atom", "content", "dc")

RSS_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "published": ("pubDate", "dc:date"),
    "authors": ("dc:creator", "author"),
    "tags": ("category",),
    "dek": ("description",),
    "body": ("content:encoded",),
}
"""Field → where an RSS ``<item>`` keeps it, in order of preference (the URL is special)."""

ATOM_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("atom:title",),
    "published": ("atom:published", "atom:updated"),
    "authors": ("atom:author/atom:name", "atom:contributor/atom:name"),
    "tags": ("atom:category@term", "atom:category@label"),
    "dek": ("atom:summary",),
    "body": ("atom:content",),
}
"""Field → where an Atom ``<entry>`` keeps it; ``@name`` reads an attribute."""

LISTS = ("authors", "tags")
_FORBIDDEN_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def read_feed(data: bytes, *, source: str) -> Reading:
    """Parse an RSS 2.0 or Atom feed into drafts; ArticleError if it is not a safe, sane feed."""
    warnings: list[str] = []
    root = parse_xml(_without_control_bytes(data, warnings), source)
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise source_error(source, "is RSS without a <channel>", "Export the feed again")
        items, fields, base = channel.findall("item"), RSS_FIELDS, channel.findtext("link", "")
        url_of = _rss_url
    elif root.tag == f"{{{ATOM}}}feed":
        items, fields, base = root.findall("atom:entry", NAMESPACES), ATOM_FIELDS, _atom_link(root)
        url_of = _atom_url
    else:
        raise source_error(source, f"is {_kind(root.tag)}, not an RSS 2.0 or Atom feed",
                           "Use the site's RSS or Atom feed (WordPress: /feed/ or /feed/atom/)")
    kind = "rss" if root.tag == "rss" else "atom"
    reading = Reading(kind, base=(base or "").strip(), warnings=warnings)
    for number, item in enumerate(items, 1):
        reading.entries.append(_draft(item, fields, url_of, f"item {number}"))
    return reading


def parse_xml(data: bytes, source: str) -> Element:
    """Parse XML with entity declarations and external references refused, in one clear line."""
    from xml.etree.ElementTree import ParseError

    import defusedxml
    import defusedxml.ElementTree

    if not data.strip():
        raise source_error(source, "is empty", "Check that the file or URL holds the feed")
    try:
        return defusedxml.ElementTree.fromstring(data)
    except defusedxml.EntitiesForbidden as exc:
        if exc.sysid or exc.pubid:
            message = (f"declares an external XML entity '{exc.name}' "
                       f"({exc.sysid or exc.pubid}); refusing to load it")
        else:
            message = (f"declares XML entities ('{exc.name}'), the pattern of an XML bomb; "
                       "refusing to parse it")
        raise source_error(source, message, "Remove the DOCTYPE; feeds do not need one") from None
    except defusedxml.DefusedXmlException as exc:
        raise source_error(source, f"uses a forbidden XML feature ({exc}); refusing to parse it",
                     "Remove the DOCTYPE; feeds do not need one") from None
    except ParseError as exc:
        raise source_error(source, f"is not well-formed XML ({exc})",
                     "Fix the XML at that line, or export the feed again") from None


def _draft(item: Element, fields: dict[str, tuple[str, ...]],
           url_of: Callable[[Element], str], label: str) -> Draft:
    """Map one ``<item>`` or ``<entry>`` into a draft through the field table."""
    values = {name: _values(item, paths) for name, paths in fields.items()}
    title = excerpt(one_line(" ".join(values["title"][:1])))
    single = {name: found[0] if found else "" for name, found in values.items()
              if name not in LISTS}
    return Draft(
        item=f"{label} ('{title}')" if title else label,
        url=url_of(item), authors=values["authors"], tags=values["tags"], **single,
    )


def _values(item: Element, paths: tuple[str, ...]) -> list[str]:
    """All non-empty values at the first path that has any."""
    for path in paths:
        element_path, _, attribute = path.partition("@")
        found = item.findall(element_path, NAMESPACES)
        values = [(el.get(attribute) or "") if attribute else _text(el) for el in found]
        values = [value for value in values if value.strip()]
        if values:
            return values
    return []


def _text(element: Element) -> str:
    """An element's text; Atom's inline XHTML (and stray markup) as an HTML string."""
    from xml.etree.ElementTree import tostring

    if len(element) == 0:
        return element.text or ""
    inner = copy.deepcopy(element)
    for node in inner.iter():
        if isinstance(node.tag, str) and node.tag.startswith("{"):
            node.tag = node.tag.split("}", 1)[1]
    children = "".join(tostring(child, encoding="unicode") for child in inner)
    return (inner.text or "") + children


def _rss_url(item: Element) -> str:
    """``<link>``, else a ``<guid>`` that is a permalink (RSS's default)."""
    link = (item.findtext("link") or "").strip()
    guid = item.find("guid")
    if link or guid is None or guid.get("isPermaLink", "true").strip().lower() == "false":
        return link
    return guid.text or ""


def _atom_url(entry: Element) -> str:
    """The alternate link, else an ``<id>`` that is an http(s) URL."""
    link = _atom_link(entry)
    identifier = (entry.findtext("atom:id", "", NAMESPACES) or "").strip()
    return link or (identifier if identifier.startswith(("http://", "https://")) else "")


def _atom_link(element: Element) -> str:
    """The ``href`` of the first ``rel="alternate"`` (or rel-less) link of a feed or entry."""
    for link in element.findall("atom:link", NAMESPACES):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href", "")
    return ""


def _without_control_bytes(data: bytes, warnings: list[str]) -> bytes:
    """Drop the C0 control bytes XML forbids (pasted text brings them), with a warning."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: NUL bytes are part of characters
        return data
    cleaned, count = _FORBIDDEN_BYTES.subn(b"", data)
    if count:
        warnings.append(f"removed {count} control characters that XML does not allow")
    return cleaned


def _kind(tag: str) -> str:
    name = tag.rsplit("}", 1)[-1]
    kinds = {"html": "an HTML page", "RDF": "an RSS 1.0 (RDF) feed"}
    return kinds.get(name, f"an XML document with root <{name}>")

