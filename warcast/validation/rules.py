"""The rules as data: required elements, limits, allowed values, media types, taxonomy.

Sources: RSS 2.0, Apple Podcasts, the Podcast Standards Project's PSP-1 and the Podcasting 2.0
namespace. The checks read these tables; changing a rule means changing a row here.
"""

from __future__ import annotations

import re
from datetime import timedelta

from warcast.audio.probe import MEDIA_TYPES
from warcast.feed.namespaces import PODCAST_LEGACY, RULE_PREFIXES, URIS, subset
from warcast.validation.findings import ERROR, WARNING

#: A required element: element name, rule set, level when missing, what to do.
Requirement = tuple[str, str, str, str]
#: A text limit: element name, limit, unit ("bytes" of UTF-8 or "characters"), rule, level.
Limit = tuple[str, int, str, str, str]
#: Allowed values (an enumeration or a pattern), rule set, how to say what is wanted.
ValueRule = tuple[tuple[str, ...] | re.Pattern[str], str, str]

PODCAST_NS = URIS["podcast"]
PODCAST_LEGACY_NS = PODCAST_LEGACY

#: The namespaces the rules look in, by the prefix that messages use for them.
NAMESPACES: dict[str, str] = subset(*RULE_PREFIXES)
#: Namespaces PSP-1 requires to be declared on ``<rss>``.
PSP1_NAMESPACES = ("itunes", "podcast", "atom")
#: The rule set an element belongs to, by its prefix (no prefix: RSS).
PREFIX_RULES = {"itunes": "apple", "podcast": "podcast", "atom": "psp-1"}

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
#: ``itunes:duration``: whole seconds or [HH:]MM:SS; fractions are tolerated with a warning.
DURATION = re.compile(r"[0-9]+(:[0-5]?[0-9]){0,2}")
FRACTIONAL_DURATION = re.compile(r"[0-9]+(:[0-5]?[0-9]){0,2}\.[0-9]+")
#: An ISO 639 / BCP 47 language code such as en or en-us.
LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
#: C1 control characters: the mark of text mis-decoded from Windows-1252.
CONTROL_CHARACTER = re.compile("[\x7f-\x9f]")

#: Enclosure media types by file extension come from ``warcast.audio.probe.MEDIA_TYPES`` (imported
#: above: one table for what warcast publishes and what any feed may use); these are all of them.
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
