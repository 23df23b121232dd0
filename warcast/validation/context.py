"""The feed being checked: what the checks share while walking it, and element lookups.

Element names are written with the prefixes of :data:`~warcast.validation.rules.NAMESPACES`
("itunes:image"); :attr:`Context.ns` maps them to the URIs this feed uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from warcast.validation.rules import (
    NAMESPACES,
    PODCAST_LEGACY_NS,
    PREFIX_RULES,
    QUALIFIER_ATTRIBUTES,
)

if TYPE_CHECKING:
    from lxml.etree import _Element


@dataclass
class Context:
    """What the checks share while walking one feed."""

    channel: _Element
    ns: dict[str, str]
    locate: Callable[[str], Path | None] | None
    fetch_remote: bool
    now: datetime
    self_url: str = ""
    guids: dict[str, int] = field(default_factory=dict)
    enclosures: dict[str, int] = field(default_factory=dict)

    def local_file(self, url: str) -> Path | None:
        """The local copy of a URL's file, when the caller knows one."""
        return self.locate(url.strip()) if self.locate is not None else None


def rule_for(name: str) -> str:
    """The rule set an element belongs to, from its prefix."""
    prefix = name.split(":")[0] if ":" in name else ""
    return PREFIX_RULES.get(prefix, "rss")


def find(scope: _Element | None, name: str, ns: dict[str, str]) -> _Element | None:
    """The first ``name`` element in ``scope``, if any."""
    return None if scope is None else scope.find(name, namespaces=ns)


def findall(scope: _Element, name: str, ns: dict[str, str]) -> list[_Element]:
    """Every ``name`` element directly in ``scope``."""
    return scope.findall(name, namespaces=ns)


def text(element: _Element | None) -> str:
    """The element's text, stripped; empty for a missing element."""
    return "" if element is None else (element.text or "").strip()


def present(element: _Element) -> bool:
    """An element counts as given when it has text, children or value-carrying attributes."""
    return bool(text(element) or len(element) or set(element.attrib) - QUALIFIER_ATTRIBUTES)


def is_element(node: _Element) -> bool:
    """Whether a node is an element (not a comment or processing instruction)."""
    return isinstance(node.tag, str)


def texts_of(element: _Element) -> Iterator[str]:
    """The element's own text and attribute values."""
    if is_element(element):
        yield element.text or ""
        yield from element.attrib.values()


def name_of(element: _Element) -> str:
    """The element's name with the prefix the messages use."""
    tag = element.tag
    if not tag.startswith("{"):
        return tag
    uri, local = tag[1:].split("}")
    prefixes = {v: k for k, v in NAMESPACES.items()} | {PODCAST_LEGACY_NS: "podcast"}
    return f"{prefixes[uri]}:{local}" if uri in prefixes else local


def is_http_url(value: str) -> bool:
    """Whether ``value`` is an absolute http(s) URL."""
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)
