"""Publishing: build every output file, validate, then switch the site over safely.

Stages, in order: load the model (show + episodes), render every output file to bytes or to
a source file to copy, write what changed into a staging folder beside the output, validate the
staged feed, and only then move the changed files into place, the feed last, so that at every
moment the live feed only points at files that exist. Stale files go after the new feed is live.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from warcast.backlinks import render_backlinks
from warcast.chapters import is_url, render_chapters
from warcast.episodes import Episode, load_episodes
from warcast.errors import FeedError, PublishError
from warcast.feed import build_feed, public_episodes
from warcast.files import file_sha256, write_atomic
from warcast.layout import FEED_FILE, Layout, MembersLayout
from warcast.linking import known_articles, public_links, published, related, related_articles
from warcast.links import Link
from warcast.members import BUNDLE_DIR, PLACEHOLDER
from warcast.show import Show, load_show, pin_podcast_guid
from warcast.transcription import load_transcript
from warcast.transcripts import TRANSCRIPT_FORMATS, Transcript
from warcast.validation import Finding, has_errors, validate_feed

MANIFEST = ".warcast-manifest.json"


@dataclass(frozen=True)
class CopyOf:
    """An output file that is a copy of a source file (audio, artwork)."""

    path: Path


Content = bytes | CopyOf


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
    search: object = None     # warcast.search.IndexReport, once the indexes are updated


def publish(folder: Path, out: Path) -> PublishReport:
    """Publish the show in ``folder`` into ``out``; on any error ``out`` is left as it was.

    The members' private bundle (their feed, and the files of members-only episodes) goes to
    ``<show>/.private/`` the same way, never into ``out``; then the search indexes follow.
    """
    show = load_show(folder)
    episodes = load_episodes(show)
    layout = Layout(show)
    planned = plan_site(show, episodes, layout)
    report = PublishReport(out=out, feed_url=show.feed_url,
                           episodes=len(public_episodes(episodes)),
                           members_only=len(episodes) - len(public_episodes(episodes)))
    private = MembersLayout(show, PLACEHOLDER)
    private_files = plan_private(show, episodes, private)
    _check_output(out)
    _switch(planned, out, layout, report)
    _switch(private_files, show.folder / BUNDLE_DIR, private, PublishReport(
        out=show.folder / BUNDLE_DIR, feed_url=private.feed_url, episodes=len(episodes),
        members_only=0), fallback=out)
    report.guid_pinned = pin_podcast_guid(show)
    from warcast.search import index_show

    report.search = index_show(folder, show, episodes)
    return report


def _switch(planned: dict[str, Content], out: Path, layout: Layout, report: PublishReport,
            fallback: Path | None = None) -> None:
    """Stage what changed beside ``out``, validate the staged feed, move files into place.
    ``fallback`` holds the files the feed points to that are not in ``out`` (the public site,
    for the members' bundle)."""
    staging = out.parent / f".{out.name}.staging-{os.getpid()}"
    try:
        changed = _stage(planned, out, staging, report)
        report.findings = _validate(planned[FEED_FILE], layout, staging, out, fallback)
        _commit(planned, changed, out, staging, report)
    except OSError as exc:
        raise PublishError(f"cannot write the site: {exc.strerror}",
                           path=Path(exc.filename or out),
                           hint="Check free space and permissions; the previous site is intact")\
            from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def plan_private(show: Show, episodes: list[Episode], layout: MembersLayout
                 ) -> dict[str, Content]:
    """The members' bundle: their feed of every episode, and the files and pages of the
    members-only episodes (public ones are served from the public site)."""
    from warcast.site import render_episode_pages

    articles = known_articles(show.folder)
    links = {e.name: published(related(e, articles)) for e in episodes}
    hidden = [e for e in episodes if e.members_only]
    transcripts = {e.name: load_transcript(e, show.language) for e in hidden if e.transcript}
    files: dict[str, Content] = {}
    for episode in hidden:
        files.update(_episode_files(episode, layout, transcripts.get(episode.name),
                                    links[episode.name]))
    members_only = frozenset(url for url, a in articles.items() if a.members_only)
    files.update(render_episode_pages(show, hidden, layout, links, transcripts, members_only))
    files[FEED_FILE] = build_feed(show, episodes, layout, related_articles(links, articles),
                                  members=True)
    return files


def plan_site(show: Show, episodes: list[Episode], layout: Layout) -> dict[str, Content]:
    """Every output file, by output path: rendered bytes or a source file to copy."""
    from warcast.site import render_pages

    articles = known_articles(show.folder)
    links = public_links(show, episodes, articles)
    listed = public_episodes(episodes)
    transcripts = {e.name: load_transcript(e, show.language) for e in listed if e.transcript}
    files: dict[str, Content] = {layout.cover(): CopyOf(show.cover)}
    for episode in listed:
        files.update(_episode_files(episode, layout, transcripts.get(episode.name),
                                    links[episode.name]))
    members_only = frozenset(url for url, a in articles.items() if a.members_only)
    files.update(render_pages(show, episodes, layout, links, transcripts, members_only))
    files.update(render_backlinks(show, layout, listed, links))
    files[FEED_FILE] = build_feed(show, episodes, layout, related_articles(links, articles))
    return files


def _episode_files(episode: Episode, layout: Layout, transcript: Transcript | None,
                   links: list[Link]) -> dict[str, Content]:
    files: dict[str, Content] = {}
    if layout.media_is_local:
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


def _check_output(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise PublishError("output is not a folder", path=out, hint="Pass --out DIR")
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise PublishError(
            "output folder holds files warcast did not publish", path=out,
            hint="Publish into an empty or new folder (warcast replaces what it publishes)")


def _digest(content: Content) -> str:
    if isinstance(content, bytes):
        return hashlib.sha256(content).hexdigest()
    return file_sha256(content.path)


def _load_manifest(out: Path) -> dict[str, dict]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return data["files"] if isinstance(data.get("files"), dict) else {}
    except (OSError, ValueError, KeyError, AttributeError):
        return {}


def _same_as_published(rel: str, content: Content, out: Path, manifest: dict) -> str | None:
    """The content digest when ``out/rel`` already holds exactly ``content``, else None.

    Copied files are compared by the source's size and mtime recorded in the manifest first,
    so an unchanged hour of audio is not read again on every publish.
    """
    target = out / rel
    entry = manifest.get(rel)
    if entry is None or not target.is_file():
        return None
    stat = target.stat()
    if [stat.st_size, stat.st_mtime_ns] != entry.get("out"):
        return None
    if isinstance(content, CopyOf):
        source = content.path.stat()
        if [source.st_size, source.st_mtime_ns] == entry.get("source"):
            return entry.get("sha256")
    digest = _digest(content)
    return digest if digest == entry.get("sha256") else None


def _stage(planned: dict[str, Content], out: Path, staging: Path,
           report: PublishReport) -> dict[str, str]:
    """Write changed files into ``staging``; returns their digests by output path."""
    manifest = _load_manifest(out)
    changed: dict[str, str] = {}
    for rel, content in planned.items():
        if _same_as_published(rel, content, out, manifest):
            report.unchanged += 1
            continue
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            shutil.copyfile(content.path, target)
        changed[rel] = _digest(content)
    return changed


def _validate(feed: Content, layout: Layout, staging: Path, out: Path,
              fallback: Path | None = None) -> list[Finding]:
    assert isinstance(feed, bytes)

    def locate(url: str) -> Path | None:
        relative = layout.locate(url)
        if relative is None:
            return None
        for folder in (staging, out, fallback):
            if folder is not None and (folder / relative).is_file():
                return folder / relative
        return out / relative

    findings = validate_feed(feed, source=FEED_FILE, locate=locate)
    if has_errors(findings):
        errors = [f for f in findings if f.level == "error"]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise FeedError(f"the built feed fails validation: {errors[0]}{more}",
                        hint="Nothing was published; fix the source and publish again")
    return findings


def _commit_order(rel: str) -> tuple[int, str]:
    """Media first, then episode files, pages, and the feed last."""
    if rel == FEED_FILE:
        return (3, rel)
    if rel.endswith(".html") or rel.endswith(".xml") or rel.endswith(".txt"):
        return (2, rel)
    return (0 if rel.startswith("media/") else 1, rel)


def _commit(planned: dict[str, Content], changed: dict[str, str], out: Path, staging: Path,
            report: PublishReport) -> None:
    manifest = _load_manifest(out)
    out.mkdir(parents=True, exist_ok=True)
    for rel in sorted(changed, key=_commit_order):
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, target)
        report.written.append(rel)
    for rel in sorted(set(manifest) - set(planned)):
        _remove(out, PurePosixPath(rel), report)
    _write_manifest(planned, changed, manifest, out)


def _remove(out: Path, rel: PurePosixPath, report: PublishReport) -> None:
    if ".." in rel.parts or rel.is_absolute():
        return
    target = out / rel
    if target.is_file():
        target.unlink()
        report.removed.append(str(rel))
    parent = target.parent
    while parent != out and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def _write_manifest(planned: dict[str, Content], changed: dict[str, str], old: dict,
                    out: Path) -> None:
    files = {}
    for rel, content in sorted(planned.items()):
        stat = (out / rel).stat()
        entry = {"sha256": changed.get(rel) or old[rel]["sha256"],
                 "out": [stat.st_size, stat.st_mtime_ns]}
        if isinstance(content, CopyOf):
            source = content.path.stat()
            entry["source"] = [source.st_size, source.st_mtime_ns]
        files[rel] = entry
    data = json.dumps({"generator": "warcast", "files": files}, indent=1, sort_keys=True)
    if not (out / MANIFEST).exists() or (out / MANIFEST).read_text() != data + "\n":
        write_atomic(out / MANIFEST, (data + "\n").encode())

