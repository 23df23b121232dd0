"""Rules for each ``<item>``: one episode, checked in a fixed order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from warcast.validation import elements, media, podcast
from warcast.validation.context import Context, find, findall, is_http_url, text
from warcast.validation.findings import Finding, error, warning
from warcast.validation.rules import (
    DURATION,
    FRACTIONAL_DURATION,
    ITEM_FLAGS,
    ITEM_LIMITS,
    ITEM_REQUIRED,
    ITEM_SINGLE,
    ITEM_VALUES,
)

if TYPE_CHECKING:
    from lxml.etree import _Element


def check_item(item: _Element, index: int, ctx: Context) -> list[Finding]:
    """Run every item rule, in a fixed order."""
    ns, where = ctx.ns, _item_where(index, item, ctx)
    checks: list[Iterator[Finding]] = [
        elements.check_required(item, where, ns, ITEM_REQUIRED),
        elements.check_single(item, where, ns, ITEM_SINGLE),
        _check_guid(item, index, where, ctx),
        elements.check_dates(item, where, ("pubDate",), ctx.now),
        _check_item_link(item, where),
        elements.check_limits(item, where, ns, ITEM_LIMITS),
        media.check_enclosure(item, index, where, ctx),
        _check_duration(item, where, ns),
        elements.check_explicit(item, where, ns),
        elements.check_values(item, where, ns, ITEM_VALUES),
        elements.check_flags(item, where, ns, ITEM_FLAGS),
        media.check_item_image(item, where, ctx),
        podcast.check_url_attributes(item, where, ns),
        media.check_transcripts(item, where, ctx),
        media.check_chapters(item, where, ctx),
        podcast.check_persons(item, where, ns),
        elements.check_control_characters(item, where, skip_items=False),
    ]
    return [finding for check in checks for finding in check]


def _item_where(index: int, item: _Element, ctx: Context) -> str:
    """Name an item for messages: its 1-based position and (shortened) title."""
    title = text(item.find("title")) or text(find(item, "itunes:title", ctx.ns))
    if not title:
        return f"item {index}"
    if len(title) > 60:
        title = title[:59] + "…"
    return f"item {index} '{title}'"


def _check_guid(item: _Element, index: int, where: str, ctx: Context) -> Iterator[Finding]:
    """Every episode needs its own guid; apps use it to tell episodes apart."""
    guid = text(item.find("guid"))
    if not guid:
        return
    first = ctx.guids.setdefault(guid, index)
    if first != index:
        yield error(
            where, "rss", f"guid '{guid}' is also used by item {first}; give each episode its own"
        )


def _check_item_link(item: _Element, where: str) -> Iterator[Finding]:
    """An item link is a web page about the episode."""
    link = text(item.find("link"))
    if link and not is_http_url(link):
        yield warning(where, "rss", f"<link> '{link}' is not an http(s) URL")


def _check_duration(item: _Element, where: str, ns: dict[str, str]) -> Iterator[Finding]:
    """itunes:duration is whole seconds or [HH:]MM:SS."""
    for element in findall(item, "itunes:duration", ns):
        value = text(element)
        if DURATION.fullmatch(value):
            continue
        if FRACTIONAL_DURATION.fullmatch(value):
            yield warning(where, "apple", f"<itunes:duration> '{value}' has fractions; round it")
        else:
            yield error(
                where, "apple", f"<itunes:duration> '{value}' is not seconds or HH:MM:SS"
            )
