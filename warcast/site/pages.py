"""The show's website: static pages rendered with Jinja2, for people and for search engines.

Pages: the home page, an archive of every episode, one page per public episode (player with
captions, chapters, show notes, related articles, the interactive transcript as real text),
a search page, plus ``sitemap.xml`` and ``robots.txt``. Links inside the site are relative,
so the same files work on any host, a CDN or a local preview; canonical URLs, Open Graph and
JSON-LD are absolute. Templates and static files live in the package; a ``templates/`` or
``static/`` folder in the show folder overrides them file by file. Members-only episodes never
get a page, a sitemap entry or a search record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from xml.sax.saxutils import escape as xml_escape

from warcast.episodes import Episode
from warcast.feed.build import public_episodes
from warcast.links import Link
from warcast.publish.layout import FEED_FILE, Layout
from warcast.show import Show
from warcast.site.pagefind import source_page
from warcast.site.pagefind import split as split_search
from warcast.timecode import clock, iso_duration
from warcast.transcript.model import TRANSCRIPT_FORMATS, Transcript, passages

SITEMAP_LIMIT = 50_000           # URLs per sitemap file (the sitemaps.org limit)
HOME_EPISODES = 20               # the home page lists the latest; the archive lists all
STATIC_FILES = ("site.css", "player.js", "search.js")
SEARCH_PAGE = "search/index.html"
ARCHIVE_PAGE = "episodes/index.html"

# Subscribe links: (app, URL template); {feed} is the feed URL, {bare} the same without scheme.
SUBSCRIBE = (
    ("Apple Podcasts", "podcast://{bare}"),
    ("Overcast", "overcast://x-callback-url/add?url={feed}"),
    ("Pocket Casts", "pktc://subscribe/{bare}"),
    ("AntennaPod", "https://antennapod.org/deeplink/subscribe?url={feed}"),
    ("Podcast Addict", "podcastaddict://{bare}"),
    ("Castro", "castro://subscribe/{bare}"),
)

_FORMAT_LABELS = {".vtt": "WebVTT captions", ".srt": "SRT captions", ".json": "JSON",
                  ".html": "HTML", ".txt": "Plain text"}


@dataclass(frozen=True)
class Passage:
    """One passage of the interactive transcript."""

    start: float
    speaker: str
    text: str
    chapter: str | None = None          # a chapter that starts just before this passage
    related: tuple[tuple[str, str, bool], ...] = ()   # (url, title, members only)


@dataclass
class EpisodeView:
    """What an episode page shows, ready for the template."""

    episode: Episode
    path: str
    url: str
    audio: str
    audio_url: str
    cover: str
    passages: list[Passage] = field(default_factory=list)
    related: list[tuple[str, str, bool, float]] = field(default_factory=list)
    files: list[tuple[str, str, str]] = field(default_factory=list)
    jsonld: dict[str, object] = field(default_factory=dict)


class _Pages:
    """Renders templates for one show: relative links from each page's own path."""

    def __init__(self, show: Show, layout: Layout, **common: object) -> None:
        self.env = _environment(show)
        assets = _assets(show)
        self.files: dict[str, bytes] = assets.pop("_files")  # type: ignore[assignment]
        self.assets: dict[str, str] = assets  # type: ignore[assignment]
        self.layout = layout
        self.common = {"show": show, "layout": layout, **common}

    def render(self, template: str, path: str, **values: object) -> bytes:
        def rel(target: str) -> str:
            return self.layout.relative(path, target)
        asset = {name: rel(target) for name, target in self.assets.items()}
        return self.env.get_template(template).render(
            rel=rel, asset=asset, path=path, **self.common, **values).encode("utf-8")


class SiteRenderer:
    """Renders one show's pages: each episode's page (with the source page the search index
    reads) and the site pages around them. Pure: the model in, bytes out; publish decides
    what to render again."""

    def __init__(self, show: Show, layout: Layout,
                 members_only_urls: frozenset[str] = frozenset()) -> None:
        self.show = show
        self.layout = layout
        self.members_only_urls = members_only_urls
        self.pages = _Pages(show, layout, feed_url=show.feed_url,
                            subscribe=_subscribe(show.feed_url),
                            series=_series_jsonld(show, layout))

    def episode(self, episode: Episode, links: list[Link],
                transcript: Transcript | None) -> dict[str, bytes]:
        """``{"page": the episode page, "source": the page the search index reads}``."""
        view = _episode_view(self.show, episode, self.layout, links, transcript,
                             self.members_only_urls)
        return {"page": self.pages.render("episode.html", view.path, view=view,
                                          episode=episode),
                "source": source_page(view, self.show.language).encode("utf-8")}

    def listing(self, episodes: list[Episode],
                links: dict[str, list[Link]]) -> list[EpisodeView]:
        """The public episodes, newest first, as the listing pages show them."""
        listed = sorted(public_episodes(episodes), key=lambda e: (e.published, e.ordinal),
                        reverse=True)
        return [_episode_view(self.show, e, self.layout, links.get(e.name, []), None,
                              self.members_only_urls) for e in listed]

    def site(self, listing: list[EpisodeView],
             episode_pages: dict[str, bytes]) -> dict[str, bytes]:
        """Every page and site file by output path, around the rendered ``episode_pages``
        (by output path): home, archive, search page, static files, sitemaps, robots.txt."""
        pages = self.pages
        files = {
            "index.html": pages.render("index.html", "index.html",
                                       episodes=listing[:HOME_EPISODES],
                                       more=len(listing) > HOME_EPISODES),
            ARCHIVE_PAGE: pages.render("episodes.html", ARCHIVE_PAGE, episodes=listing),
            SEARCH_PAGE: pages.render("search.html", SEARCH_PAGE,
                                      archive=bool(split_search(listing)[1])),
        }
        files.update(episode_pages)
        files.update(pages.files)
        files.update(sitemaps(self.show, self.layout, listing))
        files["robots.txt"] = _robots(self.layout)
        return files


def render_episode_pages(show: Show, episodes: list[Episode], layout: Layout,
                         links: dict[str, list[Link]],
                         transcript_of: Callable[[Episode], Transcript | None],
                         members_only_urls: frozenset[str] = frozenset()) -> dict[str, bytes]:
    """Just the pages of ``episodes`` (members-only ones included) and the static files they
    use: the members' private pages."""
    pages = _Pages(show, layout, feed_url=layout.url(FEED_FILE), subscribe=[],
                   series=_series_jsonld(show, layout))
    files = dict(pages.files)
    for episode in episodes:
        view = _episode_view(show, episode, layout, links.get(episode.name, []),
                             transcript_of(episode), members_only_urls)
        files[view.path] = pages.render("episode.html", view.path, view=view, episode=episode)
    return files


def _environment(show: Show):  # type: ignore[no-untyped-def]
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape

    loader = ChoiceLoader([FileSystemLoader(str(show.folder / "templates")),
                           PackageLoader("warcast", "site/templates")])
    env = Environment(loader=loader, autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["clock"] = clock
    env.filters["jsonld"] = _jsonld
    env.filters["seconds"] = lambda value: str(int(value))
    return env


def _assets(show: Show) -> dict[str, object]:
    """Static files under content-addressed names (cache forever); the show's copies win."""
    out: dict[str, object] = {}
    files: dict[str, bytes] = {}
    for name in STATIC_FILES:
        override = show.folder / "static" / name
        data = override.read_bytes() if override.is_file() else \
            resources.files("warcast").joinpath("site", "static", name).read_bytes()
        stem, dot, suffix = name.rpartition(".")
        target = f"assets/{stem}-{hashlib.sha256(data).hexdigest()[:10]}{dot}{suffix}"
        files[target] = data
        out[stem] = target
    out["_files"] = files
    return out


def _subscribe(feed_url: str) -> list[tuple[str, str]]:
    bare = feed_url.split("://", 1)[-1]
    return [("RSS", feed_url)] + [(app, template.format(feed=feed_url, bare=bare))
                                  for app, template in SUBSCRIBE]


def _episode_view(show: Show, episode: Episode, layout: Layout, links: list[Link],
                  transcript: Transcript | None, members_only_urls: frozenset[str]
                  ) -> EpisodeView:
    path = layout.page(episode) + "index.html"
    audio = layout.relative(path, layout.audio(episode)) if layout.hosts_audio(episode) \
        else layout.audio_url(episode)
    image = layout.episode_image(episode) or layout.cover()
    view = EpisodeView(episode=episode, path=path, url=layout.url(layout.page(episode)),
                       audio=audio, audio_url=layout.audio_url(episode),
                       cover=layout.relative(path, image))
    passage_links = [k for k in links if k.level == "passage"]
    if transcript is not None and not transcript.is_empty:
        view.passages = _passages(transcript, episode, passage_links, members_only_urls)
        view.files = [(_FORMAT_LABELS.get(suffix, suffix), layout.relative(
            path, layout.transcript(episode, suffix)), kind.mime)
            for suffix, kind in TRANSCRIPT_FORMATS.items()]
    seen: dict[str, tuple[str, str, bool, float]] = {}
    for k in sorted(links, key=lambda k: (k.start, k.url)):
        if k.url not in seen:
            seen[k.url] = (k.url, k.title, k.url in members_only_urls, k.start)
    view.related = list(seen.values())
    view.jsonld = _episode_jsonld(show, episode, layout, transcript)
    return view


def _passages(transcript: Transcript, episode: Episode, links: Sequence[Link],
              members_only_urls: frozenset[str]) -> list[Passage]:
    groups = passages(transcript)
    starts = [group[0].start for group in groups]
    chapters = {}
    for chapter in episode.chapters:   # each chapter heads the first passage at or after it
        index = next((i for i, s in enumerate(starts) if s >= chapter.start - 0.5), None)
        if index is not None and index not in chapters:
            chapters[index] = chapter.title
    related: dict[int, list[tuple[str, str, bool]]] = {}
    for k in sorted(links, key=lambda k: (k.start, k.url)):
        index = max(0, max((i for i, s in enumerate(starts) if s <= k.start + 0.5), default=0))
        related.setdefault(index, []).append((k.url, k.title, k.url in members_only_urls))
    return [Passage(start=group[0].start, speaker=group[0].speaker or "",
                    text=" ".join(cue.text for cue in group), chapter=chapters.get(i),
                    related=tuple(related.get(i, ())))
            for i, group in enumerate(groups)]


def _series_jsonld(show: Show, layout: Layout) -> dict[str, object]:
    return {"@context": "https://schema.org", "@type": "PodcastSeries", "name": show.title,
            "url": layout.url(""), "description": show.description,
            "image": layout.url(layout.cover()), "webFeed": show.feed_url,
            "inLanguage": show.language, "author": {"@type": "Person", "name": show.author}}


def _episode_jsonld(show: Show, episode: Episode, layout: Layout,
                    transcript: Transcript | None) -> dict[str, object]:
    media: dict[str, object] = {
        "@type": "AudioObject", "contentUrl": layout.audio_url(episode),
        "encodingFormat": episode.audio.mime}
    if episode.audio.duration:
        media["duration"] = iso_duration(episode.audio.duration)
    if episode.audio.size:
        media["contentSize"] = str(episode.audio.size)
    if transcript is not None and not transcript.is_empty:
        media["transcript"] = transcript.plain_text()
    data: dict[str, object] = {
        "@context": "https://schema.org", "@type": "PodcastEpisode",
        "name": episode.title, "url": layout.url(layout.page(episode)),
        "datePublished": episode.published.date().isoformat(),
        "description": episode.summary or episode.description_text[:500],
        "associatedMedia": media,
        "partOfSeries": {"@type": "PodcastSeries", "name": show.title,
                         "url": layout.url("")},
        "image": layout.url(layout.episode_image(episode) or layout.cover()),
        "inLanguage": show.language}
    if episode.audio.duration:
        data["duration"] = iso_duration(episode.audio.duration)
    if episode.number is not None:
        data["episodeNumber"] = episode.number
    people = [{"@type": "Person", "name": p.name} for p in (*show.hosts, *episode.guests)]
    if people:
        data["actor"] = people
    return data


def _jsonld(data: object) -> str:
    """JSON for a ``<script type="application/ld+json">``: nothing in it can end the script."""
    from markupsafe import Markup

    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def sitemaps(show: Show, layout: Layout, views: Sequence[EpisodeView],
             limit: int = SITEMAP_LIMIT) -> dict[str, bytes]:
    """``sitemap.xml``: the home page, the archive and every public episode page with its
    ``lastmod``; past ``limit`` URLs, a sitemap index over numbered sitemap files."""
    newest = max((v.episode.published.date().isoformat() for v in views), default=None)
    entries = [(layout.url(""), newest), (layout.url("episodes/"), newest)]
    entries += [(v.url, v.episode.published.date().isoformat()) for v in
                sorted(views, key=lambda v: (v.episode.published, v.episode.ordinal))]
    if len(entries) <= limit:
        return {"sitemap.xml": _urlset(entries)}
    files: dict[str, bytes] = {}
    parts = []
    for n, first in enumerate(range(0, len(entries), limit), 1):
        chunk = entries[first:first + limit]
        name = f"sitemaps/sitemap-{n}.xml"
        files[name] = _urlset(chunk)
        parts.append((layout.url(name), max((d for _, d in chunk if d), default=None)))
    files["sitemap.xml"] = _urlset(parts, root="sitemapindex", item="sitemap")
    return files


def _urlset(entries: Sequence[tuple[str, str | None]], root: str = "urlset",
            item: str = "url") -> bytes:
    """A sitemap (``urlset`` of ``url``) or a sitemap index (``sitemapindex`` of ``sitemap``)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url, lastmod in entries:
        stamp = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
        lines.append(f"<{item}><loc>{xml_escape(url)}</loc>{stamp}</{item}>")
    lines.append(f"</{root}>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _robots(layout: Layout) -> bytes:
    return (f"User-agent: *\nAllow: /\nDisallow: /search/\nDisallow: /pagefind/\n\n"
            f"Sitemap: {layout.url('sitemap.xml')}\n").encode()


__all__ = ["ARCHIVE_PAGE", "FEED_FILE", "SEARCH_PAGE", "EpisodeView", "SiteRenderer",
           "sitemaps"]
