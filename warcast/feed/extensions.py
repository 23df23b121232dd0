"""feedgen extensions for the iTunes and Podcasting 2.0 namespaces.

feedgen's bundled podcast extension predates Apple's current rules (``itunes:explicit`` only as
yes/no/clean, the 2016 category list, ``.jpeg`` artwork dropped), so warcast registers its own.
Each extension is a pair of small classes holding :class:`Node` values that ``feed.py`` computes;
the extension only turns them into elements of its namespace. What goes in is decided in one
place (the feed module), how it is written in another (here).
"""

from __future__ import annotations

from dataclasses import dataclass

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from warcast.feed.namespaces import FEED_PREFIXES, subset

NAMESPACES = subset(*FEED_PREFIXES)


@dataclass(frozen=True)
class Node:
    """One element to write: ``prefix:name``, its attributes, text and child elements."""

    tag: str
    text: str | None = None
    attrs: tuple[tuple[str, str], ...] = ()
    children: tuple[Node, ...] = ()

    def build(self, parent: etree._Element) -> None:
        """Append this node (and its children) to ``parent``."""
        prefix, name = self.tag.split(":", 1)
        element = etree.SubElement(parent, f"{{{NAMESPACES[prefix]}}}{name}")
        for key, value in self.attrs:
            element.set(key, value)
        if self.text is not None:
            element.text = self.text
        for child in self.children:
            child.build(element)


#: podcast: elements the feed gets from the model; a ``feed_xml`` fragment may not repeat them.
WRITTEN_BY_WARCAST = frozenset({"guid", "locked", "funding", "person", "medium", "season",
                                "episode", "chapters", "transcript", "liveItem"})


@dataclass(frozen=True)
class Fragment:
    """Podcasting 2.0 elements kept as written (``feed_xml`` in show.toml or episode.toml:
    value blocks, soundbites, locations… carried over from an imported feed)."""

    xml: str

    def build(self, parent: etree._Element) -> None:
        """Append the fragment's elements to ``parent``."""
        for element in parse_fragment(self.xml):
            parent.append(element)


@dataclass(frozen=True)
class AtomLink:
    """A channel ``atom:link`` beside the self link feedgen writes: a WebSub hub."""

    href: str
    rel: str

    def build(self, parent: etree._Element) -> None:
        element = etree.SubElement(parent, "{http://www.w3.org/2005/Atom}link")
        element.set("href", self.href)
        element.set("rel", self.rel)


def parse_fragment(xml: str) -> list[etree._Element]:
    """The elements of a ``feed_xml`` fragment, parsed safely (no DTD, no entities).

    Only ``podcast:`` elements are allowed, with no text between them; ValueError says why
    a fragment is refused.
    """
    declarations = " ".join(f'xmlns:{p}="{uri}"' for p, uri in NAMESPACES.items())
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(f"<fragment {declarations}>{xml}</fragment>", parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"is not well-formed XML ({exc.msg})") from None
    if (root.text or "").strip() or any((child.tail or "").strip() for child in root):
        raise ValueError("has text outside the elements")
    elements = list(root)
    for element in elements:
        if not isinstance(element.tag, str) or \
                etree.QName(element).namespace != NAMESPACES["podcast"]:
            raise ValueError("may hold only podcast: elements")
        name = etree.QName(element).localname
        if name in WRITTEN_BY_WARCAST or (name == "block" and not element.get("id")):
            raise ValueError(f"holds podcast:{name}, which warcast writes itself (from "
                             "show.toml or episode.toml)")
        for item in element.iter():   # layout whitespace off, so the feed is indented as a whole
            if item.text is not None and not item.text.strip():
                item.text = None
            if item.tail is not None and not item.tail.strip():
                item.tail = None
    return elements


def node(tag: str, text: object = None, children: tuple[Node, ...] = (), **attrs: object) -> Node:
    """A :class:`Node`; attributes whose value is None are left out, in the order given."""
    pairs = tuple((key.replace("_", "-"), str(value)) for key, value in attrs.items()
                  if value is not None)
    return Node(tag, None if text is None else str(text), pairs, children)


class _NodeHolder:
    """Shared body of the four extension classes: a namespace prefix and a list of nodes."""

    prefix = ""

    def __init__(self) -> None:
        self.nodes: list[Node | Fragment | AtomLink] = []

    def add(self, *nodes: Node | Fragment | AtomLink | None) -> None:
        """Queue nodes for writing; None entries (absent optional values) are skipped."""
        self.nodes.extend(n for n in nodes if n is not None)

    def extend_ns(self) -> dict[str, str]:
        return {self.prefix: NAMESPACES[self.prefix]}

    def _write(self, parent: etree._Element) -> None:
        for item in self.nodes:
            item.build(parent)


class _ChannelExtension(_NodeHolder, BaseExtension):
    def __init__(self) -> None:
        super().__init__()
        self.drop: set[str] = set()  # plain RSS channel elements feedgen adds but we must not

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        channel = feed[0]
        for element in [child for child in channel if child.tag in self.drop]:
            channel.remove(element)
        self._write(channel)
        return feed


class _ItemExtension(_NodeHolder, BaseEntryExtension):
    def extend_rss(self, item: etree._Element) -> etree._Element:
        self._write(item)
        return item


class ItunesExtension(_ChannelExtension):
    """Channel-level ``itunes:`` elements (Apple Podcasts)."""

    prefix = "itunes"


class ItunesEntryExtension(_ItemExtension):
    """Item-level ``itunes:`` elements."""

    prefix = "itunes"


class PodcastExtension(_ChannelExtension):
    """Channel-level ``podcast:`` elements (Podcasting 2.0)."""

    prefix = "podcast"


class PodcastEntryExtension(_ItemExtension):
    """Item-level ``podcast:`` elements."""

    prefix = "podcast"


EXTENSIONS = (
    ("itunes", ItunesExtension, ItunesEntryExtension),
    ("podcast", PodcastExtension, PodcastEntryExtension),
)
