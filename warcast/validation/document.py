"""The feed document as a whole: :func:`validate_feed`, the ``<rss>`` root and namespaces."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from warcast.validation.channel import check_channel
from warcast.validation.context import Context, is_element
from warcast.validation.findings import ERROR, WARNING, Finding, error, warning
from warcast.validation.items import check_item
from warcast.validation.reading import parse_feed
from warcast.validation.rules import NAMESPACES, PODCAST_LEGACY_NS, PODCAST_NS, PSP1_NAMESPACES

if TYPE_CHECKING:
    from lxml.etree import _Element


def validate_feed(
    data: bytes,
    *,
    source: str = "feed",
    locate: Callable[[str], Path | None] | None = None,
    fetch_remote: bool = False,
) -> list[Finding]:
    """Check a feed against the RSS, Apple, PSP-1 and Podcasting 2.0 rules, in document order.

    ``locate`` maps a URL to a local file when the caller has it (publish maps its own base
    URL into the staged folder); ``fetch_remote`` allows one GET of the channel artwork.
    """
    root = parse_feed(data, source=source)
    declared = _declared_namespaces(root)
    findings = list(_check_root(root, declared))
    channels = root.findall("channel")
    if len(channels) != 1:
        return findings
    ns = _namespace_map(declared)
    ctx = Context(channels[0], ns, locate, fetch_remote, datetime.now(UTC))
    findings += check_channel(ctx)
    for index, item in enumerate(ctx.channel.findall("item"), start=1):
        findings += check_item(item, index, ctx)
    return findings


def _namespace_map(declared: set[str]) -> dict[str, str]:
    """Return the prefix map for lookups, with the podcast prefix on the URI this feed uses."""
    legacy = PODCAST_LEGACY_NS in declared and PODCAST_NS not in declared
    return {**NAMESPACES, "podcast": PODCAST_LEGACY_NS if legacy else PODCAST_NS}


def _declared_namespaces(root: _Element) -> set[str]:
    """Every namespace URI declared on ``<rss>`` or used by an element."""
    used = {el.tag[1:].split("}")[0] for el in root.iter() if is_element(el) and el.tag[0] == "{"}
    return used | {uri for uri in root.nsmap.values() if uri}


def _check_root(root: _Element, declared: set[str]) -> Iterator[Finding]:
    """Feed-wide rules: RSS version, one channel, the namespace declarations."""
    version = root.get("version")
    if version != "2.0":
        said = f"version '{version}'" if version is not None else "no version attribute"
        yield error("feed", "rss", f'<rss> has {said}; write <rss version="2.0">')
    count = len(root.findall("channel"))
    if count != 1:
        yield error("feed", "rss", f"<rss> has {count} <channel> elements; it needs exactly one")
    for prefix in NAMESPACES:
        finding = _check_namespace(prefix, declared, root.nsmap.get(prefix))
        if finding is not None:
            yield finding


def _check_namespace(prefix: str, declared: set[str], bound: str | None) -> Finding | None:
    """Report a namespace that is missing, legacy, or bound to the wrong URI."""
    expected = NAMESPACES[prefix]
    required = prefix in PSP1_NAMESPACES
    rule, level = ("psp-1", ERROR) if required else ("rss", WARNING)
    if expected in declared:
        return None
    if prefix == "podcast" and PODCAST_LEGACY_NS in declared:
        return warning(
            "feed", "podcast", f"uses the legacy podcast namespace URI; declare "
            f'xmlns:podcast="{PODCAST_NS}" instead',
        )
    if bound:
        return Finding(
            level, "feed", rule,
            f"xmlns:{prefix} is '{bound}', not '{expected}'; apps ignore its elements, "
            "use the exact URI",
        )
    if required:
        return error(
            "feed", rule, f'no {prefix} namespace; add xmlns:{prefix}="{expected}" to <rss>'
        )
    return None
