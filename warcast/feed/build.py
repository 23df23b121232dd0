"""The podcast RSS feed: the show and its episodes rendered with feedgen, to bytes.

A pure function of the model: no clock, no file system beyond what the model holds, episodes
in an explicit order (newest first), so the same inputs give byte-identical XML. What Apple
Podcasts, PSP-1 and Podcasting 2.0 ask for is decided here; ``namespaces`` only writes it.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

from warcast.articles import RelatedArticle
from warcast.episodes import Episode
from warcast.feed.chapters import CHAPTERS_MIME
from warcast.feed.extensions import EXTENSIONS, AtomLink, Fragment, Node, node
from warcast.publish.layout import Layout
from warcast.show import Person, Show
from warcast.transcript.model import TRANSCRIPT_FORMATS

GENERATOR = "warcast"
DESCRIPTION_BYTES = 4000   # Apple's limit for an episode's <description>
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Text without the control characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text)


def public_episodes(episodes: list[Episode]) -> list[Episode]:
    """Episodes that may appear in public output: never a members-only one."""
    return [episode for episode in episodes if not episode.members_only]


def build_feed(show: Show, episodes: list[Episode], layout: Layout,
               related: dict[str, list[RelatedArticle]] | None = None, *,
               members: bool = False) -> bytes:
    """Render the public RSS feed of ``show``; members-only episodes are always left out.

    ``related`` lists, per episode folder name, the articles its description ends with. With
    ``members``, the members' private feed instead: every episode, ``itunes:block`` and
    ``podcast:block`` set so directories never list it, its self link from ``layout``.
    """
    from feedgen.feed import FeedGenerator

    if members:
        # No WebSub hubs: a members' feed is never announced anywhere.
        show = replace(show, block=True, feed_url=layout.feed_url,  # type: ignore[attr-defined]
                       hubs=())
    chosen = episodes if members else public_episodes(episodes)
    listed = sorted(chosen, key=lambda e: (e.published, e.ordinal), reverse=True)
    generator = FeedGenerator()
    for name, channel_class, item_class in EXTENSIONS:
        generator.register_extension(name, channel_class, item_class, atom=False, rss=True)
    _channel(generator, show, layout, listed)
    for episode in listed:
        _item(generator.add_entry(order="append"), show, episode, layout,
              (related or {}).get(episode.name, []))
    return generator.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def _channel(generator, show: Show, layout: Layout, listed: list[Episode]) -> None:  # type: ignore[no-untyped-def]
    generator.title(clean(show.title))
    # feedgen keeps the last link as RSS <link>: the self link must come first.
    generator.link(href=show.feed_url, rel="self", type="application/rss+xml")
    generator.link(href=f"{show.base_url}/", rel="alternate")
    generator.description(clean(show.description))
    generator.language(show.language)
    generator.docs("")
    generator.generator(GENERATOR)
    if show.copyright:
        generator.copyright(clean(show.copyright))
    # lastBuildDate must not be "now" (byte-identical output): the newest episode's date.
    latest = listed[0].published if listed else None
    if latest is not None:
        generator.lastBuildDate(latest)
        generator.pubDate(latest)
    generator.itunes.add(*_itunes_channel(show, layout))
    generator.podcast.add(*_podcast_channel(show))
    generator.podcast.add(*(AtomLink(hub, "hub") for hub in show.hubs))   # WebSub
    if show.feed_xml:
        generator.podcast.add(Fragment(show.feed_xml))
    if latest is None:
        generator.podcast.drop.add("lastBuildDate")


def _itunes_channel(show: Show, layout: Layout) -> list[Node | None]:
    categories = [
        Node("itunes:category", attrs=(("text", c.name),), children=(
            (Node("itunes:category", attrs=(("text", c.subcategory),)),)
            if c.subcategory else ()))
        for c in show.categories
    ]
    return [
        node("itunes:author", clean(show.author)),
        node("itunes:owner", children=(node("itunes:name", clean(show.owner_name)),
                                       node("itunes:email", show.owner_email))),
        node("itunes:image", href=layout.url(layout.cover())),
        *categories,
        node("itunes:explicit", _bool(show.explicit)),
        node("itunes:type", show.type),
        node("itunes:block", "Yes") if show.block else None,
        node("itunes:complete", "Yes") if show.complete else None,
        node("itunes:new-feed-url", show.new_feed_url) if show.new_feed_url else None,
    ]


def _podcast_channel(show: Show) -> list[Node | None]:
    return [
        node("podcast:locked", "yes" if show.locked else "no", owner=show.owner_email),
        node("podcast:block", "yes") if show.block else None,
        node("podcast:guid", show.podcast_guid),
        node("podcast:medium", show.medium),
        *(node("podcast:funding", clean(f.text), url=f.url) for f in show.funding),
        *(_person(p) for p in show.hosts),
    ]


def _item(entry, show: Show, episode: Episode, layout: Layout,  # type: ignore[no-untyped-def]
          related: list[RelatedArticle]) -> None:
    entry.title(clean(episode.title))
    entry.link(href=layout.url(layout.page(episode)))
    entry.guid(clean(episode.guid), permalink=False)
    entry.pubDate(episode.published)
    notes = episode.notes_html + _related_html(related)
    description = notes if len(notes.encode()) <= DESCRIPTION_BYTES else \
        _shortened(episode.description_text)
    entry.description(clean(description or episode.summary or episode.title))
    if notes:
        entry.content(clean(notes), type="CDATA")
    entry.enclosure(layout.audio_url(episode), str(episode.audio.size), episode.audio.mime)
    entry.itunes.add(*_itunes_item(show, episode, layout))
    entry.podcast.add(*_podcast_item(show, episode, layout))
    if episode.feed_xml:
        entry.podcast.add(Fragment(episode.feed_xml))


def _itunes_item(show: Show, episode: Episode, layout: Layout) -> list[Node | None]:
    image = layout.episode_image_url(episode)
    return [
        node("itunes:title", clean(episode.itunes_title or episode.title)),
        node("itunes:episode", episode.number) if episode.number else None,
        node("itunes:season", episode.season) if episode.season else None,
        node("itunes:episodeType", episode.type),
        node("itunes:duration", episode.audio.seconds) if episode.audio.duration else None,
        node("itunes:explicit", _bool(episode.explicit)),
        node("itunes:image", href=image) if image else None,
        node("itunes:author", clean(show.author)),
        node("itunes:block", "Yes") if episode.block else None,
    ]


def _podcast_item(show: Show, episode: Episode, layout: Layout) -> list[Node | None]:
    from warcast.transcript.turns import voices_heard

    listed = (*show.hosts, *episode.guests)
    heard = tuple(Person(name, "guest") for name in voices_heard(episode, show.language)
                  if name not in {p.name for p in listed})
    people = (*listed, *heard) if episode.guests or heard else ()
    transcripts = [
        node("podcast:transcript", url=layout.url(layout.transcript(episode, suffix)),
             type=kind.mime, language=show.language, rel="captions" if kind.captions else None)
        for suffix, kind in TRANSCRIPT_FORMATS.items()
    ] if episode.transcript else [   # an imported episode's transcripts hosted elsewhere
        node("podcast:transcript", url=t.url, type=t.type, language=t.language, rel=t.rel)
        for t in episode.transcript_links]
    chapters = layout.url(layout.chapters(episode)) if episode.chapters else episode.chapters_url
    return [
        node("podcast:season", episode.season, name=episode.season_name)
        if episode.season else None,
        node("podcast:episode", episode.number) if episode.number else None,
        node("podcast:chapters", url=chapters, type=CHAPTERS_MIME) if chapters else None,
        *transcripts,
        *(_person(p) for p in people),
    ]


def _person(person: Person) -> Node:
    return node("podcast:person", clean(person.name), role=person.role, group=person.group,
                href=person.href, img=person.img)


def _related_html(related: list[RelatedArticle]) -> str:
    """The "Related articles" list that ends an episode's description."""
    if not related:
        return ""
    items = "".join(
        f'<li><a href="{html.escape(a.url)}">{html.escape(a.title)}</a>'
        f"{' (members only)' if a.members_only else ''}</li>" for a in related)
    return f"\n<p>Related articles:</p>\n<ul>{items}</ul>"


def _shortened(text: str) -> str:
    """Plain-text notes cut at a word to fit Apple's description limit (the whole notes stay
    in content:encoded), so apps that read only <description> still get most of them."""
    data = text.encode()
    if len(data) <= DESCRIPTION_BYTES:
        return text
    cut = data[:DESCRIPTION_BYTES - 4].decode("utf-8", "ignore")
    return cut[:cut.rfind(" ")].rstrip() + " …" if " " in cut else cut + "…"


def _bool(value: bool) -> str:
    return "true" if value else "false"
