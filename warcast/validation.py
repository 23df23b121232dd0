"""Feed linting: check an RSS podcast feed, ours or anyone's, against what apps expect.

The rules come from RSS 2.0, Apple Podcasts, the Podcast Standards Project's PSP-1 and the
Podcasting 2.0 namespace. :func:`validate_feed` returns :class:`Finding` objects in document
order: errors where a directory would reject the feed or apps break, warnings for
recommendations. A feed that cannot be read at all (not XML, an XML bomb, not RSS, too big,
unreachable) raises :class:`~warcast.errors.FeedError` instead.

Publish runs it on the staged feed with ``locate`` mapping its own URLs to staged files, so
enclosure sizes, artwork pixels, chapters JSON and transcript files are checked as well.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from warcast import __version__
from warcast.artwork import artwork_problem, image_info
from warcast.categories import check_category
from warcast.errors import FeedError

if TYPE_CHECKING:
    from lxml.etree import _Element

ERROR = "error"
WARNING = "warning"

#: A required element: element name, rule set, level when missing, what to do.
Requirement = tuple[str, str, str, str]
#: A text limit: element name, limit, unit ("bytes" of UTF-8 or "characters"), rule, level.
Limit = tuple[str, int, str, str, str]
#: Allowed values (an enumeration or a pattern), rule set, how to say what is wanted.
ValueRule = tuple[tuple[str, ...] | re.Pattern[str], str, str]

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
PODCAST_LEGACY_NS = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"

#: The namespaces the rules look in, by the prefix that messages use for them.
NAMESPACES: dict[str, str] = {
    "itunes": ITUNES_NS, "podcast": PODCAST_NS, "atom": ATOM_NS, "content": CONTENT_NS,
}
#: Namespaces PSP-1 requires to be declared on ``<rss>``.
PSP1_NAMESPACES = ("itunes", "podcast", "atom")
#: The namespace UUID that ``podcast:guid`` values are derived with (UUIDv5 of the feed URL).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

USER_AGENT = f"warcast/{__version__} (podcast feed validator)"
#: How far ahead of now a date may be before it is reported (clock skew, time zone slips).
FUTURE_TOLERANCE = timedelta(days=2)
#: How much of an artwork file is read to find its pixel size (JPEG headers can hold EXIF/ICC).
ARTWORK_HEAD_BYTES = 1024 * 1024
#: Seconds to wait for the one artwork download that ``fetch_remote`` allows.
ARTWORK_TIMEOUT = 20.0
#: Artwork file extensions Apple accepts, and the format each promises.
ARTWORK_SUFFIX_FORMATS = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png"}

#: Channel elements that must (error) or should (warning) be present.
CHANNEL_REQUIRED: tuple[Requirement, ...] = (
    ("title", "rss", ERROR, "add the show's name"),
    ("link", "rss", ERROR, "add the show's website URL"),
    ("description", "rss", ERROR, "add a description of the show"),
    ("language", "psp-1", ERROR, "add the spoken language, e.g. en-us"),
    ("itunes:image", "apple", ERROR, 'add <itunes:image href="…"/> with square artwork'),
    ("itunes:category", "apple", ERROR, "add at least one Apple Podcasts category"),
    ("itunes:explicit", "apple", ERROR, "add <itunes:explicit> with true or false"),
    ("itunes:author", "psp-1", WARNING, "add who makes the show"),
    ("itunes:owner", "apple", WARNING, "add <itunes:owner> with <itunes:email>"),
    ("podcast:locked", "psp-1", WARNING, "add <podcast:locked>yes</podcast:locked>"),
    ("podcast:guid", "psp-1", WARNING, "add a podcast:guid (UUIDv5 of the feed URL)"),
)
#: Item elements that must (error) or should (warning) be present.
ITEM_REQUIRED: tuple[Requirement, ...] = (
    ("title", "psp-1", ERROR, "add the episode title"),
    ("enclosure", "psp-1", ERROR, "add <enclosure> with url, length and type"),
    ("guid", "psp-1", ERROR, "add a <guid> that never changes"),
    ("pubDate", "psp-1", WARNING, "add the publication date"),
)
#: Attributes that qualify an element's text rather than carry a value of their own.
QUALIFIER_ATTRIBUTES = frozenset({"isPermaLink", "owner", "purpose"})
#: Elements that apps read once; a second copy is ignored or ambiguous.
CHANNEL_SINGLE = (
    "title", "link", "description", "language", "itunes:explicit", "itunes:type",
    "itunes:image", "podcast:guid", "podcast:locked", "podcast:medium",
)
ITEM_SINGLE = (
    "title", "guid", "pubDate", "enclosure", "itunes:duration", "itunes:episode",
    "itunes:season", "itunes:episodeType",
)
#: Text length limits of PSP-1 and Podcasting 2.0.
CHANNEL_LIMITS: tuple[Limit, ...] = (
    ("description", 4000, "bytes", "psp-1", ERROR),
    ("podcast:txt", 4000, "characters", "podcast", ERROR),
)
ITEM_LIMITS: tuple[Limit, ...] = (
    ("description", 4000, "bytes", "psp-1", WARNING),
    ("podcast:txt", 4000, "characters", "podcast", ERROR),
)

#: Values of ``podcast:medium``: each medium, its "list" variant (suffix L), and "mixed".
_MEDIUMS = (
    "podcast", "music", "video", "film", "audiobook", "newsletter", "blog", "publisher",
    "course",
)
MEDIUMS = (*_MEDIUMS, *(f"{medium}L" for medium in _MEDIUMS), "mixed")

_WHOLE = re.compile(r"[1-9][0-9]*")
#: Elements whose value is an enumeration or must match a pattern.
CHANNEL_VALUES: dict[str, ValueRule] = {
    "itunes:type": (("episodic", "serial"), "apple", "episodic or serial"),
    "podcast:locked": (("yes", "no"), "podcast", "yes or no"),
    "podcast:medium": (MEDIUMS, "podcast", "a podcast:medium value such as podcast or music"),
}
ITEM_VALUES: dict[str, ValueRule] = {
    "itunes:episodeType": (("full", "trailer", "bonus"), "apple", "full, trailer or bonus"),
    "itunes:episode": (_WHOLE, "apple", "a positive whole number"),
    "itunes:season": (_WHOLE, "apple", "a positive whole number"),
    "podcast:season": (re.compile(r"[0-9]+"), "podcast", "a whole number"),
    "podcast:episode": (re.compile(r"[0-9]+(\.[0-9]+)?"), "podcast", "a number"),
}
EXPLICIT_VALUES = ("true", "false")
LEGACY_EXPLICIT_VALUES = ("yes", "no", "clean")
#: Flags where only "Yes" does anything (Apple ignores every other value).
CHANNEL_FLAGS = ("itunes:block", "itunes:complete")
ITEM_FLAGS = ("itunes:block",)

#: Enclosure media types by file extension: the first is the one to recommend.
MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    ".mp3": ("audio/mpeg",),
    ".m4a": ("audio/x-m4a", "audio/mp4"),
    ".m4b": ("audio/x-m4b", "audio/mp4"),
    ".mp4": ("video/mp4", "audio/mp4"),
    ".m4v": ("video/x-m4v", "video/mp4"),
    ".mov": ("video/quicktime",),
    ".aac": ("audio/aac", "audio/x-aac"),
    ".ogg": ("audio/ogg", "video/ogg"),
    ".oga": ("audio/ogg",),
    ".opus": ("audio/opus", "audio/ogg"),
    ".flac": ("audio/flac", "audio/x-flac"),
    ".wav": ("audio/wav", "audio/x-wav", "audio/wave"),
    ".webm": ("audio/webm", "video/webm"),
    ".pdf": ("application/pdf",),
}
KNOWN_MEDIA_TYPES = frozenset(t for types in MEDIA_TYPES.values() for t in types)
TRANSCRIPT_TYPES = (
    "text/vtt", "application/x-subrip", "application/srt", "application/json", "text/html",
    "text/plain",
)
CHAPTERS_TYPE = "application/json+chapters"
#: Podcasting 2.0 link attributes: element -> (required URL attributes, optional ones).
URL_ATTRIBUTES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "podcast:funding": (("url",), ()),
    "podcast:person": ((), ("href", "img")),
    "podcast:transcript": (("url",), ()),
    "podcast:chapters": (("url",), ()),
}
#: Podcast Taxonomy Project groups and roles for podcast:person (compared case-insensitively).
PERSON_GROUPS = frozenset({
    "creative direction", "cast", "writing", "audio production", "audio post-production",
    "administration", "visuals", "community", "misc.", "misc", "video production",
    "video post-production",
})
PERSON_ROLES = frozenset({
    "director", "assistant director", "executive producer", "senior producer", "producer",
    "associate producer", "development producer", "creative director", "host", "co-host",
    "guest host", "guest", "voice actor", "narrator", "announcer", "reporter", "author",
    "editorial director", "co-writer", "writer", "songwriter", "guest writer", "story editor",
    "managing editor", "script editor", "script coordinator", "researcher", "editor",
    "fact checker", "translator", "translater", "transcriber", "logger", "studio coordinator",
    "technical director", "technical manager", "audio engineer", "remote recording engineer",
    "post production engineer", "audio editor", "sound designer", "foley artist", "composer",
    "theme music", "music production", "music contributor", "production coordinator",
    "booking coordinator", "production assistant", "content manager", "marketing manager",
    "sales representative", "sales manager", "graphic designer", "cover art designer",
    "social media manager", "consultant", "intern", "camera operator", "lighting designer",
    "camera grip", "assistant camera", "assistant editor",
})

_DURATION = re.compile(r"[0-9]+(:[0-5]?[0-9]){0,2}")
_FRACTIONAL_DURATION = re.compile(r"[0-9]+(:[0-5]?[0-9]){0,2}\.[0-9]+")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_CONTROL = re.compile("[\x7f-\x9f]")
_ENTITY_DECLARATION = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.IGNORECASE)
_UNDECLARED_PREFIX = re.compile(r"Namespace prefix (\S+) (?:on|for) \S+ is not defined")


@dataclass(frozen=True, order=True)
class Finding:
    """One problem found in a feed: where it is, which rule set says so, and what to do."""

    level: str  # "error" (a directory rejects the feed or apps break) or "warning"
    where: str  # "feed", "channel", or "item 3 'Title'" (1-based)
    rule: str  # "rss", "apple", "psp-1" or "podcast" (Podcasting 2.0)
    message: str  # one line: what is wrong and what to do

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: [{self.rule}] {self.message}"


def has_errors(findings: list[Finding]) -> bool:
    """Tell whether any finding is an error, i.e. whether the feed should not be published."""
    return any(finding.level == ERROR for finding in findings)


# --- reading and parsing -----------------------------------------------------------------------


def read_feed(
    location: str, *, max_bytes: int = 50 * 1024 * 1024, timeout: float = 20.0
) -> bytes:
    """Return the bytes of the feed at a local path or http(s) URL, refusing oversized ones.

    A URL is fetched with one GET (warcast's User-Agent, ``timeout`` seconds); anything that
    cannot be read, or is larger than ``max_bytes``, is a FeedError.
    """
    scheme = urlsplit(location).scheme.lower()
    if scheme in ("http", "https"):
        data = _http_get(location, limit=max_bytes, timeout=timeout)
    elif "://" in location:
        raise FeedError(f"{location}: cannot read a '{scheme}' URL", hint="Use http(s) or a path")
    else:
        data = _read_file(Path(location), max_bytes)
    if len(data) > max_bytes:
        raise FeedError(
            f"{_label(location)}feed is larger than {max_bytes} bytes",
            path=_path_or_none(location), hint="Check that this is a podcast feed",
        )
    return data


def _read_file(path: Path, max_bytes: int) -> bytes:
    """Read at most ``max_bytes + 1`` bytes of a local feed file."""
    try:
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)
    except OSError as exc:
        raise FeedError(f"cannot read the feed: {exc.strerror or exc}", path=path) from exc


def _http_get(url: str, *, limit: int, timeout: float) -> bytes:
    """GET ``url`` and return at most ``limit + 1`` bytes of its body."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise FeedError(f"{url}: the server answered {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise FeedError(
            f"{url}: cannot be reached ({reason})", hint="Check the URL and your connection"
        ) from exc


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
    head = data[:65536]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
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
    undeclared = _UNDECLARED_PREFIX.search(message)
    if undeclared:
        prefix = undeclared.group(1)
        uri = NAMESPACES.get(prefix, "its namespace URI")
        return f'Declare xmlns:{prefix}="{uri}" on <rss>'
    if "Char value" in message or "xmlChar" in message:
        return "Remove the control characters; XML does not allow them"
    return "Fix the XML at that line, or ask the feed's publisher to"


def _feed_error(source: str, message: str, hint: str) -> FeedError:
    """Build the FeedError for ``source``, which may be a URL that Path would mangle."""
    return FeedError(f"{_label(source)}{message}", path=_path_or_none(source), hint=hint)


def _label(source: str) -> str:
    """Prefix a message with a URL source, which cannot go into FeedError's path."""
    return f"{source}: " if "://" in source else ""


def _path_or_none(source: str) -> str | None:
    return None if "://" in source else source


# --- the validator -----------------------------------------------------------------------------


@dataclass
class _Context:
    """What the checks share while walking one feed."""

    channel: _Element
    ns: dict[str, str]
    locate: Callable[[str], Path | None] | None
    fetch_remote: bool
    now: datetime
    self_url: str = ""
    guids: dict[str, int] = field(default_factory=dict)
    enclosures: dict[str, int] = field(default_factory=dict)


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
    ctx = _Context(channels[0], ns, locate, fetch_remote, datetime.now(UTC))
    findings += _check_channel(ctx)
    for index, item in enumerate(ctx.channel.findall("item"), start=1):
        findings += _check_item(item, index, ctx)
    return findings


def _namespace_map(declared: set[str]) -> dict[str, str]:
    """Return the prefix map for lookups, with the podcast prefix on the URI this feed uses."""
    legacy = PODCAST_LEGACY_NS in declared and PODCAST_NS not in declared
    return {**NAMESPACES, "podcast": PODCAST_LEGACY_NS if legacy else PODCAST_NS}


def _declared_namespaces(root: _Element) -> set[str]:
    """Every namespace URI declared on ``<rss>`` or used by an element."""
    used = {el.tag[1:].split("}")[0] for el in root.iter() if _is_element(el) and el.tag[0] == "{"}
    return used | {uri for uri in root.nsmap.values() if uri}


def _check_root(root: _Element, declared: set[str]) -> Iterator[Finding]:
    """Feed-wide rules: RSS version, one channel, the namespace declarations."""
    version = root.get("version")
    if version != "2.0":
        said = f"version '{version}'" if version is not None else "no version attribute"
        yield _error("feed", "rss", f'<rss> has {said}; write <rss version="2.0">')
    count = len(root.findall("channel"))
    if count != 1:
        yield _error("feed", "rss", f"<rss> has {count} <channel> elements; it needs exactly one")
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
        return _warning(
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
        return _error(
            "feed", rule, f'no {prefix} namespace; add xmlns:{prefix}="{expected}" to <rss>'
        )
    return None


def _check_channel(ctx: _Context) -> list[Finding]:
    """Run every channel rule, in a fixed order."""
    channel, where = ctx.channel, "channel"
    self_link = _self_link(ctx)
    ctx.self_url = (self_link.get("href") or "").strip() if self_link is not None else ""
    checks: list[Iterator[Finding]] = [
        _check_required(channel, where, ctx.ns, CHANNEL_REQUIRED),
        _check_single(channel, where, ctx.ns, CHANNEL_SINGLE),
        _check_self_link(self_link),
        _check_channel_link(channel),
        _check_limits(channel, where, ctx.ns, CHANNEL_LIMITS),
        _check_language(channel),
        _check_dates(channel, where, ("pubDate", "lastBuildDate"), ctx.now),
        _check_channel_image(ctx),
        _check_categories(channel, ctx.ns),
        _check_explicit(channel, where, ctx.ns),
        _check_owner(channel, ctx.ns),
        _check_values(channel, where, ctx.ns, CHANNEL_VALUES),
        _check_flags(channel, where, ctx.ns, CHANNEL_FLAGS),
        _check_serial(channel, ctx.ns),
        _check_podcast_guid(ctx),
        _check_locked_owner(channel, ctx.ns),
        _check_url_attributes(channel, where, ctx.ns),
        _check_persons(channel, where, ctx.ns),
        _check_control_characters(channel, where, skip_items=True),
    ]
    return [finding for check in checks for finding in check]


def _check_item(item: _Element, index: int, ctx: _Context) -> list[Finding]:
    """Run every item rule, in a fixed order."""
    ns, where = ctx.ns, _item_where(index, item, ctx)
    checks: list[Iterator[Finding]] = [
        _check_required(item, where, ns, ITEM_REQUIRED),
        _check_single(item, where, ns, ITEM_SINGLE),
        _check_guid(item, index, where, ctx),
        _check_dates(item, where, ("pubDate",), ctx.now),
        _check_item_link(item, where),
        _check_limits(item, where, ns, ITEM_LIMITS),
        _check_enclosure(item, index, where, ctx),
        _check_duration(item, where, ns),
        _check_explicit(item, where, ns),
        _check_values(item, where, ns, ITEM_VALUES),
        _check_flags(item, where, ns, ITEM_FLAGS),
        _check_item_image(item, where, ctx),
        _check_url_attributes(item, where, ns),
        _check_transcripts(item, where, ctx),
        _check_chapters(item, where, ctx),
        _check_persons(item, where, ns),
        _check_control_characters(item, where, skip_items=False),
    ]
    return [finding for check in checks for finding in check]


# --- generic, table-driven checks ---------------------------------------------------------------


def _check_required(
    scope: _Element, where: str, ns: dict[str, str], table: tuple[Requirement, ...]
) -> Iterator[Finding]:
    """Report required or recommended elements that are missing or empty."""
    for name, rule, level, fix in table:
        element = _find(scope, name, ns)
        if element is None:
            yield Finding(level, where, rule, f"no <{name}>; {fix}")
        elif not _present(element):
            yield Finding(level, where, rule, f"<{name}> is empty; {fix}")


def _check_single(
    scope: _Element, where: str, ns: dict[str, str], names: tuple[str, ...]
) -> Iterator[Finding]:
    """Report elements given more than once where apps read only one."""
    for name in names:
        count = len(_findall(scope, name, ns))
        if count > 1:
            yield _warning(where, _rule_for(name), f"<{name}> appears {count} times; keep one")


def _check_limits(
    scope: _Element, where: str, ns: dict[str, str], table: tuple[Limit, ...]
) -> Iterator[Finding]:
    """Report text longer than the spec allows."""
    for name, limit, unit, rule, level in table:
        for element in _findall(scope, name, ns):
            text = _text(element)
            size = len(text.encode("utf-8")) if unit == "bytes" else len(text)
            if size > limit:
                yield Finding(
                    level, where, rule, f"<{name}> is {size} {unit}; shorten it to {limit}"
                )


def _check_values(
    scope: _Element,
    where: str,
    ns: dict[str, str],
    table: dict[str, ValueRule],
) -> Iterator[Finding]:
    """Report enumerated or numeric elements with a value outside what is allowed."""
    for name, (allowed, rule, wanted) in table.items():
        for element in _findall(scope, name, ns):
            value = _text(element)
            if not value:
                continue  # an empty element says nothing; required ones are reported as such
            if isinstance(allowed, re.Pattern):
                ok = allowed.fullmatch(value) is not None
            else:
                ok = value in allowed
            if not ok:
                yield _error(where, rule, f"<{name}> is '{value}'; use {wanted}")


def _check_flags(
    scope: _Element, where: str, ns: dict[str, str], names: tuple[str, ...]
) -> Iterator[Finding]:
    """Warn about yes-only flags set to something else, which Apple ignores."""
    for name in names:
        for element in _findall(scope, name, ns):
            value = _text(element)
            if value.lower() != "yes":
                yield _warning(
                    where, "apple", f"<{name}> is '{value}', but only 'Yes' has an effect; "
                    "remove the element instead",
                )


def _check_dates(
    scope: _Element, where: str, names: tuple[str, ...], now: datetime
) -> Iterator[Finding]:
    """Report dates that are not RFC 2822 with a zone, or far in the future."""
    for name in names:
        for element in scope.findall(name):
            problem = _date_problem(_text(element), now)
            if problem is not None:
                level, text = problem
                yield Finding(level, where, "rss", f"<{name}> {text}")


def _date_problem(value: str, now: datetime) -> tuple[str, str] | None:
    """Return (level, what is wrong) for an RSS date, or None if it is fine."""
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        example = "Wed, 07 Oct 2020 04:30:38 GMT"
        return ERROR, f"'{value}' is not an RFC 2822 date; write e.g. '{example}'"
    if when.tzinfo is None:
        return ERROR, f"'{value}' has no time zone; add one, e.g. +0000"
    if when > now + FUTURE_TOLERANCE:
        return WARNING, f"'{value}' is in the future; check the date and its time zone"
    return None


def _check_url_attributes(scope: _Element, where: str, ns: dict[str, str]) -> Iterator[Finding]:
    """Report Podcasting 2.0 link attributes that are missing or not http(s) URLs."""
    for name, (required, optional) in URL_ATTRIBUTES.items():
        for element in _findall(scope, name, ns):
            for attribute in (*required, *optional):
                value = element.get(attribute)
                if value is None and attribute not in required:
                    continue
                if value is None:
                    yield _error(where, "podcast", f"<{name}> has no {attribute} attribute")
                elif not _is_http_url(value):
                    yield _error(
                        where, "podcast", f"<{name}> {attribute} '{value}' is not an http(s) URL"
                    )


def _check_control_characters(
    scope: _Element, where: str, *, skip_items: bool
) -> Iterator[Finding]:
    """Report the first C1 control character, the mark of text mis-decoded from Windows-1252."""
    for child in scope.iterchildren():
        if skip_items and child.tag == "item":
            continue
        for element in child.iter():
            for text in _texts_of(element):
                match = _CONTROL.search(text)
                if match:
                    code = f"U+{ord(match.group()):04X}"
                    yield _warning(
                        where, "rss", f"<{_name(element)}> contains control character {code}; "
                        "the text was probably pasted from Windows-1252, retype or re-encode it",
                    )
                    return


# --- channel rules ------------------------------------------------------------------------------


def _self_link(ctx: _Context) -> _Element | None:
    """The channel's ``atom:link rel="self"``, if any."""
    for link in _findall(ctx.channel, "atom:link", ctx.ns):
        if link.get("rel") == "self":
            return link
    return None


def _check_self_link(link: _Element | None) -> Iterator[Finding]:
    """PSP-1 requires the feed to state its own canonical URL."""
    if link is None:
        yield _error(
            "channel", "psp-1", 'no <atom:link rel="self">; add <atom:link href="FEED URL" '
            'rel="self" type="application/rss+xml"/>',
        )
        return
    href = link.get("href") or ""
    if not _is_http_url(href):
        yield _error("channel", "psp-1", f"<atom:link rel=\"self\"> href '{href}' is not a URL")
    if link.get("type") != "application/rss+xml":
        yield _warning(
            "channel", "psp-1", '<atom:link rel="self"> should have type="application/rss+xml"'
        )


def _check_channel_link(channel: _Element) -> Iterator[Finding]:
    """The channel link is the show's website."""
    link = _text(channel.find("link"))
    if link and not _is_http_url(link):
        yield _warning("channel", "rss", f"<link> '{link}' is not an http(s) URL")


def _check_language(channel: _Element) -> Iterator[Finding]:
    """The language should be an ISO 639 / BCP 47 code such as en or en-us."""
    language = _text(channel.find("language"))
    if language and not _LANGUAGE.fullmatch(language):
        yield _warning(
            "channel", "psp-1", f"<language> '{language}' is not a language code; use e.g. en-us"
        )


def _check_channel_image(ctx: _Context) -> Iterator[Finding]:
    """Apple needs an href to square RGB JPEG/PNG artwork of 1400–3000 pixels."""
    image = _find(ctx.channel, "itunes:image", ctx.ns)
    if image is None or not _present(image):
        return  # reported as missing or empty already
    href = yield from _check_image_href(image, "channel", ERROR)
    if href:
        yield from _check_artwork(href, "channel", ctx, allow_fetch=True)


def _check_image_href(
    image: _Element, where: str, level: str
) -> Generator[Finding, None, str]:
    """Check an itunes:image href; return the href when it is worth looking at the file."""
    href = (image.get("href") or "").strip()
    if not href:
        how = " (Apple ignores a URL given as text)" if _text(image) else ""
        yield Finding(level, where, "apple", f"<itunes:image> has no href attribute{how}")
        return ""
    if not _is_http_url(href):
        yield Finding(level, where, "apple", f"<itunes:image> href '{href}' is not an http(s) URL")
        return ""
    if not urlsplit(href).path.lower().endswith(tuple(ARTWORK_SUFFIX_FORMATS)):
        yield _warning(where, "apple", f"artwork URL '{href}' should end in .jpg, .jpeg or .png")
    return href


def _check_artwork(href: str, where: str, ctx: _Context, *, allow_fetch: bool) -> Iterator[Finding]:
    """Look at the artwork's pixels when the file can be had (locally or by one GET)."""
    data = yield from _artwork_bytes(href, where, ctx, allow_fetch=allow_fetch)
    if data is None:
        return
    info = image_info(data)
    suffix = Path(urlsplit(href).path).suffix.lower()
    named = ARTWORK_SUFFIX_FORMATS.get(suffix)
    if info is not None and named and named != info.format:
        kind = info.format.upper()
        yield _error(where, "apple", f"artwork {href} is a {kind} file named {suffix}")
    problem = artwork_problem(info)
    if problem:
        yield _error(where, "apple", f"artwork {href} {problem}")




def _artwork_bytes(
    href: str, where: str, ctx: _Context, *, allow_fetch: bool
) -> Generator[Finding, None, bytes | None]:
    """Return the head of the artwork file, or None when it cannot or may not be had."""
    path = _locate(href, ctx)
    if path is not None:
        try:
            with path.open("rb") as handle:
                return handle.read(ARTWORK_HEAD_BYTES)
        except OSError as exc:
            yield _error(where, "apple", f"artwork {href} cannot be read at {path}: {exc.strerror}")
            return None
    if not (allow_fetch and ctx.fetch_remote):
        return None
    try:
        return _http_get(href, limit=ARTWORK_HEAD_BYTES, timeout=ARTWORK_TIMEOUT)
    except FeedError as exc:
        yield _warning(where, "apple", f"could not download the artwork to check it: {exc.message}")
        return None


def _check_categories(channel: _Element, ns: dict[str, str]) -> Iterator[Finding]:
    """Every category and subcategory must be on Apple's list."""
    for category in _findall(channel, "itunes:category", ns):
        subcategories = _findall(category, "itunes:category", ns) or [None]
        for sub in subcategories:
            text = category.get("text") or ""
            reason = check_category(text, None if sub is None else sub.get("text") or "")
            if reason:
                yield _error("channel", "apple", f"<itunes:category> {reason}")


def _check_explicit(scope: _Element, where: str, ns: dict[str, str]) -> Iterator[Finding]:
    """itunes:explicit takes true or false; yes/no/clean are the old values."""
    value = _text(_find(scope, "itunes:explicit", ns))
    if not value or value.lower() in EXPLICIT_VALUES:
        return
    if value.lower() in LEGACY_EXPLICIT_VALUES:
        yield _warning(where, "apple", f"<itunes:explicit> is '{value}'; use true or false")
    else:
        yield _error(where, "apple", f"<itunes:explicit> is '{value}'; use true or false")


def _check_owner(channel: _Element, ns: dict[str, str]) -> Iterator[Finding]:
    """Apple mails the owner address to verify the show."""
    owner = _find(channel, "itunes:owner", ns)
    if owner is not None and not _text(_find(owner, "itunes:email", ns)):
        yield _warning(
            "channel", "apple", "<itunes:owner> has no <itunes:email>; add the owner's address"
        )


def _check_serial(channel: _Element, ns: dict[str, str]) -> Iterator[Finding]:
    """A serial show is listened to in order, so its episodes need numbers."""
    if _text(_find(channel, "itunes:type", ns)) != "serial":
        return
    missing = [i for i in channel.findall("item") if not _text(_find(i, "itunes:episode", ns))]
    if missing:
        yield _warning(
            "channel", "apple",
            f"serial show, but {len(missing)} item(s) have no <itunes:episode>; number them",
        )


def _check_podcast_guid(ctx: _Context) -> Iterator[Finding]:
    """podcast:guid is a UUIDv5 of the feed URL (scheme and trailing slashes stripped)."""
    element = _find(ctx.channel, "podcast:guid", ctx.ns)
    value = _text(element)
    if not value:
        return
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        yield _error("channel", "podcast", f"<podcast:guid> '{value}' is not a UUID; use a UUIDv5")
        return
    if parsed.version != 5:
        yield _error(
            "channel", "podcast", f"<podcast:guid> is a version {parsed.version} UUID; "
            "it must be a UUIDv5 of the feed URL",
        )
    elif ctx.self_url and parsed != _podcast_guid_for(ctx.self_url):
        yield _warning(
            "channel", "podcast", f"<podcast:guid> is not the UUIDv5 of {ctx.self_url} "
            f"({_podcast_guid_for(ctx.self_url)}); fine if it was derived from an earlier feed "
            "URL, never change an assigned guid",
        )


def _podcast_guid_for(feed_url: str) -> uuid.UUID:
    """Return the podcast:guid that Podcasting 2.0 derives from a feed URL."""
    bare = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return uuid.uuid5(PODCAST_GUID_NAMESPACE, bare)


def _check_locked_owner(channel: _Element, ns: dict[str, str]) -> Iterator[Finding]:
    """podcast:locked should name the owner address that may unlock it."""
    locked = _find(channel, "podcast:locked", ns)
    if locked is not None and not locked.get("owner"):
        yield _warning(
            "channel", "podcast", "<podcast:locked> has no owner attribute; add the owner's email"
        )


def _check_persons(scope: _Element, where: str, ns: dict[str, str]) -> Iterator[Finding]:
    """podcast:person needs a name; role and group should come from the podcast taxonomy."""
    for person in _findall(scope, "podcast:person", ns):
        if not _text(person):
            yield _error(where, "podcast", "<podcast:person> has no name")
        for attribute, known in (("role", PERSON_ROLES), ("group", PERSON_GROUPS)):
            value = person.get(attribute)
            if value is not None and value.strip().lower() not in known:
                yield _warning(
                    where, "podcast", f"<podcast:person> {attribute} '{value}' is not in the "
                    "Podcast Taxonomy; apps may not recognise it",
                )


# --- item rules ---------------------------------------------------------------------------------


def _item_where(index: int, item: _Element, ctx: _Context) -> str:
    """Name an item for messages: its 1-based position and (shortened) title."""
    title = _text(item.find("title")) or _text(_find(item, "itunes:title", ctx.ns))
    if not title:
        return f"item {index}"
    if len(title) > 60:
        title = title[:59] + "…"
    return f"item {index} '{title}'"


def _check_guid(item: _Element, index: int, where: str, ctx: _Context) -> Iterator[Finding]:
    """Every episode needs its own guid; apps use it to tell episodes apart."""
    guid = _text(item.find("guid"))
    if not guid:
        return
    first = ctx.guids.setdefault(guid, index)
    if first != index:
        yield _error(
            where, "rss", f"guid '{guid}' is also used by item {first}; give each episode its own"
        )


def _check_item_link(item: _Element, where: str) -> Iterator[Finding]:
    """An item link is a web page about the episode."""
    link = _text(item.find("link"))
    if link and not _is_http_url(link):
        yield _warning(where, "rss", f"<link> '{link}' is not an http(s) URL")


def _check_enclosure(
    item: _Element, index: int, where: str, ctx: _Context
) -> Iterator[Finding]:
    """The enclosure is the episode: an http(s) URL, its exact byte length, its media type."""
    enclosure = item.find("enclosure")
    if enclosure is None:
        return
    url = (enclosure.get("url") or "").strip()
    if not url:
        yield _error(where, "apple", "enclosure has no url attribute")
    elif not _is_http_url(url):
        yield _error(where, "apple", f"enclosure url '{url}' is not an http(s) URL")
    else:
        yield from _check_duplicate_enclosure(url, index, where, ctx)
    length = yield from _check_enclosure_length(enclosure.get("length"), where)
    yield from _check_enclosure_type(enclosure.get("type"), url, where)
    path = _locate(url, ctx) if url else None
    if path is not None:
        yield from _check_enclosure_file(path, length, where)


def _check_duplicate_enclosure(
    url: str, index: int, where: str, ctx: _Context
) -> Iterator[Finding]:
    """The same media file under two episodes is usually a copy-paste slip."""
    first = ctx.enclosures.setdefault(url, index)
    if first != index:
        yield _warning(where, "rss", f"enclosure {url} is also used by item {first}")


def _check_enclosure_length(
    value: str | None, where: str
) -> Generator[Finding, None, int | None]:
    """Apple needs the file size in bytes; return it when it is a positive integer."""
    if value is None or not value.strip():
        yield _error(where, "apple", "enclosure has no length attribute; set it to the file size")
        return None
    if not value.strip().isdigit() or int(value) == 0:
        yield _error(
            where, "apple", f"enclosure length '{value}' is not a positive number of bytes"
        )
        return None
    return int(value)


def _check_enclosure_type(value: str | None, url: str, where: str) -> Iterator[Finding]:
    """The media type must be present and match the file extension."""
    if not value:
        yield _error(where, "apple", "enclosure has no type attribute; set e.g. audio/mpeg")
        return
    media_type = value.split(";")[0].strip().lower()
    suffix = Path(urlsplit(url).path).suffix.lower()
    expected = MEDIA_TYPES.get(suffix)
    if expected and media_type not in expected:
        yield _error(
            where, "apple", f"enclosure type is {value} but a {suffix} file is {expected[0]}"
        )
    elif not expected and media_type not in KNOWN_MEDIA_TYPES:
        yield _warning(
            where, "apple", f"enclosure type {value} is not a known podcast audio/video type"
        )


def _check_enclosure_file(path: Path, length: int | None, where: str) -> Iterator[Finding]:
    """The declared length must be the real size of the staged file."""
    try:
        size = path.stat().st_size
    except OSError:
        yield _error(where, "rss", f"enclosure file is missing at {path}")
        return
    if length is not None and size != length:
        yield _error(
            where, "rss", f"enclosure length is {length} but {path.name} is {size} bytes"
        )


def _check_duration(item: _Element, where: str, ns: dict[str, str]) -> Iterator[Finding]:
    """itunes:duration is whole seconds or [HH:]MM:SS."""
    for element in _findall(item, "itunes:duration", ns):
        value = _text(element)
        if _DURATION.fullmatch(value):
            continue
        if _FRACTIONAL_DURATION.fullmatch(value):
            yield _warning(where, "apple", f"<itunes:duration> '{value}' has fractions; round it")
        else:
            yield _error(
                where, "apple", f"<itunes:duration> '{value}' is not seconds or HH:MM:SS"
            )


def _check_item_image(item: _Element, where: str, ctx: _Context) -> Iterator[Finding]:
    """Episode artwork follows the channel rules, but a bad one only loses the episode art."""
    image = _find(item, "itunes:image", ctx.ns)
    if image is None:
        return
    href = yield from _check_image_href(image, where, WARNING)
    if href:
        yield from _check_artwork(href, where, ctx, allow_fetch=False)


def _check_transcripts(item: _Element, where: str, ctx: _Context) -> Iterator[Finding]:
    """podcast:transcript needs a known type; a staged transcript file must exist."""
    for transcript in _findall(item, "podcast:transcript", ctx.ns):
        media_type = transcript.get("type")
        if not media_type:
            yield _error(where, "podcast", "<podcast:transcript> has no type attribute")
        elif media_type not in TRANSCRIPT_TYPES:
            yield _error(
                where, "podcast", f"<podcast:transcript> type '{media_type}' is not one of "
                + ", ".join(TRANSCRIPT_TYPES),
            )
        rel = transcript.get("rel")
        if rel is not None and rel != "captions":
            yield _warning(where, "podcast", f"<podcast:transcript> rel '{rel}' is not 'captions'")
        yield from _check_staged_file(transcript.get("url"), "transcript", where, ctx)


def _check_staged_file(url: str | None, what: str, where: str, ctx: _Context) -> Iterator[Finding]:
    path = _locate(url, ctx) if url else None
    if path is not None and not path.is_file():
        yield _error(where, "podcast", f"{what} file {url} is missing (expected at {path})")


def _check_chapters(item: _Element, where: str, ctx: _Context) -> Iterator[Finding]:
    """podcast:chapters points at JSON chapters; a staged chapters file must be valid."""
    for chapters in _findall(item, "podcast:chapters", ctx.ns):
        media_type = chapters.get("type")
        if media_type == "application/json":
            yield _warning(where, "podcast", f"<podcast:chapters> type should be {CHAPTERS_TYPE}")
        elif media_type != CHAPTERS_TYPE:
            yield _error(where, "podcast", f"<podcast:chapters> type must be {CHAPTERS_TYPE}")
        url = chapters.get("url")
        path = _locate(url, ctx) if url else None
        if path is None:
            continue
        problem = _chapters_problem(path)
        if problem:
            yield _error(where, "podcast", f"chapters file {path.name} {problem}")


def _chapters_problem(path: Path) -> str | None:
    """Say what is wrong with a JSON chapters file, or None if it is sound."""
    try:
        document = json.loads(path.read_bytes())
    except OSError:
        return "is missing"
    except ValueError as exc:
        return f"is not valid JSON ({exc})"
    if not isinstance(document, dict) or not isinstance(document.get("version"), str):
        return 'has no "version" string'
    chapters = document.get("chapters")
    if not isinstance(chapters, list):
        return 'has no "chapters" list'
    return _chapter_list_problem(chapters)


def _chapter_list_problem(chapters: list[object]) -> str | None:
    """Check each chapter: a numeric startTime, in ascending order, and a string title."""
    previous = 0.0
    for number, chapter in enumerate(chapters, start=1):
        if not isinstance(chapter, dict):
            return f"chapter {number} is not an object"
        start = chapter.get("startTime")
        if isinstance(start, bool) or not isinstance(start, int | float):
            return f"chapter {number} has no numeric startTime"
        if start < previous:
            return f"chapter {number} starts at {start}, before the chapter above it"
        if "title" in chapter and not isinstance(chapter["title"], str):
            return f"chapter {number} title is not a string"
        previous = start
    return None


# --- small helpers ------------------------------------------------------------------------------


def _error(where: str, rule: str, message: str) -> Finding:
    return Finding(ERROR, where, rule, message)


def _warning(where: str, rule: str, message: str) -> Finding:
    return Finding(WARNING, where, rule, message)


def _rule_for(name: str) -> str:
    """The rule set an element belongs to, from its prefix."""
    prefix = name.split(":")[0] if ":" in name else ""
    return {"itunes": "apple", "podcast": "podcast", "atom": "psp-1"}.get(prefix, "rss")


def _find(scope: _Element | None, name: str, ns: dict[str, str]) -> _Element | None:
    return None if scope is None else scope.find(name, namespaces=ns)


def _findall(scope: _Element, name: str, ns: dict[str, str]) -> list[_Element]:
    return scope.findall(name, namespaces=ns)


def _text(element: _Element | None) -> str:
    return "" if element is None else (element.text or "").strip()


def _present(element: _Element) -> bool:
    """An element counts as given when it has text, children or value-carrying attributes."""
    return bool(_text(element) or len(element) or set(element.attrib) - QUALIFIER_ATTRIBUTES)


def _is_element(node: _Element) -> bool:
    return isinstance(node.tag, str)


def _texts_of(element: _Element) -> Iterator[str]:
    if _is_element(element):
        yield element.text or ""
        yield from element.attrib.values()


def _name(element: _Element) -> str:
    """The element's name with the prefix the messages use."""
    tag = element.tag
    if not tag.startswith("{"):
        return tag
    uri, local = tag[1:].split("}")
    prefixes = {v: k for k, v in NAMESPACES.items()} | {PODCAST_LEGACY_NS: "podcast"}
    return f"{prefixes[uri]}:{local}" if uri in prefixes else local


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _locate(url: str, ctx: _Context) -> Path | None:
    """The local copy of a URL's file, when the caller knows one."""
    return ctx.locate(url.strip()) if ctx.locate is not None else None
