"""Publishing: build every output file, validate, then switch the site over safely.

Stages, in order: load the model (show + episodes), render every output file to bytes or to
a source file to copy, write what changed into a staging folder beside the output, validate the
staged feed, and only then move the changed files into place, the feed last, so that at every
moment the live feed only points at files that exist. Stale files go after the new feed is live.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from warcast.articles import Article
from warcast.audio.masters import published_audio
from warcast.episodes import Episode, load_episodes
from warcast.errors import FeedError
from warcast.feed.build import build_feed, public_episodes
from warcast.feed.chapters import is_url, render_chapters
from warcast.files import write_atomic
from warcast.links import Link
from warcast.links.run import known_articles, published, related, related_articles
from warcast.lock import locked
from warcast.members import PLACEHOLDER, STORE_FILE
from warcast.publish.cache import RenderCache, code_stamps, digest, stamps, tree_stamps
from warcast.publish.layout import FEED_FILE, Layout, MembersLayout
from warcast.publish.releases import Content, CopyOf, generations, live, release
from warcast.show import Show, load_show, pin_podcast_guid
from warcast.site.backlinks import render_backlinks
from warcast.state import ARTICLES_STORE, BUNDLE_DIR, LEGACY, STATE_DIR
from warcast.stats.tallies import STORE_FILE as DOWNLOADS_FILE
from warcast.transcript.model import TRANSCRIPT_FORMATS, Transcript
from warcast.transcript.transcribe import load_transcript
from warcast.validation import Finding, compare_feeds, has_errors, validate_feed


@dataclass
class PublishReport:
    """What a publish did, for the CLI to summarise."""

    out: Path
    feed_url: str
    episodes: int
    members_only: int
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    findings: list[Finding] = field(default_factory=list)
    guid_pinned: bool = False
    sound: list[str] = field(default_factory=list)   # warnings about masters and their audio
    search: object = None     # warcast.search.IndexReport, once the indexes are updated


@locked("publish")
def publish(folder: Path, out: Path, *, accept_changes: bool = False) -> PublishReport:
    """Publish the show in ``folder`` into ``out``; on any error ``out`` is left as it was.

    The members' private bundle (their feed, and the files of members-only episodes) goes to
    ``<show>/.warcast/private/`` the same way, never into ``out``; then the search indexes follow.
    A published episode whose guid or enclosure URL would change stops the publish unless
    ``accept_changes``.
    """
    inputs = inputs_digest(folder, out)
    unchanged = _unchanged_since_last(out, inputs)
    if unchanged is not None and _state_complete(folder):
        return unchanged
    show = load_show(folder)
    episodes, derived = published_audio(show, load_episodes(show))
    layout = Layout(show)
    articles = known_articles(show.folder)
    links = {e.name: published(related(e, articles)) for e in episodes}   # rejected left out
    planned = plan_site(show, episodes, layout, articles, links)
    report = PublishReport(out=out, feed_url=show.feed_url,
                           episodes=len(public_episodes(episodes)),
                           members_only=len(episodes) - len(public_episodes(episodes)))
    private = MembersLayout(show, PLACEHOLDER)
    private_files = plan_private(show, episodes, private, articles, links)
    previous = live(out)
    old_feed = (previous / FEED_FILE).read_bytes() \
        if previous and (previous / FEED_FILE).is_file() else None
    _switch(planned, out, layout, report,
            previous=None if accept_changes else old_feed)
    _switch(private_files, show.folder / BUNDLE_DIR, private, PublishReport(
        out=show.folder / BUNDLE_DIR, feed_url=private.feed_url, episodes=len(episodes),
        members_only=0), fallback=out, owned=True)
    report.sound = [w for name in sorted(derived) for w in derived[name].warnings]
    report.guid_pinned = pin_podcast_guid(show)
    from warcast.search import index_show

    report.search = index_show(folder, show, episodes)
    if not report.guid_pinned:   # pinning edits show.toml: the next run must look again
        _remember(out, inputs, report)
    return report


# What a publish does not read from the show folder: warcast's state (but for the article
# store, stamped on its own), the members store (tokens are resolved when serving) and the
# download counts.
_DERIVED = (STATE_DIR, STORE_FILE, DOWNLOADS_FILE, *LEGACY)
_INPUTS_FILE = "inputs.json"


def inputs_digest(folder: Path, out: Path) -> str:
    """A digest of every input's path, size and mtime (and warcast's own files): equal digests
    mean a publish would make exactly what is live, so it can stop at once."""
    return digest(str(out.absolute()), code_stamps(), tree_stamps(folder, skip=_DERIVED),
                  stamps([folder / ARTICLES_STORE], folder))


def _unchanged_since_last(out: Path, inputs: str) -> PublishReport | None:
    """The report of a publish with nothing to do, if the inputs are those of the live site."""
    current = live(out)
    record = generations(out) / _INPUTS_FILE
    if current is None or not record.is_file():
        return None
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("inputs") != inputs or data.get("generation") != current.name:
        return None
    return PublishReport(out=out, feed_url=data["feed_url"], episodes=data["episodes"],
                         members_only=data["members_only"], unchanged=data["files"])


def _state_complete(folder: Path) -> bool:
    """True while the show's state folder still holds what a publish writes there."""
    from warcast.search import index_path

    return live(folder / BUNDLE_DIR) is not None and all(
        index_path(folder, members=members).is_file() for members in (False, True))


def _remember(out: Path, inputs: str, report: PublishReport) -> None:
    current = live(out)
    if current is None:
        return
    data = {"inputs": inputs, "generation": current.name, "feed_url": report.feed_url,
            "episodes": report.episodes, "members_only": report.members_only,
            "files": report.unchanged + len(report.written)}
    write_atomic(generations(out) / _INPUTS_FILE, (json.dumps(data) + "\n").encode())


def _switch(planned: dict[str, Content], out: Path, layout: Layout, report: PublishReport,
            fallback: Path | None = None, previous: bytes | None = None,
            owned: bool = False) -> None:
    """Release ``planned`` at ``out`` once its feed validates in the new generation and keeps
    every guid and enclosure URL of the ``previous`` feed. ``fallback`` holds the files the
    feed points to that are not in ``out`` (the public site, for the members' bundle)."""
    def check(folder: Path) -> None:
        feed = planned[FEED_FILE]
        assert isinstance(feed, bytes)
        report.findings = _validate(feed, layout, folder, fallback)
        if previous is not None:
            changes = compare_feeds(previous, feed, previous_source=str(out / FEED_FILE))
            _refuse_changes(changes)
            report.findings += changes

    done = release(planned, out, check, owned=owned)
    report.written, report.removed, report.unchanged = done.written, done.removed, \
        done.unchanged


def plan_private(show: Show, episodes: list[Episode], layout: MembersLayout,
                 articles: dict[str, Article], links: dict[str, list[Link]]
                 ) -> dict[str, Content]:
    """The members' bundle: their feed of every episode, and the files and pages of the
    members-only episodes (public ones are served from the public site)."""
    from warcast.site.pages import render_episode_pages

    hidden = [e for e in episodes if e.members_only]
    transcripts = {e.name: load_transcript(e, show.language) for e in hidden if e.transcript}
    files: dict[str, Content] = {}
    for episode in hidden:
        files.update(_episode_files(episode, layout, transcripts.get(episode.name),
                                    links[episode.name]))
    files.update(render_episode_pages(show, hidden, layout, links,
                                      lambda e: transcripts.get(e.name),
                                      _members_only_urls(articles, links)))
    files[FEED_FILE] = build_feed(show, episodes, layout, related_articles(links, articles),
                                  members=True)
    return files


def plan_site(show: Show, episodes: list[Episode], layout: Layout,
              articles: dict[str, Article], every_link: dict[str, list[Link]]
              ) -> dict[str, Content]:
    """Every output file, by output path: rendered bytes or a source file to copy. What an
    episode renders to (transcript files, page, search source page) and the search bundle
    are taken from the render cache when their inputs are unchanged: the one place where
    rendered output is cached. Building the search bundle is its own step, after the pages."""
    from warcast.site.pagefind import search_bundle
    from warcast.site.pages import SiteRenderer

    listed = public_episodes(episodes)
    links = {e.name: every_link[e.name] for e in listed}   # no members-only episode
    members_only = _members_only_urls(articles, links)
    shared = digest(code_stamps(), (show.folder / "show.toml").read_bytes(), layout.base,
                    layout.media_base, show.language, stamps([show.cover]),
                    _override_stamps(show.folder), sorted(members_only))
    keys = {e.name: digest(shared, stamps(sorted(e.folder.iterdir())),
                           [tuple(vars(k).values()) for k in links[e.name]])
            for e in listed}
    loaded: dict[str, Transcript | None] = {}

    def transcript_of(episode: Episode) -> Transcript | None:
        if episode.name not in loaded:
            loaded[episode.name] = load_transcript(episode, show.language) \
                if episode.transcript else None
        return loaded[episode.name]

    renderer = SiteRenderer(show, layout, members_only)
    cache = RenderCache(show.folder)
    try:
        files: dict[str, Content] = {layout.cover(): CopyOf(show.cover)}
        for episode in listed:
            files.update(_episode_files(episode, layout, None, links[episode.name]))
            if episode.transcript:
                files.update(cache.through(
                    f"transcripts:{keys[episode.name]}",
                    lambda e=episode: _transcript_files(e, layout, transcript_of(e),
                                                        links[e.name])))
        listing = renderer.listing(episodes, links)
        rendered = {view.path: cache.through(
            f"page:{keys[view.episode.name]}",
            lambda e=view.episode: renderer.episode(e, links[e.name], transcript_of(e)))
            for view in listing}
        files.update(renderer.site(listing, {path: r["page"] for path, r in rendered.items()}))
        files.update(search_bundle({path: r["source"] for path, r in rendered.items()},
                                   show.language, cache))
    finally:
        cache.close()
    files.update(render_backlinks(show, layout, listed, links))
    files[FEED_FILE] = build_feed(show, episodes, layout, related_articles(links, articles))
    return files


def _members_only_urls(articles: dict[str, Article],
                       links: dict[str, list[Link]]) -> frozenset[str]:
    """Members-only articles: those the store says are, and those a link recorded as such
    when it was made (the store may be missing, as in a fresh copy of the show)."""
    return frozenset({url for url, article in articles.items() if article.members_only}
                     | {k.url for found in links.values() for k in found
                        if k.members_only and k.url not in articles})


def _override_stamps(folder: Path) -> list[tuple[str, int, int]]:
    return [stamp for name in ("templates", "static") if (folder / name).is_dir()
            for stamp in tree_stamps(folder / name)]


def _episode_files(episode: Episode, layout: Layout, transcript: Transcript | None,
                   links: list[Link]) -> dict[str, Content]:
    files: dict[str, Content] = {}
    if layout.hosts_audio(episode):
        assert episode.audio.path is not None
        files[layout.audio(episode)] = CopyOf(episode.audio.path)
    image = layout.episode_image(episode)
    if image and episode.image:
        files[image] = CopyOf(episode.image)
    if transcript is not None:
        files.update(_transcript_files(episode, layout, transcript, links))
    if episode.chapters:
        images = _chapter_images(episode, layout)
        files.update({rel: CopyOf(episode.folder / name) for name, rel in images.items()})
        urls = {name: layout.url(rel) for name, rel in images.items()}
        passages = [(k.start, k.end, k.score, k.url) for k in links if k.level == "passage"]
        files[layout.chapters(episode)] = render_chapters(episode, urls, passages)
    return files


def _transcript_files(episode: Episode, layout: Layout, transcript: Transcript,
                      links: list[Link]) -> dict[str, Content]:
    """Every published transcript format, derived from the episode's source transcript."""
    chapters = [(chapter.start, chapter.title) for chapter in episode.chapters]
    passages = [(k.start, k.url, k.title) for k in links if k.level == "passage"]
    return {layout.transcript(episode, suffix): kind.render(transcript, title=episode.title,
                                                            chapters=chapters, links=passages)
            for suffix, kind in TRANSCRIPT_FORMATS.items()}


def _chapter_images(episode: Episode, layout: Layout) -> dict[str, str]:
    names = {c.image for c in episode.chapters if c.image and not is_url(c.image)}
    base = layout.chapters(episode).rsplit("/", 1)[0]
    return {name: f"{base}/" + layout.image_name("chapter", episode.folder / name)
            for name in sorted(names)}


def _refuse_changes(changes: list[Finding]) -> None:
    errors = [f for f in changes if f.level == "error"]
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise FeedError(f"the new feed changes what apps already have: {errors[0]}{more}",
                        hint="Nothing was published; undo the change, or publish with "
                             "--accept-changes if it is deliberate")


def _validate(feed: Content, layout: Layout, folder: Path,
              fallback: Path | None = None) -> list[Finding]:
    assert isinstance(feed, bytes)

    def locate(url: str) -> Path | None:
        relative = layout.locate(url)
        if relative is None:
            return None
        if fallback is not None and not (folder / relative).is_file() \
                and (fallback / relative).is_file():
            return fallback / relative
        return folder / relative

    findings = validate_feed(feed, source=FEED_FILE, locate=locate)
    if has_errors(findings):
        errors = [f for f in findings if f.level == "error"]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise FeedError(f"the built feed fails validation: {errors[0]}{more}",
                        hint="Nothing was published; fix the source and publish again")
    return findings
