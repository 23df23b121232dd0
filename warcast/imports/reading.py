"""Reading another host's feed into what warcast keeps: the show and each episode.

Real feeds are messy. Whatever podcast apps cope with is handled here the way they cope
(a missing guid is the enclosure URL, a relative URL is resolved against the feed, a legacy
namespace is read as the current one) and each fix is noted for the producer; only a document
that is not an RSS feed at all, or one without a single episode, is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urlsplit

from warcast.audio.probe import MEDIA_TYPES, playable
from warcast.categories import check_category
from warcast.episodes import EPISODE_TYPES
from warcast.feed.extensions import WRITTEN_BY_WARCAST
from warcast.imports import values
from warcast.imports.model import Notices, SourceEpisode, SourceFeed, SourceShow
from warcast.imports.parsing import (
    LEGACY_PODCAST_NAMESPACES,
    NAMESPACE_PREFIXES,
    USUAL_NAMESPACES,
    parse_leniently,
    refuse,
)
from warcast.notes import sanitize_html
from warcast.show import MEDIUMS, SHOW_TYPES
from warcast.validation.rules import TRANSCRIPT_TYPES

if TYPE_CHECKING:
    from lxml.etree import _Element

#: Apple's pre-2019 top-level categories and what they became.
LEGACY_CATEGORIES = {
    "Games & Hobbies": "Leisure", "Science & Medicine": "Science", "Sports & Recreation":
    "Sports", "Government & Organizations": "Government", "Tech News": "Technology",
    "Podcasting": "Technology",
}
#: podcast: elements the import reads into the model (the rest are kept as written).
KEPT_PODCAST_ELEMENTS = WRITTEN_BY_WARCAST - {"liveItem"}
#: podcast:transcript types as feeds write them, and what the namespace calls them.
TRANSCRIPT_ALIASES = {"text/srt": "application/x-subrip", "application/x-srt":
                      "application/x-subrip", "text/json": "application/json",
                      "text/webvtt": "text/vtt"}
TRANSCRIPT_EXTENSIONS = {".vtt": "text/vtt", ".srt": "application/x-subrip", ".json":
                         "application/json", ".html": "text/html", ".htm": "text/html",
                         ".txt": "text/plain"}
MAX_NOTES_BYTES = 512 * 1024
MAX_GUID = 2048
_BAD_PODLOVE = "unreadable or out-of-order Podlove chapters left out"
_TOKEN_QUERY = re.compile(r"(?:^|&)(?:token|token-time|auth|access_token|key|sig|signature|"
                          r"expires|x-amz-signature)=", re.IGNORECASE)


def read_source_feed(data: bytes, location: str, *, final: str | None = None) -> SourceFeed:
    """Parse the bytes of another host's feed at ``location`` (a path or URL; ``final`` is
    where a URL led after redirects, what relative URLs in it are relative to)."""
    notices = Notices()
    _, root = parse_leniently(data, location, notices)
    channel = root.find("channel")
    if channel is None:
        raise refuse(location, "is an RSS document without a <channel>")
    reader = _Reader(location, notices, final or location)
    show = reader.show(channel)
    items = [child for child in channel if child.tag == "item"]
    if not items:
        raise refuse(location, "has no episodes (0 items)",
                      "Check that this is the show's podcast feed, not an empty one")
    episodes = reader.episodes(items, show, channel)
    if not episodes:
        relative = reader.relative_enclosures
        why = next((message for message, places in notices.groups.items()
                    if "left out" in message and places[0].startswith("item")), "")
        raise refuse(location, f"has {len(items)} items but none with audio warcast can "
                      f"import" + (f" ({why})" if why else ""),
                      "Import the feed by its URL, so relative URLs can be resolved"
                      if relative else "Check that this is the show's podcast feed")
    if show.type == "serial" and any(e.type == "full" and e.number is None for e in episodes):
        show.type = "episodic"
        notices.add("a serial show with full episodes without numbers: imported as episodic "
                    "(number them, then set type = \"serial\" in show.toml)")
    _not_carried(reader, channel, notices)
    if reader.text(channel, "podcast:locked").lower() == "yes":
        notices.add("the old feed is podcast:locked: directories accept the move once it says "
                    "'no' there (or the owner e-mail confirms it)")
    if reader.legacy_namespace:
        notices.add("the old Podcasting 2.0 namespace URI: read as the current one "
                    "(https://podcastindex.org/namespace/1.0)")
    return SourceFeed(location, show, episodes, notices)


def _not_carried(reader: _Reader, channel: _Element, notices: Notices) -> None:
    """Name what the new feed will not have: live items, and podcast: elements nested where
    warcast keeps none (the rest are carried over as written, in ``feed_xml``)."""
    from lxml import etree

    left: dict[str, int] = {}
    for element in channel.iter():
        if not isinstance(element.tag, str) or reader._prefix(element) != "podcast":
            continue
        parent = element.getparent()
        name = f"podcast:{etree.QName(element).localname}"
        if name == "podcast:liveItem" or (parent is not None and parent.tag != "item"
                                          and parent is not channel
                                          and reader._prefix(parent) != "podcast"):
            left[name] = left.get(name, 0) + 1
    if left:
        notices.add("Podcasting 2.0 elements warcast does not carry over, left out of the new "
                    "feed", ", ".join(f"{name} ({count})" for name, count in sorted(left.items())))


def kept_as_written(reader: _Reader, parent: _Element) -> str:
    """The podcast: children of ``parent`` warcast does not model (value, soundbite,
    location, license, alternateEnclosure…), as XML in the current namespace."""
    import copy

    from lxml import etree

    canonical = USUAL_NAMESPACES["podcast"]
    parts = []
    for child in parent:
        if not isinstance(child.tag, str) or reader._prefix(child) != "podcast":
            continue
        name = etree.QName(child).localname
        if name in KEPT_PODCAST_ELEMENTS or name == "liveItem" or \
                (name == "block" and not child.get("id")):   # that one is show.toml's block
            continue
        holder = etree.Element("holder", nsmap={"podcast": canonical})
        element = copy.deepcopy(child)
        holder.append(element)
        for item in element.iter():
            if isinstance(item.tag, str) and reader._prefix(item) == "podcast":
                item.tag = f"{{{canonical}}}{etree.QName(item).localname}"
            if item.text is not None and not item.text.strip():
                item.text = None
            item.tail = None
        etree.cleanup_namespaces(holder)
        parts.append(etree.tostring(element, encoding="unicode").replace(
            f' xmlns:podcast="{canonical}"', ""))
    return "\n".join(parts)


#: SourceEpisode fields read from an item's elements: field -> (elements, the first with text
#: wins; converter of that text, given the reader, where the item is and the show).
_Converter = Callable[["_Reader", str, str, SourceShow], object]
ITEM_FIELDS: dict[str, tuple[tuple[str, ...], _Converter]] = {
    "type": (("itunes:episodeType",), lambda reader, text, where, show: reader._choice(
        text.lower(), EPISODE_TYPES, "full", "itunes:episodeType", where)),
    "number": (("itunes:episode", "podcast:episode"),
               lambda reader, text, where, show: reader._number(text, "episode number", where)),
    "season": (("itunes:season", "podcast:season"),
               lambda reader, text, where, show: reader._number(text, "season", where)),
    "explicit": (("itunes:explicit",), lambda reader, text, where, show: reader._explicit(
        text, where, show.explicit) if text else None),
    "block": (("itunes:block",), lambda reader, text, where, show: text.lower() == "yes"),
    "summary": (("itunes:subtitle",),
                lambda reader, text, where, show: values.plain(text)[0][:255]),
    "keywords": (("itunes:keywords",), lambda reader, text, where, show: _keywords(text)),
}


class _Reader:
    """Reads channel and items, noting every fix."""

    def __init__(self, location: str, notices: Notices, final: str) -> None:
        self.location = location
        self.notices = notices
        self.base = urldefrag(final)[0] if urlsplit(final).scheme in ("http", "https") else None
        self.legacy_namespace = False
        self.relative_enclosures = 0
        self.website: str | None = None

    # --- elements by prefix, whatever URI (current or legacy) the feed bound it to ------

    def _prefix(self, element: _Element) -> str | None:
        from lxml import etree

        namespace = etree.QName(element).namespace
        if namespace is None:
            return ""
        key = namespace.strip().lower().rstrip("/")
        if key in LEGACY_PODCAST_NAMESPACES:
            self.legacy_namespace = True
        return NAMESPACE_PREFIXES.get(key)

    def children(self, parent: _Element, name: str) -> list[_Element]:
        from lxml import etree

        prefix, _, local = name.rpartition(":")
        return [child for child in parent if isinstance(child.tag, str)
                and etree.QName(child).localname == local and self._prefix(child) == prefix]

    def child(self, parent: _Element, name: str) -> _Element | None:
        found = self.children(parent, name)
        return found[0] if found else None

    def text(self, parent: _Element, name: str) -> str:
        element = self.child(parent, name)
        return "".join(element.itertext()).strip() if element is not None else ""

    def url(self, value: str | None, where: str, what: str) -> str | None:
        url, change = values.absolute_url(value, self.base, keep_spaces=what == "enclosure")
        if change == "relative" and url:
            self.notices.add(f"relative {what} URL resolved against the feed's address", where)
        elif change == "relative":
            self.relative_enclosures += what == "enclosure"
            self.notices.add(f"relative {what} URL left out (no absolute address to resolve it "
                             "against: import the feed by its URL)", where)
        elif change == "spaces" and url:
            self.notices.add(f"spaces in {what} URLs percent-encoded", where)
        elif change == "scheme":
            self.notices.add(f"{what} URLs that are not http(s) left out", where)
        elif change == "invalid":
            self.notices.add(f"{what} URLs that are not URLs at all left out", where)
        return url

    # --- the channel --------------------------------------------------------------------

    def show(self, channel: _Element) -> SourceShow:
        title, marked = values.plain(self.text(channel, "title"))
        if marked:
            self.notices.add("HTML removed from the show's title")
        if not title:
            title = Path(urlsplit(self.location).path).stem or "Imported show"
            self.notices.add(f"no show title: named '{title}' (edit show.toml)")
        self.website = self._channel_link(channel)
        self.base = self.base or self._self_link(channel) or self.website   # as apps resolve
        description, _ = values.plain(self.text(channel, "itunes:summary")
                                      or self.text(channel, "description"))
        owner = self.child(channel, "itunes:owner")
        owner_name = values.plain(self.text(owner, "itunes:name"))[0] if owner is not None else ""
        owner_email = self.text(owner, "itunes:email") if owner is not None else ""
        author = values.plain(self.text(channel, "itunes:author"))[0] or owner_name or title
        return SourceShow(
            title=title, description=description or title, author=author,
            language=self._language(self.text(channel, "language")),
            explicit=self._explicit(self.text(channel, "itunes:explicit"), "channel", False),
            type=self._choice(self.text(channel, "itunes:type").lower(), SHOW_TYPES, "episodic",
                              "itunes:type", "channel"),
            image_url=self._channel_image(channel),
            categories=self._categories(channel),
            owner_name=owner_name or author,
            owner_email=owner_email if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", owner_email)
            else None,
            copyright=values.plain(self.text(channel, "copyright"))[0] or None,
            link=self._channel_link(channel),
            podcast_guid=self.text(channel, "podcast:guid") or None,
            old_feed_url=self._old_feed_url(channel),
            locked=self.text(channel, "podcast:locked").lower() != "no",
            funding=self._funding(channel),
            hosts=tuple(self._persons(channel, "channel")),
            keywords=_keywords(self.text(channel, "itunes:keywords")),
            medium=self._choice(self.text(channel, "podcast:medium").lower(), MEDIUMS, "podcast",
                                "podcast:medium", "channel"),
            complete=self.text(channel, "itunes:complete").lower() == "yes",
            block=self.text(channel, "itunes:block").lower() == "yes" or any(
                "".join(b.itertext()).strip().lower() == "yes" and not b.get("id")
                for b in self.children(channel, "podcast:block")),
            feed_xml=kept_as_written(self, channel),
        )

    def _channel_link(self, channel: _Element) -> str | None:
        url, _ = values.absolute_url(self.text(channel, "link"), None)
        return url

    def _self_link(self, channel: _Element) -> str | None:
        for link in self.children(channel, "atom:link"):
            if link.get("rel") == "self" and link.get("href"):
                url = values.absolute_url(link.get("href"), None)[0]
                if url:
                    return urldefrag(url)[0]
        return None

    def _old_feed_url(self, channel: _Element) -> str | None:
        """The old feed's own address: its self link, else where it was read from, else an
        itunes:new-feed-url it already carries (the same for a file and a URL import)."""
        if own := self._self_link(channel):
            return own
        if urlsplit(self.location).scheme in ("http", "https"):
            return urldefrag(self.location)[0]   # what subscribers have
        return values.absolute_url(self.text(channel, "itunes:new-feed-url"), None)[0]

    def _language(self, value: str) -> str:
        code = value.strip().replace("_", "-").lower()
        if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", code):
            return code
        self.notices.add(f"language '{value}' is not a language code: set to 'en' "
                         "(edit show.toml)" if value else "no language: set to 'en' "
                         "(edit show.toml)")
        return "en"

    def _channel_image(self, channel: _Element) -> str | None:
        image = self.child(channel, "itunes:image")
        href = image.get("href") if image is not None else None
        if not href:
            rss_image = self.child(channel, "image")
            href = self.text(rss_image, "url") if rss_image is not None else None
        return self.url(href, "channel", "artwork") if href else None

    def _categories(self, channel: _Element) -> tuple[tuple[str, str | None], ...]:
        found: list[tuple[str, str | None]] = []
        for element in self.children(channel, "itunes:category"):
            name = (element.get("text") or "").strip()
            name = LEGACY_CATEGORIES.get(name, name)
            sub_element = self.child(element, "itunes:category")
            sub = (sub_element.get("text") or "").strip() or None \
                if sub_element is not None else None
            if check_category(name, None):
                self.notices.add("categories that are not Apple Podcasts categories left out",
                                 f"'{name}'" if name else "(empty)")
                continue
            if sub and check_category(name, sub):
                self.notices.add("subcategories Apple does not list under their category "
                                 "left out", f"'{name} > {sub}'")
                sub = None
            if (name, sub) not in found:
                found.append((name, sub))
        if not found:
            self.notices.add("no Apple Podcasts category: set to 'Society & Culture' "
                             "(edit show.toml)")
            found.append(("Society & Culture", None))
        return tuple(found)

    def _funding(self, channel: _Element) -> tuple[tuple[str, str], ...]:
        funding = []
        for element in self.children(channel, "podcast:funding"):
            url = self.url(element.get("url"), "channel", "funding")
            if url:
                funding.append((url, values.plain("".join(element.itertext()))[0]
                                or "Support the show"))
        return tuple(funding)

    def _persons(self, parent: _Element, where: str) -> list[dict[str, str]]:
        people = []
        for element in self.children(parent, "podcast:person"):
            name = values.plain("".join(element.itertext()))[0]
            if not name:
                continue
            person = {"name": name, "role": (element.get("role") or "host").strip().lower(),
                      "group": (element.get("group") or "cast").strip().lower()}
            for key in ("href", "img"):
                url = self.url(element.get(key), where, f"person {key}") \
                    if element.get(key) else None
                if url:
                    person[key] = url
            people.append(person)
        return people

    def _explicit(self, value: str, where: str, default: bool) -> bool:
        parsed = values.explicit(value)
        if parsed is None:
            if value:
                self.notices.add(f"itunes:explicit '{value}' not understood: read as "
                                 f"{str(default).lower()}", where)
            return default
        if value.strip().lower() not in ("true", "false"):
            self.notices.add(f"legacy itunes:explicit '{value.strip()}' read as "
                             f"{str(parsed).lower()}", where)
        return parsed

    def _choice(self, value: str, choices: tuple[str, ...], default: str, what: str,
                where: str) -> str:
        if value in choices:
            return value
        if value:
            self.notices.add(f"{what} '{value}' is not one of {', '.join(choices)}: read as "
                             f"'{default}'", where)
        return default

    # --- the items ----------------------------------------------------------------------

    def episodes(self, items: list[_Element], show: SourceShow,
                 channel: _Element) -> list[SourceEpisode]:
        fallback = values.date(self.text(channel, "lastBuildDate")) or \
            values.date(self.text(channel, "pubDate"))
        read: list[SourceEpisode] = []
        seen: dict[str, str] = {}
        for index, item in enumerate(items, start=1):
            episode = self._episode(item, index, show, fallback)
            if episode is None:
                continue
            if episode.guid in seen:
                self.notices.add("items repeating an earlier item's guid left out (apps show "
                                 "them as one episode)", episode.where)
                continue
            seen[episode.guid] = episode.where
            read.append(episode)
        _unique_numbers(read, self.notices)
        return sorted(read, key=lambda e: e.published)

    def _episode(self, item: _Element, index: int, show: SourceShow,
                 fallback: dt.datetime | None) -> SourceEpisode | None:
        title, marked = values.plain(self.text(item, "title") or self.text(item, "itunes:title"))
        apple_title = values.plain(self.text(item, "itunes:title"))[0]
        where = f"item {index} '{title}'" if title else f"item {index}"
        if marked:
            self.notices.add("HTML removed from titles", where)
        enclosure = self._enclosure(item, where)
        if enclosure is None:
            return None
        url, media_type, length = enclosure
        guid = self.text(item, "guid")
        if not guid:
            self.notices.add("no guid: the enclosure URL is the guid, as podcast apps do", where)
            guid = url
        if len(guid) > MAX_GUID or any(ord(c) < 32 and c not in "\t\n" for c in guid):
            self.notices.add(f"items whose guid is over {MAX_GUID} characters or holds control "
                             "characters left out", where)
            return None
        published = values.date(self.text(item, "pubDate"))
        dated = published is not None
        zone = values.unknown_zone(self.text(item, "pubDate")) if dated else None
        if zone:
            self.notices.add(f"pubDate time zone '{zone[:10]}' is no zone: read as UTC", where)
        if published is None:
            published = self._missing_date(item, index, fallback, where)
        if not title:
            title = f"Episode of {published.date().isoformat()}"
            self.notices.add("no title: named after the date", where)
        seconds = self._duration(self.text(item, "itunes:duration"), where)
        notes = self._notes(item, where)
        image = self.child(item, "itunes:image")
        hosts = {p["name"] for p in show.hosts}
        mapped = {name: convert(self, next((text for text in (self.text(item, element)
                                                              for element in elements) if text),
                                           ""), where, show)
                  for name, (elements, convert) in ITEM_FIELDS.items()}
        return SourceEpisode(
            where=where, guid=guid, title=title, published=published, audio_url=url,
            audio_type=media_type, audio_bytes=length, duration=seconds, dated=dated,
            **mapped,
            season_name=(self.child(item, "podcast:season").get("name") or None)
            if self.child(item, "podcast:season") is not None else None,
            feed_xml=kept_as_written(self, item),
            itunes_title=apple_title if apple_title and apple_title != title else None,
            notes_html=notes,
            persons=tuple(p for p in self._persons(item, where) if p["name"] not in hosts),
            chapters=tuple(self._simple_chapters(item, where)),
            chapters_url=self._chapters_url(item, where),
            transcripts=tuple(self._transcripts(item, where, show.language)),
            image_url=self.url(image.get("href"), where, "artwork")
            if image is not None and image.get("href") else None,
        )

    def _enclosure(self, item: _Element, where: str) -> tuple[str, str, int] | None:
        """The first audio or video enclosure: URL, media type, byte length (0: unknown)."""
        candidates = []
        for element in self.children(item, "enclosure"):
            url = self.url(element.get("url"), where, "enclosure")
            if url:
                candidates.append((url, (element.get("type") or "").split(";")[0].strip().lower(),
                                   (element.get("length") or "").strip()))
        media = [c for c in candidates if _is_media(c[0], c[1])]
        if media and _TOKEN_QUERY.search(urlsplit(media[0][0]).query):
            self.notices.add("enclosure URLs that carry an access token (a private feed?): "
                             "they may stop working, and these episodes are public here unless "
                             "imported with --members-only", where)
        if not media:
            self.notices.add("items without an audio enclosure left out (podcast apps skip "
                             "them too)", where)
            return None
        if len(candidates) > 1:
            self.notices.add("extra enclosures left out (the first audio one is the episode)",
                             where)
        url, media_type, length = media[0]
        expected = MEDIA_TYPES.get(_suffix(url))
        if expected and media_type not in expected:
            self.notices.add(f"enclosure type {repr(media_type) if media_type else 'missing'}: "
                             f"set to {expected[0]} from the file extension", where)
            media_type = expected[0]
        elif not media_type:
            media_type = "application/octet-stream"
            self.notices.add("enclosure without a type: application/octet-stream", where)
        size = int(length) if length.isdigit() and len(length) <= 13 else 0   # under 10 TB
        if not size:
            self.notices.add("enclosure length missing or 0: published as 0 (unknown) until "
                             "the audio is downloaded (--download-audio)", where)
        return url, media_type, size

    def _missing_date(self, item: _Element, index: int, fallback: dt.datetime | None,
                      where: str) -> dt.datetime:
        """Apps date such items when they first see them; keep the feed's order instead."""
        raw = self.text(item, "pubDate")
        base = fallback or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        what = f"unreadable pubDate '{raw[:40]}'" if raw else "no pubDate"
        self.notices.add(f"{what}: dated a minute apart before {base.isoformat()}, in feed "
                         "order (edit episode.toml)", where)
        return base - dt.timedelta(minutes=index)

    def _duration(self, value: str, where: str) -> float:
        seconds = values.duration(value)
        if seconds is None:
            if value:
                self.notices.add(f"unreadable itunes:duration '{value}': left unknown", where)
            return 0.0
        return seconds

    def _number(self, value: str, what: str, where: str) -> int | None:
        number = values.whole(value)
        if number is None and value:
            self.notices.add(f"{what} '{value[:20]}' is not a whole number from 1: left out",
                             where)
        return number

    def _notes(self, item: _Element, where: str) -> str:
        """content:encoded, else description, else itunes:summary, as sanitized HTML (links
        relative to the old website made absolute)."""
        raw = self.text(item, "content:encoded") or self.text(item, "description") \
            or self.text(item, "itunes:summary")
        if len(raw.encode()) > MAX_NOTES_BYTES:
            raw = raw.encode()[:MAX_NOTES_BYTES].decode("utf-8", "ignore")
            self.notices.add(f"show notes over {MAX_NOTES_BYTES // 1024} kB cut short", where)
        if not raw:
            return ""
        page = values.absolute_url(self.text(item, "link"), self.base)[0]
        notes = sanitize_html(raw if values.has_markup(raw) else values.paragraphs(raw),
                              base=page or self.website or self.base)
        if values.has_markup(raw) and _visible(notes) != _visible(raw):
            self.notices.add("show notes sanitized (scripts, styles, frames or unsafe links "
                             "removed)", where)
        return notes

    def _chapters_url(self, item: _Element, where: str) -> str | None:
        element = self.child(item, "podcast:chapters")
        return self.url(element.get("url"), where, "chapters") \
            if element is not None and element.get("url") else None

    def _transcripts(self, item: _Element, where: str, language: str) -> list[dict[str, str]]:
        found = []
        for element in self.children(item, "podcast:transcript"):
            url = self.url(element.get("url"), where, "transcript")
            if not url:
                continue
            written = (element.get("type") or "").split(";")[0].strip().lower()
            kind = TRANSCRIPT_ALIASES.get(written, written) or \
                TRANSCRIPT_EXTENSIONS.get(_suffix(url), "")
            if kind not in TRANSCRIPT_TYPES:
                self.notices.add("transcripts of a type podcast apps do not know left out",
                                 f"{where} ('{written[:30]}')")
                continue
            entry = {"url": url, "type": kind}
            for key in ("language", "rel"):
                value = " ".join((element.get(key) or "").split())[:35]
                if value and re.fullmatch(r"[\w-]+", value):
                    entry[key] = value
            found.append(entry)
        return found

    def _simple_chapters(self, item: _Element, where: str) -> list[dict[str, object]]:
        """Podlove Simple Chapters written into the feed itself."""
        block = self.child(item, "psc:chapters")
        chapters: list[dict[str, object]] = []
        for element in self.children(block, "psc:chapter") if block is not None else []:
            start = values.duration(element.get("start"))
            title = values.plain(element.get("title"))[0]
            if start is None or not title or (chapters and start <= chapters[-1]["start"]):
                if where not in self.notices.groups[_BAD_PODLOVE]:
                    self.notices.add(_BAD_PODLOVE, where)
                continue
            chapter: dict[str, object] = {"start": start, "title": title}
            for key, name in (("href", "url"), ("image", "image")):
                url = values.absolute_url(element.get(key), self.base)[0]
                if url:
                    chapter[name] = url
            chapters.append(chapter)
        return chapters


def _visible(fragment: str) -> str:
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", fragment)).split())


def _suffix(url: str) -> str:
    return Path(urlsplit(url).path).suffix.lower()


def _is_media(url: str, media_type: str) -> bool:
    """What apps play, and (as they try it) a file of unknown kind given no type."""
    return playable(url, media_type) or (not media_type and _suffix(url) not in MEDIA_TYPES)


def _keywords(text: str) -> tuple[str, ...]:
    words = [" ".join(word.split()) for word in text.split(",")]
    return tuple(dict.fromkeys(word for word in words if word))


def _unique_numbers(episodes: list[SourceEpisode], notices: Notices) -> None:
    """Apps list one episode per (season, number) of a type (a bonus may share a full
    episode's number): later repeats lose their number."""
    seen: set[tuple[int | None, int, str]] = set()
    for episode in sorted(episodes, key=lambda e: e.published):
        if episode.number is None:
            continue
        key = (episode.season, episode.number, episode.type)
        if key in seen:
            notices.add("episode numbers repeated within a season left out", episode.where)
            episode.number = None
        seen.add(key)
