"""Feed linting: check an RSS podcast feed, ours or anyone's, against what apps expect.

The rules come from RSS 2.0, Apple Podcasts, the Podcast Standards Project's PSP-1 and the
Podcasting 2.0 namespace (their tables are in :mod:`~warcast.validation.rules`).
:func:`validate_feed` returns :class:`Finding` objects in document order: errors where a
directory would reject the feed or apps break, warnings for recommendations. A feed that
cannot be read at all (not XML, an XML bomb, not RSS, too big, unreachable) raises
:class:`~warcast.errors.FeedError` instead, from :func:`read_feed` or :func:`parse_feed`.

Publish runs it on the staged feed with ``locate`` mapping its own URLs to staged files, so
enclosure sizes, artwork pixels, chapters JSON and transcript files are checked as well.
"""

from warcast.validation.continuity import compare_feeds
from warcast.validation.document import validate_feed
from warcast.validation.findings import ERROR, WARNING, Finding, has_errors
from warcast.validation.reading import parse_feed, read_feed

__all__ = ["ERROR", "WARNING", "Finding", "compare_feeds", "has_errors", "parse_feed", "read_feed",
           "validate_feed"]
