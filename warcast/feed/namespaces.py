"""The XML namespaces of podcast feeds: one table that the feed, validation and imports read.

Each prefix has one canonical URI (the one warcast writes and the rules expect); feeds in the
wild also use variants (http for https, no ``www``, a trailing slash, other capitals, and the
Podcasting 2.0 namespace's first, GitHub, address), listed here once.
"""

from __future__ import annotations

#: The canonical URI of every prefix warcast knows, in the order declarations are written.
URIS: dict[str, str] = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "psc": "http://podlove.org/simple-chapters",
    "media": "http://search.yahoo.com/mrss/",
    "googleplay": "http://www.google.com/schemas/play-podcasts/1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "sy": "http://purl.org/rss/1.0/modules/syndication/",
}

#: Where the Podcasting 2.0 namespace was first published (feeds still declare it).
PODCAST_LEGACY = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"

#: Other spellings of a URI seen in feeds, by prefix.
_VARIANTS: dict[str, tuple[str, ...]] = {
    "itunes": ("https://www.itunes.com/dtds/podcast-1.0.dtd",
               "http://itunes.com/dtds/podcast-1.0.dtd"),
    "podcast": ("http://podcastindex.org/namespace/1.0", PODCAST_LEGACY),
}

#: The prefixes the feed's own extensions write, and those the validation rules look in.
FEED_PREFIXES = ("itunes", "podcast")
RULE_PREFIXES = ("itunes", "podcast", "atom", "content")


def subset(*prefixes: str) -> dict[str, str]:
    """``prefix -> canonical URI`` for ``prefixes``, in that order."""
    return {prefix: URIS[prefix] for prefix in prefixes}


def normal(uri: str) -> str:
    """How a URI is compared: lower case, without a trailing slash."""
    return uri.lower().rstrip("/")


#: Every URI feeds use (normalised with :func:`normal`) -> the prefix warcast reads it as.
PREFIXES: dict[str, str] = {
    normal(uri): prefix
    for prefix in ("itunes", "podcast", "content", "atom", "psc", "media", "googleplay")
    for uri in (URIS[prefix], *_VARIANTS.get(prefix, ()))
}

#: The Podcasting 2.0 URIs that are not the canonical one (normalised).
LEGACY_PODCAST = frozenset(normal(uri) for uri in _VARIANTS["podcast"])
