"""Article sources: a SOURCE argument (file, folder or http(s) URL) read into checked articles.

The kind of source is told from what it holds, not from its name: a folder is saved pages, a
document starting with ``<`` is a feed (or a saved page), one starting with ``{`` is JSON Lines.
Reading is capped in size (and, for URLs, in time). Items that cannot become articles are
skipped with a reason; when two items of one source share a URL, the last one wins (exports and
feeds list corrections after the original). A source that yields no article at all is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from warcast.articles.article import Article, Reading, Skip, finish, source_error
from warcast.errors import ArticleError, FeedError

MAX_SOURCE_BYTES = 50 * 1024 * 1024
"""Largest feed or JSON Lines file accepted."""
MAX_PAGE_BYTES = 10 * 1024 * 1024
"""Largest saved page accepted; a bigger one is skipped."""
MAX_PAGES = 20_000
"""Most pages in one folder; more is a wrong folder (a whole site mirror), not an archive."""
URL_TIMEOUT = 20.0
PAGE_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
_HTML_START = re.compile(rb"(\s*<!--.*?-->)*\s*(<!doctype html|<html)", re.DOTALL)
"""An HTML page, perhaps after comments (browsers write "<!-- saved from url=… -->")."""


@dataclass(frozen=True)
class Batch:
    """The articles of one source, ready to store, and what was left out."""

    source: str
    kind: str
    articles: tuple[Article, ...]
    skipped: tuple[Skip, ...]
    warnings: tuple[str, ...]


def read_source(source: str, *, members_category: str) -> Batch:
    """Read, parse and check one source; ArticleError when it yields no article."""
    reading = _read(source)
    warnings = list(reading.warnings)
    base = reading.base or (source if "://" in source else "")
    kept: dict[str, tuple[str, Article]] = {}
    skipped: list[Skip] = []
    for entry in reading.entries:
        outcome = entry if isinstance(entry, Skip) else finish(
            entry, source=entry.item if reading.kind == "pages" else source,
            members_category=members_category, base=base, warnings=warnings)
        if isinstance(outcome, Skip):
            skipped.append(outcome)
            continue
        if outcome.url in kept:
            earlier, _ = kept.pop(outcome.url)
            skipped.append(Skip(earlier, f"has the same URL as {entry.item}, "
                                         "which is imported instead"))
        kept[outcome.url] = (entry.item, outcome)
    articles = tuple(article for _, article in kept.values())
    if not articles:
        raise _nothing_imported(source, tuple(skipped))
    return Batch(source, reading.kind, articles, tuple(skipped), tuple(warnings))


def _read(source: str) -> Reading:
    """Fetch or read ``source`` and hand it to the reader for its kind."""
    from warcast.articles.pages import read_pages

    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        return _parse(_fetch(source), source, allow_page=False)
    if "://" in source:
        raise ArticleError(f"{source}: cannot read a '{scheme}' URL",
                           hint="Use an http(s) URL, a file or a folder")
    path = Path(source)
    if path.is_dir():
        pages, unreadable = _folder_pages(path)
        reading = read_pages(pages)
        reading.entries[:0] = unreadable
        return reading
    return _parse(_read_file(path, MAX_SOURCE_BYTES), source, allow_page=True)


def _parse(data: bytes, source: str, *, allow_page: bool) -> Reading:
    """Tell the kind of document from its first characters and parse it."""
    from warcast.articles.feeds import read_feed
    from warcast.articles.jsonl import read_lines
    from warcast.articles.pages import read_pages

    head = data[:1024]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        raise source_error(source, "is empty", "Check that the file or URL holds the articles")
    if _HTML_START.match(head) or (allow_page and source.lower().endswith(PAGE_SUFFIXES)):
        if not allow_page:
            raise source_error(source, "is an HTML page, not a feed",
                               "Use the feed URL (WordPress: /feed/), or save pages into a folder")
        return read_pages([(source, data)])
    if source.lower().endswith(JSONL_SUFFIXES) or head.startswith(b"{"):
        return read_lines(data, source=source)
    if head.startswith(b"<"):
        return read_feed(data, source=source)
    raise source_error(source, "is neither a feed, JSON Lines nor an HTML page",
                       "Use an RSS or Atom feed, a .jsonl export or a folder of saved pages")


def _fetch(url: str) -> bytes:
    """One GET with warcast's user agent, a timeout and a size cap."""
    from warcast.validation.reading import http_get

    try:
        data = http_get(url, limit=MAX_SOURCE_BYTES, timeout=URL_TIMEOUT)
    except FeedError as exc:
        raise ArticleError(exc.message, hint=exc.hint) from None
    if len(data) > MAX_SOURCE_BYTES:
        raise ArticleError(f"{url}: larger than {MAX_SOURCE_BYTES:,} bytes",
                           hint="Check that this is the publication's feed")
    return data


def _read_file(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of a file; ArticleError if it is missing or bigger."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise ArticleError("not found", path=path,
                           hint="Give a feed file or URL, a .jsonl file or a folder of pages"
                           ) from None
    except OSError as exc:
        raise ArticleError(f"cannot be read ({exc.strerror or exc})", path=path) from None
    if len(data) > limit:
        raise ArticleError(f"is larger than {limit:,} bytes", path=path,
                           hint="Check that this is the right file")
    return data


def _folder_pages(folder: Path) -> tuple[list[tuple[str, bytes]], list[Skip]]:
    """The saved pages of a folder (sorted, hidden files left out) as (label, bytes)."""
    paths = sorted(
        path for path in folder.rglob("*")
        if path.suffix.lower() in PAGE_SUFFIXES and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )
    if not paths:
        raise ArticleError("has no .html pages", path=folder,
                           hint="Save the article pages (File → Save Page As…) into it")
    if len(paths) > MAX_PAGES:
        raise ArticleError(f"has {len(paths):,} pages, more than {MAX_PAGES:,}", path=folder,
                           hint="Import the articles' folder, not the whole site")
    pages: list[tuple[str, bytes]] = []
    unreadable: list[Skip] = []
    for path in paths:
        try:
            pages.append((str(path), _read_file(path, MAX_PAGE_BYTES)))
        except ArticleError as exc:
            unreadable.append(Skip(str(path), exc.message))
    return pages, unreadable


def _nothing_imported(source: str, skipped: tuple[Skip, ...]) -> ArticleError:
    if not skipped:
        return source_error(source, "has no articles",
                            "Check that this is the publication's feed, export or pages")
    more = f" and {len(skipped) - 1} more" if len(skipped) > 1 else ""
    return source_error(source, f"no article could be imported: {skipped[0]}{more}",
                        "Fix those items, or use another source")
