"""Backlinks: for every article, the episodes that discuss it, for the article site to show.

``backlinks.json`` maps each article URL to its episodes with timestamped deep links into the
episode pages (``…/episodes/<slug>/?t=754``), and each article gets a small HTML snippet the
article site can embed ("Discussed on Warcast: title, 12:34"). Only public episodes appear,
and for members-only articles nothing but the title is used.
"""

from __future__ import annotations

import hashlib
import html
import json

from warcast.episodes import Episode
from warcast.links import Link
from warcast.publish.layout import Layout
from warcast.show import Show
from warcast.timecode import clock

BACKLINKS_FILE = "backlinks.json"
SNIPPETS_FOLDER = "backlinks"


def deep_link(layout: Layout, episode: Episode, seconds: float) -> str:
    """The episode page URL that starts the player at ``seconds``."""
    return f"{layout.url(layout.page(episode))}?t={int(seconds)}"


def snippet_path(url: str) -> str:
    """The output path of an article's snippet (named by a digest of its URL)."""
    return f"{SNIPPETS_FOLDER}/{hashlib.sha256(url.encode()).hexdigest()[:16]}.html"


def render_backlinks(show: Show, layout: Layout, episodes: list[Episode],
                     links: dict[str, list[Link]]) -> dict[str, bytes]:
    """``backlinks.json`` and one snippet per linked article, by output path."""
    by_article: dict[str, list[dict[str, object]]] = {}
    titles: dict[str, str] = {}
    for episode in sorted(episodes, key=lambda e: (e.published, e.ordinal), reverse=True):
        for link in _first_per_article(links.get(episode.name, [])):
            titles.setdefault(link.url, link.title)
            by_article.setdefault(link.url, []).append({
                "episode": episode.slug, "title": episode.title,
                "published": episode.published.isoformat(), "start": round(link.start, 3),
                "url": deep_link(layout, episode, link.start)})
    files: dict[str, bytes] = {}
    document: dict[str, object] = {}
    for url in sorted(by_article):
        path = snippet_path(url)
        files[path] = _snippet(show, by_article[url])
        document[url] = {"title": titles[url], "snippet": layout.url(path),
                         "episodes": by_article[url]}
    files[BACKLINKS_FILE] = (json.dumps(document, indent=1, ensure_ascii=False,
                                        sort_keys=True) + "\n").encode("utf-8")
    return files


def _first_per_article(links: list[Link]) -> list[Link]:
    """Each article once per episode, at the earliest moment it comes up."""
    first: dict[str, Link] = {}
    for link in links:
        if link.url not in first or link.start < first[link.url].start:
            first[link.url] = link
    return sorted(first.values(), key=lambda link: (link.start, link.url))


def _snippet(show: Show, entries: list[dict[str, object]]) -> bytes:
    items = "".join(
        f'<li><a href="{html.escape(str(e["url"]))}">{html.escape(str(e["title"]))}</a>, '
        f"{clock(float(e['start']))}</li>"  # type: ignore[arg-type]
        for e in entries)
    text = (f'<aside class="warcast-backlinks"><p>Discussed on '
            f"{html.escape(show.title)}:</p><ul>{items}</ul></aside>\n")
    return text.encode("utf-8")
