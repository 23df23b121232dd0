"""Cross-links between episodes and articles: computing them, and the editors' decisions.

The machine's suggestions for each episode are derived data, kept in ``links.json`` beside the
transcript with the key of what made them, so an unchanged episode is not linked again. What
editors decide (pin an article, optionally at a time; reject a suggestion) is source, kept in
``episode.toml`` as ``[[links]]``, and applied every time links are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from warcast.articles import Article, RelatedArticle, open_store
from warcast.episodes import EPISODE_FILE, Decision, Episode, load_episodes, parse_time, select
from warcast.errors import SourceError
from warcast.files import read_json_object, read_toml, write_atomic
from warcast.links import Link, Linker
from warcast.lock import locked
from warcast.show import Show, load_show
from warcast.state import ARTICLES_STORE
from warcast.status import Status
from warcast.transcript.transcribe import load_transcript

LINKS_FILE = "links.json"


@dataclass
class LinkResult:
    """What ``warcast link`` did for one episode."""

    episode: Episode
    status: Status
    passages: int = 0
    articles: int = 0


@locked("link")
def link_show(folder: Path, selectors: tuple[str, ...] = ()) -> Iterator[LinkResult]:
    """Compute suggested links for the chosen episodes (all when none are named)."""
    show = load_show(folder)
    episodes = select(load_episodes(show), selectors)
    linker = Linker(list(known_articles(show.folder).values()))
    for episode in episodes:
        yield _link_episode(show, episode, linker)


def _link_episode(show: Show, episode: Episode, linker: Linker) -> LinkResult:
    if episode.transcript is None:
        return LinkResult(episode, Status.NO_TRANSCRIPT)
    transcript = load_transcript(episode, show.language)
    key = linker.cache_key(transcript, title=episode.title, notes=episode.description_text)
    path = episode.folder / LINKS_FILE
    if _stored(path).get("key") == key:
        return LinkResult(episode, Status.UP_TO_DATE)
    links = linker.link(transcript, title=episode.title, notes=episode.description_text)
    data = {"key": key, "links": [asdict(link) for link in links]}
    write_atomic(path, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode())
    passages = [link for link in links if link.level == "passage"]
    return LinkResult(episode, Status.LINKED, len(passages), len({link.url for link in links}))


def _stored(path: Path) -> dict:
    """Stored suggestions; a damaged file is as good as none (it is derived)."""
    return read_json_object(path) or {}


def suggested(episode: Episode) -> list[Link]:
    """The machine's links for an episode as last computed (none before ``warcast link``)."""
    fields = set(Link.__dataclass_fields__)
    return [Link(**{k: v for k, v in item.items() if k in fields})
            for item in _stored(episode.folder / LINKS_FILE).get("links", [])
            if isinstance(item, dict)]


def related(episode: Episode, articles: dict[str, Article]) -> list[Link]:
    """Suggestions with the editors' decisions applied: rejected ones marked, pinned ones
    marked or added; passage links in time order, then episode links best first."""
    decisions = {d.url: d for d in episode.decisions}
    links = [_decide(link, decisions.get(link.url)) for link in suggested(episode)]
    present = {link.url for link in links}
    for decision in episode.decisions:
        if decision.status == "pinned" and (decision.start is not None
                                            or decision.url not in present):
            links.append(_pinned_link(decision, articles.get(decision.url), episode))
    passages = sorted((k for k in links if k.level == "passage"), key=lambda k: (k.start, k.url))
    overall = sorted((k for k in links if k.level == "episode"), key=lambda k: (-k.score, k.url))
    return passages + overall


def published(links: list[Link]) -> list[Link]:
    """The links public output shows: everything but what editors rejected."""
    return [link for link in links if link.status != "rejected"]


def _decide(link: Link, decision: Decision | None) -> Link:
    if decision is None:
        return link
    return replace(link, status=decision.status)


def _pinned_link(decision: Decision, article: Article | None, episode: Episode) -> Link:
    title = article.title if article else decision.url
    members_only = bool(article and article.members_only)
    if decision.start is None:
        return Link(decision.url, title, "episode", 0.0, 0.0, 1.0, "pinned", members_only)
    end = min(decision.start + 60.0, episode.audio.duration)
    return Link(decision.url, title, "passage", decision.start, end, 1.0, "pinned",
                members_only)


@locked("links")
def decide(folder: Path, selector: str, url: str, status: str, at: str | None = None) -> Path:
    """Record an editor's decision in the episode's ``episode.toml`` (comments kept)."""
    import tomlkit

    show = load_show(folder)
    episode = select(load_episodes(show), (selector,))[0]
    path = episode.folder / EPISODE_FILE
    if at is not None and parse_time(at) is None:
        raise SourceError(f"'{at}' is not a time", hint='Write "M:SS" or "H:MM:SS"')
    read_toml(path, what="episode file")  # refuse a broken file before editing it
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    entries = document.setdefault("links", tomlkit.aot())
    for entry in list(entries):
        if entry.get("url") == url:
            entries.remove(entry)
    entry = tomlkit.table()
    entry.add("url", url)
    entry.add("status", status)
    if at is not None:
        entry.add("start", at)
    entries.append(entry)
    before = path.read_bytes()
    write_atomic(path, tomlkit.dumps(document).encode("utf-8"))
    try:
        load_episodes(load_show(folder))  # the edited file must still load
    except Exception:
        write_atomic(path, before)
        raise
    return path


def related_for(folder: Path, selector: str) -> tuple[str, list[Link]]:
    """The slug and the decided links of one episode, for ``warcast related``."""
    show = load_show(folder)
    episode = select(load_episodes(show), (selector,))[0]
    return episode.slug, related(episode, known_articles(show.folder))


def known_articles(folder: Path) -> dict[str, Article]:
    """The show's articles by URL; none when nothing was ever imported (no store is made)."""
    if not (folder / ARTICLES_STORE).is_file():
        return {}
    with open_store(folder) as store:
        return {article.url: article for article in store.all()}


def related_articles(links: dict[str, list[Link]],
                     articles: dict[str, Article]) -> dict[str, list[RelatedArticle]]:
    """Per episode, the articles to list under its description: episode links best first
    (passage links' articles when there are no episode links), at most five."""
    result = {}
    for name, found in links.items():
        chosen = [k for k in found if k.level == "episode"] or \
            [k for k in found if k.level == "passage"]
        seen: dict[str, RelatedArticle] = {}
        for k in chosen:
            article = articles.get(k.url)
            if k.url not in seen and len(seen) < 5:
                seen[k.url] = RelatedArticle(k.url, article.title if article else k.title,
                                             article.members_only if article
                                             else k.members_only)
        result[name] = list(seen.values())
    return result
