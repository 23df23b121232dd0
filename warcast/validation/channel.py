"""Rules for the ``<channel>``: the show as a whole, checked in a fixed order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from warcast.categories import check_category
from warcast.validation import elements, media, podcast
from warcast.validation.context import Context, find, findall, is_http_url, text
from warcast.validation.findings import Finding, error, warning
from warcast.validation.rules import (
    CHANNEL_FLAGS,
    CHANNEL_LIMITS,
    CHANNEL_REQUIRED,
    CHANNEL_SINGLE,
    CHANNEL_VALUES,
    LANGUAGE,
)

if TYPE_CHECKING:
    from lxml.etree import _Element


def check_channel(ctx: Context) -> list[Finding]:
    """Run every channel rule, in a fixed order."""
    channel, where = ctx.channel, "channel"
    self_link = _self_link(ctx)
    ctx.self_url = (self_link.get("href") or "").strip() if self_link is not None else ""
    checks: list[Iterator[Finding]] = [
        elements.check_required(channel, where, ctx.ns, CHANNEL_REQUIRED),
        elements.check_single(channel, where, ctx.ns, CHANNEL_SINGLE),
        _check_self_link(self_link),
        _check_channel_link(channel),
        elements.check_limits(channel, where, ctx.ns, CHANNEL_LIMITS),
        _check_language(channel),
        elements.check_dates(channel, where, ("pubDate", "lastBuildDate"), ctx.now),
        media.check_channel_image(ctx),
        _check_categories(channel, ctx.ns),
        elements.check_explicit(channel, where, ctx.ns),
        _check_owner(channel, ctx.ns),
        elements.check_values(channel, where, ctx.ns, CHANNEL_VALUES),
        elements.check_flags(channel, where, ctx.ns, CHANNEL_FLAGS),
        _check_serial(channel, ctx.ns),
        podcast.check_podcast_guid(ctx),
        podcast.check_locked_owner(channel, ctx.ns),
        podcast.check_url_attributes(channel, where, ctx.ns),
        podcast.check_persons(channel, where, ctx.ns),
        elements.check_control_characters(channel, where, skip_items=True),
    ]
    return [finding for check in checks for finding in check]


def _self_link(ctx: Context) -> _Element | None:
    """The channel's ``atom:link rel="self"``, if any."""
    for link in findall(ctx.channel, "atom:link", ctx.ns):
        if link.get("rel") == "self":
            return link
    return None


def _check_self_link(link: _Element | None) -> Iterator[Finding]:
    """PSP-1 requires the feed to state its own canonical URL."""
    if link is None:
        yield error(
            "channel", "psp-1", 'no <atom:link rel="self">; add <atom:link href="FEED URL" '
            'rel="self" type="application/rss+xml"/>',
        )
        return
    href = link.get("href") or ""
    if not is_http_url(href):
        yield error("channel", "psp-1", f"<atom:link rel=\"self\"> href '{href}' is not a URL")
    if link.get("type") != "application/rss+xml":
        yield warning(
            "channel", "psp-1", '<atom:link rel="self"> should have type="application/rss+xml"'
        )


def _check_channel_link(channel: _Element) -> Iterator[Finding]:
    """The channel link is the show's website."""
    link = text(channel.find("link"))
    if link and not is_http_url(link):
        yield warning("channel", "rss", f"<link> '{link}' is not an http(s) URL")


def _check_language(channel: _Element) -> Iterator[Finding]:
    """The language should be an ISO 639 / BCP 47 code such as en or en-us."""
    language = text(channel.find("language"))
    if language and not LANGUAGE.fullmatch(language):
        yield warning(
            "channel", "psp-1", f"<language> '{language}' is not a language code; use e.g. en-us"
        )


def _check_categories(channel: _Element, ns: dict[str, str]) -> Iterator[Finding]:
    """Every category and subcategory must be on Apple's list."""
    for category in findall(channel, "itunes:category", ns):
        subcategories = findall(category, "itunes:category", ns) or [None]
        for sub in subcategories:
            name = category.get("text") or ""
            reason = check_category(name, None if sub is None else sub.get("text") or "")
            if reason:
                yield error("channel", "apple", f"<itunes:category> {reason}")


def _check_owner(channel: _Element, ns: dict[str, str]) -> Iterator[Finding]:
    """Apple mails the owner address to verify the show."""
    owner = find(channel, "itunes:owner", ns)
    if owner is not None and not text(find(owner, "itunes:email", ns)):
        yield warning(
            "channel", "apple", "<itunes:owner> has no <itunes:email>; add the owner's address"
        )


def _check_serial(channel: _Element, ns: dict[str, str]) -> Iterator[Finding]:
    """A serial show is listened to in order, so its episodes need numbers."""
    if text(find(channel, "itunes:type", ns)) != "serial":
        return
    missing = [i for i in channel.findall("item") if not text(find(i, "itunes:episode", ns))
               and text(find(i, "itunes:episodeType", ns)) not in ("trailer", "bonus")]
    if missing:
        yield warning(
            "channel", "apple",
            f"serial show, but {len(missing)} item(s) have no <itunes:episode>; number them",
        )
