"""The show's web pages: a home page and one page per public episode, rendered with Jinja2.

Each feed ``<link>`` points at a real page. Templates live in the package and can be
overridden by a ``templates/`` folder in the show folder (searched first).
"""

from __future__ import annotations

from warcast.episodes import Episode
from warcast.feed import public_episodes
from warcast.layout import FEED_FILE, Layout
from warcast.progress import clock
from warcast.show import Show
from warcast.transcripts import TRANSCRIPT_FORMATS


def _environment(show: Show):  # type: ignore[no-untyped-def]
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape

    loader = ChoiceLoader([FileSystemLoader(str(show.folder / "templates")),
                           PackageLoader("warcast", "templates")])
    env = Environment(loader=loader, autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["clock"] = clock
    return env


def render_pages(show: Show, episodes: list[Episode], layout: Layout) -> dict[str, bytes]:
    """Rendered pages by output path; members-only episodes never get a public page."""
    env = _environment(show)
    listed = sorted(public_episodes(episodes), key=lambda e: (e.published, e.ordinal),
                    reverse=True)
    common = {"show": show, "layout": layout, "feed_url": show.feed_url,
              "cover_url": layout.url(layout.cover()), "feed_file": FEED_FILE,
              "transcript_formats": tuple(TRANSCRIPT_FORMATS)}
    pages = {"index.html": env.get_template("index.html").render(episodes=listed, **common)}
    for episode in listed:
        pages[layout.page(episode) + "index.html"] = env.get_template("episode.html").render(
            episode=episode, **common)
    return {path: text.encode("utf-8") for path, text in pages.items()}
