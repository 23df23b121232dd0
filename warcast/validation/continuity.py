"""Continuity: what apps notice between two versions of a feed.

Podcast apps know an episode by its guid and fetch it from its enclosure URL. A guid that
changes makes apps download the episode again as new; an enclosure URL that changes breaks
downloads and resumes; an episode that disappears vanishes from listeners' libraries. Once an
episode has been published, all three are errors unless the producer accepts them explicitly.
Episodes are matched by guid, then by page link, then by title. An item without a guid is
known to apps by its enclosure URL, so that URL stands in for its guid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from warcast.audio.probe import playable
from warcast.validation.findings import ERROR, WARNING, Finding
from warcast.validation.repair import parse_repaired

if TYPE_CHECKING:
    from lxml.etree import _Element


@dataclass(frozen=True)
class _Item:
    guid: str
    link: str
    title: str
    enclosure: str


def compare_feeds(previous: bytes, current: bytes, *, previous_source: str = "previous feed",
                  source: str = "feed") -> list[Finding]:
    """Findings for every published episode whose guid or enclosure URL changed or that is
    gone; new episodes are fine."""
    old = _items(previous, previous_source)
    new = _items(current, source)
    by_guid = {item.guid: item for item in new if item.guid}
    by_link = {item.link: item for item in new if item.link}
    by_title = {item.title: item for item in new if item.title}
    findings = []
    for item in old:
        where = f"episode '{item.title or item.guid}'"
        match = by_guid.get(item.guid or item.enclosure)
        if match is None:
            match = by_link.get(item.link) if item.link else None
            match = match or (by_title.get(item.title) if item.title else None)
            if match is None:
                findings.append(Finding(WARNING, where, "continuity",
                                        "is no longer in the feed: apps remove it from "
                                        "listeners' libraries; fine if it was withdrawn"))
                continue
            findings.append(Finding(ERROR, where, "continuity",
                                    f"guid changed from '{item.guid}' to '{match.guid}': apps "
                                    "will download it again as a new episode; put the old "
                                    "guid back in episode.toml"))
        if item.enclosure and match.enclosure != item.enclosure:
            findings.append(Finding(ERROR, where, "continuity",
                                    f"enclosure URL changed from {item.enclosure} to "
                                    f"{match.enclosure}: downloads in progress break and some "
                                    "apps download it again; keep the old URL (audio file "
                                    "type, slug and media_base_url decide it)"))
    return findings


def _items(data: bytes, source: str) -> list[_Item]:
    root = parse_repaired(data, source=source).root   # an old feed as apps read it
    base = _base(root, source)
    items = []
    for element in root.iterfind("channel/item"):
        enclosure = _media_enclosure(element)
        url = (enclosure.get("url") or "").strip() if enclosure is not None else ""
        items.append(_Item(
            guid=(element.findtext("guid") or "").strip(),
            link=(element.findtext("link") or "").strip(),
            title=(element.findtext("title") or "").strip(),
            enclosure=urljoin(base, url) if url and base and "://" not in url else url))
    return items


def _base(root: _Element, source: str) -> str | None:
    """What a relative enclosure URL is relative to, for apps: the feed's own address (where
    it was read from, else its self link), else its website."""
    if source.startswith(("http://", "https://")):
        return source
    for link in root.iterfind("channel/{http://www.w3.org/2005/Atom}link"):
        if link.get("rel") == "self" and (link.get("href") or "").startswith("http"):
            return link.get("href")
    website = (root.findtext("channel/link") or "").strip()
    return website if website.startswith(("http://", "https://")) else None


def _media_enclosure(item: _Element) -> _Element | None:
    """The enclosure apps play: the first audio or video one (feeds list artwork too)."""
    enclosures = item.findall("enclosure")
    return next((e for e in enclosures if playable(e.get("url") or "", e.get("type") or "")),
                enclosures[0] if enclosures else None)
