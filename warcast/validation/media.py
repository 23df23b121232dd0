"""Rules for the files a feed points at: the enclosure, artwork, transcripts and chapters.

The attributes are always checked. The files themselves are looked at when the caller can
``locate`` them (publish maps its own URLs into the staged folder) and, for the channel
artwork only, when ``fetch_remote`` allows one download.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from warcast.audio.artwork import artwork_problem, image_info
from warcast.errors import FeedError
from warcast.validation.context import Context, find, findall, is_http_url, present, text
from warcast.validation.findings import ERROR, WARNING, Finding, error, warning
from warcast.validation.reading import http_get
from warcast.validation.rules import (
    ARTWORK_HEAD_BYTES,
    ARTWORK_SUFFIX_FORMATS,
    ARTWORK_TIMEOUT,
    CHAPTERS_TYPE,
    KNOWN_MEDIA_TYPES,
    MEDIA_TYPES,
    TRANSCRIPT_TYPES,
)

if TYPE_CHECKING:
    from lxml.etree import _Element


# --- the enclosure ---------------------------------------------------------------------------


def check_enclosure(item: _Element, index: int, where: str, ctx: Context) -> Iterator[Finding]:
    """The enclosure is the episode: an http(s) URL, its exact byte length, its media type."""
    enclosure = item.find("enclosure")
    if enclosure is None:
        return
    url = (enclosure.get("url") or "").strip()
    if not url:
        yield error(where, "apple", "enclosure has no url attribute")
    elif not is_http_url(url):
        yield error(where, "apple", f"enclosure url '{url}' is not an http(s) URL")
    else:
        yield from _check_duplicate_enclosure(url, index, where, ctx)
    length = yield from _check_enclosure_length(enclosure.get("length"), where)
    yield from _check_enclosure_type(enclosure.get("type"), url, where)
    path = ctx.local_file(url) if url else None
    if path is not None:
        yield from _check_enclosure_file(path, length, where)


def _check_duplicate_enclosure(
    url: str, index: int, where: str, ctx: Context
) -> Iterator[Finding]:
    """The same media file under two episodes is usually a copy-paste slip."""
    first = ctx.enclosures.setdefault(url, index)
    if first != index:
        yield warning(where, "rss", f"enclosure {url} is also used by item {first}")


def _check_enclosure_length(
    value: str | None, where: str
) -> Generator[Finding, None, int | None]:
    """Apple needs the file size in bytes; return it when it is a positive integer."""
    if value is None or not value.strip():
        yield error(where, "apple", "enclosure has no length attribute; set it to the file size")
        return None
    if not value.strip().isdigit():
        yield error(
            where, "apple", f"enclosure length '{value}' is not a positive number of bytes"
        )
        return None
    if int(value) == 0:
        # What hosts write when they do not know the size; apps then show none.
        yield warning(where, "apple", "enclosure length is 0 (size unknown); set it to the "
                      "file size in bytes")
        return None
    return int(value)


def _check_enclosure_type(value: str | None, url: str, where: str) -> Iterator[Finding]:
    """The media type must be present and match the file extension."""
    if not value:
        yield error(where, "apple", "enclosure has no type attribute; set e.g. audio/mpeg")
        return
    media_type = value.split(";")[0].strip().lower()
    suffix = Path(urlsplit(url).path).suffix.lower()
    expected = MEDIA_TYPES.get(suffix)
    if expected and media_type not in expected:
        yield error(
            where, "apple", f"enclosure type is {value} but a {suffix} file is {expected[0]}"
        )
    elif not expected and media_type not in KNOWN_MEDIA_TYPES:
        yield warning(
            where, "apple", f"enclosure type {value} is not a known podcast audio/video type"
        )


def _check_enclosure_file(path: Path, length: int | None, where: str) -> Iterator[Finding]:
    """The declared length must be the real size of the staged file."""
    try:
        size = path.stat().st_size
    except OSError:
        yield error(where, "rss", f"enclosure file is missing at {path}")
        return
    if length is not None and size != length:
        yield error(
            where, "rss", f"enclosure length is {length} but {path.name} is {size} bytes"
        )


# --- artwork ---------------------------------------------------------------------------------


def check_channel_image(ctx: Context) -> Iterator[Finding]:
    """Apple needs an href to square RGB JPEG/PNG artwork of 1400–3000 pixels."""
    image = find(ctx.channel, "itunes:image", ctx.ns)
    if image is None or not present(image):
        return  # reported as missing or empty already
    href = yield from _check_image_href(image, "channel", ERROR)
    if href:
        yield from _check_artwork(href, "channel", ctx, allow_fetch=True)


def check_item_image(item: _Element, where: str, ctx: Context) -> Iterator[Finding]:
    """Episode artwork follows the channel rules, but a bad one only loses the episode art."""
    image = find(item, "itunes:image", ctx.ns)
    if image is None:
        return
    href = yield from _check_image_href(image, where, WARNING)
    if href:
        yield from _check_artwork(href, where, ctx, allow_fetch=False)


def _check_image_href(
    image: _Element, where: str, level: str
) -> Generator[Finding, None, str]:
    """Check an itunes:image href; return the href when it is worth looking at the file."""
    href = (image.get("href") or "").strip()
    if not href:
        how = " (Apple ignores a URL given as text)" if text(image) else ""
        yield Finding(level, where, "apple", f"<itunes:image> has no href attribute{how}")
        return ""
    if not is_http_url(href):
        yield Finding(level, where, "apple", f"<itunes:image> href '{href}' is not an http(s) URL")
        return ""
    if not urlsplit(href).path.lower().endswith(tuple(ARTWORK_SUFFIX_FORMATS)):
        yield warning(where, "apple", f"artwork URL '{href}' should end in .jpg, .jpeg or .png")
    return href


def _check_artwork(href: str, where: str, ctx: Context, *, allow_fetch: bool) -> Iterator[Finding]:
    """Look at the artwork's pixels when the file can be had (locally or by one GET)."""
    data = yield from _artwork_bytes(href, where, ctx, allow_fetch=allow_fetch)
    if data is None:
        return
    info = image_info(data)
    suffix = Path(urlsplit(href).path).suffix.lower()
    named = ARTWORK_SUFFIX_FORMATS.get(suffix)
    if info is not None and named and named != info.format:
        kind = info.format.upper()
        yield error(where, "apple", f"artwork {href} is a {kind} file named {suffix}")
    problem = artwork_problem(info)
    if problem:
        yield error(where, "apple", f"artwork {href} {problem}")


def _artwork_bytes(
    href: str, where: str, ctx: Context, *, allow_fetch: bool
) -> Generator[Finding, None, bytes | None]:
    """Return the head of the artwork file, or None when it cannot or may not be had."""
    path = ctx.local_file(href)
    if path is not None:
        try:
            with path.open("rb") as handle:
                return handle.read(ARTWORK_HEAD_BYTES)
        except OSError as exc:
            yield error(where, "apple", f"artwork {href} cannot be read at {path}: {exc.strerror}")
            return None
    if not (allow_fetch and ctx.fetch_remote):
        return None
    try:
        return http_get(href, limit=ARTWORK_HEAD_BYTES, timeout=ARTWORK_TIMEOUT)
    except FeedError as exc:
        yield warning(where, "apple", f"could not download the artwork to check it: {exc.message}")
        return None


# --- transcripts and chapters ----------------------------------------------------------------


def check_transcripts(item: _Element, where: str, ctx: Context) -> Iterator[Finding]:
    """podcast:transcript needs a known type; a staged transcript file must exist."""
    for transcript in findall(item, "podcast:transcript", ctx.ns):
        media_type = transcript.get("type")
        if not media_type:
            yield error(where, "podcast", "<podcast:transcript> has no type attribute")
        elif media_type not in TRANSCRIPT_TYPES:
            yield error(
                where, "podcast", f"<podcast:transcript> type '{media_type}' is not one of "
                + ", ".join(TRANSCRIPT_TYPES),
            )
        rel = transcript.get("rel")
        if rel is not None and rel != "captions":
            yield warning(where, "podcast", f"<podcast:transcript> rel '{rel}' is not 'captions'")
        yield from _check_staged_file(transcript.get("url"), "transcript", where, ctx)


def _check_staged_file(url: str | None, what: str, where: str, ctx: Context) -> Iterator[Finding]:
    """A file the caller has a local copy of must be there."""
    path = ctx.local_file(url) if url else None
    if path is not None and not path.is_file():
        yield error(where, "podcast", f"{what} file {url} is missing (expected at {path})")


def check_chapters(item: _Element, where: str, ctx: Context) -> Iterator[Finding]:
    """podcast:chapters points at JSON chapters; a staged chapters file must be valid."""
    for chapters in findall(item, "podcast:chapters", ctx.ns):
        media_type = chapters.get("type")
        if media_type == "application/json":
            yield warning(where, "podcast", f"<podcast:chapters> type should be {CHAPTERS_TYPE}")
        elif media_type != CHAPTERS_TYPE:
            yield error(where, "podcast", f"<podcast:chapters> type must be {CHAPTERS_TYPE}")
        url = chapters.get("url")
        path = ctx.local_file(url) if url else None
        if path is None:
            continue
        problem = _chapters_problem(path)
        if problem:
            yield error(where, "podcast", f"chapters file {path.name} {problem}")


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
