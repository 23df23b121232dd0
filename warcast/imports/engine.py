"""The import engine: one run of ``import_feed`` as a :class:`_Import` that holds the run's
state, from reading the old feed to writing each episode folder and its record. The package
(:mod:`warcast.imports`) is its facade."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from warcast.audio.artwork import artwork_problem, image_info, placeholder_png
from warcast.audio.probe import FORMATS, MEDIA_TYPES, container_suffix, probe
from warcast.episodes import (
    EPISODE_FILE,
    FOLDER_PATTERN,
    NOTES_FILE,
    NOTES_HTML_FILE,
    TRANSCRIPT_FILE,
    episode_folders,
    load_episode,
    slugify,
)
from warcast.errors import AudioError, FeedError, PublishError, SourceError, WarcastError
from warcast.files import create_exclusive, write_atomic
from warcast.imports.conversion import TIMED_TYPES, chapters_from, transcript_from
from warcast.imports.downloads import Fetcher, download
from warcast.imports.model import Notices, SourceEpisode, SourceFeed
from warcast.imports.parsing import forwarding_feed
from warcast.imports.reading import read_source_feed
from warcast.imports.writing import (
    STATE_FILE,
    episode_toml,
    file_digests,
    item_digest,
    read_state,
    show_toml,
    state_bytes,
)
from warcast.lock import show_lock
from warcast.show import SHOW_FILE, Show, derive_podcast_guid, load_show
from warcast.source import check_url
from warcast.validation.reading import read_feed_at

MAX_ARTWORK_BYTES = 10 * 1024 * 1024
MAX_LINKED_BYTES = 16 * 1024 * 1024
_STAGING = ".import.tmp"
SHOW_STATE = ".imported-show.json"   # the placeholder cover a later import may replace
_IMPORTED_NOTE = ("Imported transcript: correct the words freely, keep the time lines. "
                  "warcast never replaces it unless run with --force.")


@dataclass
class ImportReport:
    """What an import did, for the CLI to summarise."""

    source: str
    folder: Path
    items: int = 0
    created_show: bool = False
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)      # left alone: edited since the import
    foreign: list[str] = field(default_factory=list)     # same guid, not made by an import
    gone: list[str] = field(default_factory=list)        # imported before, no longer in the feed
    downloaded: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)    # audio downloads that did not finish
    rejected: list[str] = field(default_factory=list)    # items that make no valid episode
    notices: list[str] = field(default_factory=list)
    forwarding: str | None = None   # the new feed URL a forwarding feed was written for


def import_feed(folder: Path, location: str, *, base_url: str | None = None,
                download_audio: bool = False, fetch: bool = True, force: bool = False,
                forwarding: Path | None = None, members_only: bool = False,
                progress: Callable[[str, int, int], None] | None = None) -> ImportReport:
    """Import the feed at ``location`` into the show folder ``folder``.

    ``base_url`` (where warcast will publish the show) is needed when there is no show.toml
    yet. ``fetch`` off downloads nothing the feed links to; ``download_audio`` fetches each
    episode's audio into its folder (resuming partial downloads). ``force`` replaces episodes
    edited since the last import. ``forwarding`` names a file to write the old feed to with
    ``itunes:new-feed-url`` pointing at this show's feed (for an old host that serves a file).
    ``members_only`` marks every episode members-only (a private feed, e.g. a membership
    platform's). ``progress(name, done, total)`` follows audio downloads.
    """
    data, final = read_feed_at(location)
    feed = read_source_feed(data, location, final=final)
    for episode in feed.episodes if members_only else ():
        episode.members_only = True
    if not (folder / SHOW_FILE).exists():
        if not base_url:
            raise SourceError("there is no show.toml to import into", path=folder,
                              hint="Pass --base-url URL (where warcast will publish the show) "
                                   "to create one")
        check_url(base_url, lambda message: SourceError(message, key="--base-url"))
    else:
        load_show(folder)   # a broken show.toml stops the import before anything is written
    forward = _forwarding(folder, data, location, base_url, forwarding)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with show_lock(folder, "import"):
            report = _Import(folder, feed, Fetcher(enabled=fetch), force).run(
                base_url, download_audio, progress)
        if forward is not None:
            report.forwarding = forward[0]
            try:
                write_atomic(forwarding, forward[1])  # type: ignore[arg-type]
            except OSError as exc:
                raise PublishError(f"cannot write the forwarding feed: {exc.strerror or exc}",
                                   path=forwarding, hint="The import itself is done; run it "
                                   "again with another --forwarding-feed") from None
    except OSError as exc:
        _leave_no_trace(folder, created)
        raise PublishError(f"cannot write: {exc.strerror or exc}",
                           path=exc.filename or folder,
                           hint="Check that the folder is writable and the disk has room; "
                                "run the import again") from None
    except BaseException:
        _leave_no_trace(folder, created)
        raise
    return report


def _forwarding(folder: Path, data: bytes, location: str, base_url: str | None,
                forwarding: Path | None) -> tuple[str, bytes] | None:
    """The new feed URL and the forwarding feed's bytes, made (and the place to write them
    checked) before the import writes anything."""
    if forwarding is None:
        return None
    url = load_show(folder).feed_url if (folder / SHOW_FILE).exists() \
        else f"{(base_url or '').rstrip('/')}/feed.xml"
    forward = forwarding_feed(data, url, source=location)
    parent = forwarding.parent if str(forwarding.parent) else Path(".")
    if forwarding.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK):
        raise PublishError("the forwarding feed cannot be written there", path=forwarding,
                           hint="Give a file name in a folder you can write to")
    return url, forward


def _leave_no_trace(folder: Path, created: bool) -> None:
    """Remove a show folder this import created when no episode made it into it."""
    if created and folder.is_dir() and not any(
            (child / EPISODE_FILE).is_file() for child in folder.iterdir()):
        shutil.rmtree(folder, ignore_errors=True)


class _Import:
    """One import run. Its state is all declared here; ``run`` and the steps fill it in."""

    def __init__(self, folder: Path, feed: SourceFeed, fetcher: Fetcher, force: bool) -> None:
        self.folder = folder
        self.feed = feed
        self.fetcher = fetcher
        self.force = force
        self.notices = Notices()
        self.report = ImportReport(source=feed.location, folder=folder, items=len(feed.episodes))
        self.ordinal = 0                       # the highest folder number in the show
        self.slugs: set[str] = set()           # folder slugs in use
        self.held: dict[str, tuple[object, object, object]] = {}   # guid -> (season, number, type)
        self.sources: dict[Path, dict] = {}    # each folder's episode.toml as it is now
        self.numbers: dict[object, str] = {}   # numbers of episodes left as they are -> guid
        self.show_files: list[Path] = []       # what creating show.toml wrote (to undo)

    def run(self, base_url: str | None, download_audio: bool,
            progress: Callable[[str, int, int], None] | None) -> ImportReport:
        if not (self.folder / SHOW_FILE).exists():
            assert base_url is not None
            self._create_show(base_url.rstrip("/"))
            show = load_show(self.folder)
        else:
            show = load_show(self.folder)
            self._kept_show(show, base_url)
        staging = self.folder / _STAGING
        shutil.rmtree(staging, ignore_errors=True)
        kept: dict[str, tuple[Path, SourceEpisode]] = {}
        names = [p.name for p in self.folder.iterdir() if FOLDER_PATTERN.match(p.name)]
        self.ordinal = max((int(n.split("-", 1)[0]) for n in names), default=0)
        self.slugs = {n.split("-", 1)[1] for n in names}
        try:
            existing = self._existing(show)
            plans = [self._plan(episode, existing.pop(episode.guid, None))
                     for episode in self.feed.episodes]
            touched = {plan.episode.guid for plan in plans if plan.kind in ("new", "import")}
            self.numbers = {number: guid for guid, number in self.held.items()
                            if guid not in touched}   # numbers of episodes left as they are
            for plan in plans:
                target = self._episode(show, plan, staging)
                if target is not None:
                    kept[plan.episode.guid] = (target, plan.episode)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.report.gone = sorted(path.name for path in existing.values()
                                  if read_state(path) is not None)
        if self.report.rejected and not kept and not self.report.edited:
            self._undo_show()
            more = len(self.report.rejected) - 1
            raise FeedError(f"{self.feed.location}: none of its {len(self.feed.episodes)} "
                            f"episodes can be imported: {self.report.rejected[0]}"
                            + (f" (and {more} more)" if more else ""),
                            hint="Nothing was imported")
        if download_audio:
            for target, episode in kept.values():
                self._download(show, target, episode, progress)
            if self.report.edited:
                self.notices.add("audio not downloaded for episodes edited here (--force "
                                 "replaces them, then downloads)", ", ".join(self.report.edited))
        self.report.notices = self.feed.notices.lines() + self.notices.lines()
        return self.report

    # --- the show -------------------------------------------------------------------------

    def _create_show(self, base_url: str) -> None:
        source = self.feed.show
        cover = self._cover()
        email = source.owner_email
        if email is None:
            email = f"podcast@{base_url.split('//', 1)[1].split('/')[0].split(':')[0]}"
            self.notices.add(f"no owner e-mail in the feed: set to {email} (edit show.toml)")
        written: list[Path] = []
        try:
            name = self._cover_name(cover[1])
            if not (self.folder / name).exists():
                create_exclusive(self.folder / name, cover[0])
                written.append(self.folder / name)
                if cover[2]:   # a placeholder: a later import may replace it with the real art
                    write_atomic(self.folder / SHOW_STATE, state_bytes(
                        {"cover": name, "placeholder": hashlib.sha256(cover[0]).hexdigest()}))
                    written.append(self.folder / SHOW_STATE)
            guid, note = self._show_guid()
            text = show_toml(source, self.feed.location, base_url=base_url, cover=name,
                             email=email, guid=guid, guid_note=note)
            create_exclusive(self.folder / SHOW_FILE, text)
            written.append(self.folder / SHOW_FILE)
            load_show(self.folder)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        self.report.created_show = True
        self.show_files = written

    def _undo_show(self) -> None:
        for path in self.show_files:
            path.unlink(missing_ok=True)
        self.report.created_show = False

    def _kept_show(self, show: Show, base_url: str | None) -> None:
        """An existing show.toml is the producer's: say where it and the old feed differ,
        and put the real artwork in place of a placeholder an earlier import left."""
        self._replace_placeholder(show)
        if base_url and base_url.rstrip("/") != show.base_url:
            self.notices.add(f"--base-url ignored: show.toml exists (base_url = {show.base_url})")
        old = self.feed.show.podcast_guid
        if old and old != show.podcast_guid and _is_uuid5(old):
            self.notices.add(f"show.toml kept: its podcast:guid {show.podcast_guid} is not the "
                             f'old feed\'s {old} (set guid = "{old}" to keep the show\'s '
                             "identity)")

    def _replace_placeholder(self, show: Show) -> None:
        record = self.folder / SHOW_STATE
        try:
            state = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        cover = self.folder / str(state.get("cover"))
        if not self.fetcher.enabled or show.cover != cover.resolve() or not cover.is_file() \
                or hashlib.sha256(cover.read_bytes()).hexdigest() != state.get("placeholder"):
            return   # no placeholder any more (the producer chose a cover), or no network
        data, extension, placeholder = self._cover(quiet=True)
        if placeholder:
            return
        name = cover.name if cover.suffix == f".{extension}" else next(
            n for n in (f"cover.{extension}", f"cover-imported.{extension}",
                        f"cover-{state['placeholder'][:8]}.{extension}")
            if not (self.folder / n).exists())   # never over a file the producer put there
        write_atomic(self.folder / name, data)
        if name != cover.name:
            import tomlkit

            document = tomlkit.parse((self.folder / SHOW_FILE).read_text(encoding="utf-8"))
            document["cover"] = name
            write_atomic(self.folder / SHOW_FILE, tomlkit.dumps(document).encode("utf-8"))
            cover.unlink()
        record.unlink()
        self.notices.add(f"the old feed's artwork is now {name}, in place of the placeholder")

    def _cover_name(self, extension: str) -> str:
        """cover.EXT, or a cover already in the folder that meets Apple's rules (the producer
        put it there), or cover-imported.EXT when the name is taken by something else."""
        for name in ("cover.jpg", "cover.png"):
            path = self.folder / name
            if path.is_file():
                with path.open("rb") as handle:
                    head = handle.read(1024 * 1024)
                if artwork_problem(image_info(head)) is None:
                    self.notices.add(f"the {name} already in the show folder is the cover")
                    return name
        name = f"cover.{extension}"
        return name if not (self.folder / name).exists() else f"cover-imported.{extension}"

    def _cover(self, quiet: bool = False) -> tuple[bytes, str, bool]:
        """The show's artwork, its extension, and whether it is only a placeholder."""
        url = self.feed.show.image_url
        data = self.fetcher.get(url, MAX_ARTWORK_BYTES) if url else None
        info = image_info(data) if data else None
        if data is not None and info is not None and artwork_problem(info) is None:
            return data, "jpg" if info.format == "jpeg" else info.format, False
        if quiet:
            return b"", "", True
        why = "none in the feed" if not url else "could not be downloaded" if data is None \
            else f"not usable ({artwork_problem(info) or 'not a JPEG or PNG'})"
        self.notices.add(f"show artwork {why}: a placeholder cover is used (replace it)")
        return placeholder_png(seed=self.feed.show.title), "png", True

    def _show_guid(self) -> tuple[str | None, str]:
        """The podcast:guid apps know the show by: the old feed's, or derived from the old
        feed's URL (never from the new one: the guid must survive the move)."""
        guid = self.feed.show.podcast_guid
        if guid and _is_uuid5(guid):
            return str(uuid.UUID(guid)), "of the old feed"
        old = self.feed.show.old_feed_url
        why = f"podcast:guid '{guid[:60]}' is not a UUIDv5" if guid else "no podcast:guid"
        if old:
            self.notices.add(f"{why}: derived from the old feed URL {old}, as directories did")
            return derive_podcast_guid(old), f"derived from the old feed URL {old}"
        self.notices.add(f"{why} and no address of the old feed in it: the podcast:guid will be "
                         "derived from the new feed URL (import the feed by its URL to keep "
                         "the show's identity)")
        return None, ""

    # --- episodes -------------------------------------------------------------------------

    def _existing(self, show: Show) -> dict[str, Path]:
        """Episode folders by guid, read leniently: from episode.toml, else (when a producer
        broke it) from the import's own record, so a broken file never makes a duplicate."""
        found: dict[str, Path] = {}
        self.held = {}
        self.sources = {}
        for folder in episode_folders(show):
            try:
                data = tomllib.loads((folder / EPISODE_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {"guid": (read_state(folder) or {}).get("guid")}
            self.sources[folder] = data
            guid = data.get("guid")
            if isinstance(guid, str):
                found.setdefault(guid, folder)
                if data.get("number"):
                    self.held[guid] = (data.get("season"), data["number"],
                                       data.get("type", "full"))
        return found

    def _plan(self, episode: SourceEpisode, target: Path | None) -> _Plan:
        """What to do with one item: a new folder, an update, or nothing (edited here, or a
        folder no import made)."""
        if target is None:
            return _Plan(episode, None, {}, "new")
        state = read_state(target)
        if state is None:
            return _Plan(episode, target, {}, "foreign")
        edited = self._edited(target, state)
        if edited and not self.force:
            return _Plan(episode, target, state, "edited", True)
        return _Plan(episode, target, state, "import", edited)

    def _free_number(self, episode: SourceEpisode) -> None:
        """An episode number another episode of the show has already is left out."""
        if episode.number is None:
            return
        key = (episode.season, episode.number, episode.type)
        if self.numbers.setdefault(key, episode.guid) != episode.guid:
            self.notices.add("episode numbers another episode of the show has left out",
                             episode.where)
            episode.number = None

    def _episode(self, show: Show, plan: _Plan, staging: Path) -> Path | None:
        episode, target, state = plan.episode, plan.target, plan.state
        if plan.kind == "foreign":
            self.report.foreign.append(target.name)  # type: ignore[union-attr]
            return None
        if plan.kind == "edited":
            self.report.edited.append(target.name)  # type: ignore[union-attr]
            return None
        self._free_number(episode)
        digest = item_digest(episode)
        if target is None:
            name = self._new_name(episode)
            if not self._write(show, episode, digest, self.folder / name, staging, {}):
                self.ordinal -= 1   # the number and slug stay free for the next item
                self.slugs.discard(name.split("-", 1)[1])
                return None
            self.report.new.append(name)
            return self.folder / name
        if not episode.dated:   # keep the date the first import gave it: apps sort by it
            kept = self.sources.get(target, {}).get("published")
            if isinstance(kept, dt.datetime) and kept.tzinfo:
                episode.published = kept
            digest = item_digest(episode)
        stale = self._stale_audio(target, state, episode)
        retry = bool(state.get("pending")) and self.fetcher.enabled   # linked files missed
        if not (stale or retry or plan.edited) and state.get("item") == digest:
            self.report.unchanged.append(target.name)
            return target
        self._note_new_enclosure(target, episode)
        before = file_digests(target, list(state["files"]))
        if not self._write(show, episode, digest, target, staging, state):
            return None
        after = read_state(target) or {}
        same = after.get("files") == before and not stale and not plan.edited \
            and state.get("item") == digest
        (self.report.unchanged if same else self.report.updated).append(target.name)
        return target

    def _note_new_enclosure(self, target: Path, episode: SourceEpisode) -> None:
        """An enclosure URL the old host changed is one apps notice: say so before publish
        refuses it."""
        old = self.sources.get(target, {}).get("audio_url")
        if isinstance(old, str) and old != episode.audio_url:
            self.notices.add("enclosure URLs changed on the old host: apps will see them as "
                             "changed, and publish asks for --accept-changes", target.name)

    @staticmethod
    def _edited(target: Path, state: dict) -> bool:
        """Changed here since the import wrote it (a transcript made here is no edit: it is
        kept, and the import never writes over it)."""
        files, upcoming = state["files"], state.get("next") or {}
        known = set(files) | set(upcoming)
        added_notes = any((target / n).exists() and n not in known
                          for n in (NOTES_FILE, NOTES_HTML_FILE))
        current = file_digests(target, sorted(known))
        return added_notes or any(digest not in (files.get(name), upcoming.get(name))
                                  for name, digest in current.items())

    def _stale_audio(self, target: Path, state: dict, episode: SourceEpisode) -> bool:
        """Forget a downloaded copy that is gone, or that is of an enclosure the old host has
        since replaced (its length and duration would be wrong): True when one was dropped."""
        name = state.get("audio")
        if not name:
            return False
        moved = state.get("audio_source", episode.audio_url) != episode.audio_url
        if (target / name).is_file() and not moved:
            return False
        if moved:
            (target / name).unlink(missing_ok=True)
        state.pop("audio", None)
        self.notices.add("downloaded audio dropped (" + ("the enclosure URL changed" if moved
                         else "the file is gone") + "): download it again with "
                         "--download-audio", target.name)
        return True

    def _new_name(self, episode: SourceEpisode) -> str:
        """The next folder name: the next ordinal and a slug no other folder has."""
        base = slugify(episode.title, 50)
        slug, count = base, 1
        while slug in self.slugs:
            count += 1
            slug = f"{base}-{count}"
        self.ordinal += 1
        self.slugs.add(slug)
        return f"{self.ordinal:04d}-{slug}"

    def _write(self, show: Show, episode: SourceEpisode, digest: str, target: Path,
               staging: Path, state: dict) -> bool:
        """Render the episode's files, check them as an episode folder, then put them in
        place: a new folder by one rename, an existing one file by file (each atomic).
        False (and reported) when they do not make a valid episode."""
        files, extras = self._render(episode, target, state.get("audio"))
        if TRANSCRIPT_FILE in files and (target / TRANSCRIPT_FILE).is_file() and \
                TRANSCRIPT_FILE not in state.get("files", {}):
            del files[TRANSCRIPT_FILE]   # one made here (transcribe) is kept
        stage = staging / target.name
        stage.mkdir(parents=True)
        for name, data in files.items():
            _write_durably(stage / name, data)
        audio = state.get("audio")
        if audio and (target / audio).is_file():   # the downloaded copy, to check with
            os.link(target / audio, stage / audio)
        try:
            load_episode(show, stage)
        except WarcastError as exc:
            shown = str(exc).replace(str(stage), str(target))
            self.report.rejected.append(f"{episode.where}: {shown}")
            return False
        record = {**extras, "audio": state.get("audio"),
                  "audio_source": state.get("audio_source") if state.get("audio") else None}
        if not target.exists():
            _write_durably(stage / STATE_FILE, state_bytes(_record(episode, digest, files, record)))
            os.rename(stage, target)
            return True
        # The record first says what is about to be written, so that a kill between the files
        # and the record does not make the episode look edited here.
        upcoming = _record(episode, digest, files, record)
        write_atomic(target / STATE_FILE, state_bytes({**state, "next": upcoming["files"]}))
        for name, data in files.items():
            if not (target / name).is_file() or (target / name).read_bytes() != data:
                write_atomic(target / name, data)
        for name in set(state["files"]) - set(files):
            (target / name).unlink(missing_ok=True)
        for name in (NOTES_FILE, NOTES_HTML_FILE):   # notes added here: only with --force
            if name not in files and name not in state["files"] and (target / name).is_file():
                (target / name).unlink()
                self.notices.add(f"{name} added here removed (--force)", target.name)
        write_atomic(target / STATE_FILE, state_bytes(upcoming))
        return True

    def _render(self, episode: SourceEpisode, target: Path,
                audio: str | None) -> tuple[dict[str, bytes], dict]:
        """The episode's files, fetching what the feed links to (once per host if down)."""
        files: dict[str, bytes] = {}
        if episode.notes_html:
            files[NOTES_HTML_FILE] = (episode.notes_html + "\n").encode("utf-8")
        length = episode.duration
        if audio and (target / audio).is_file():
            length = probe(target / audio).duration
        chapters = self._chapters(episode, length)
        transcript = self._transcript(episode)
        if transcript is not None:
            files[TRANSCRIPT_FILE] = transcript
        image = self._image(episode)
        if image is not None:
            files[image[0]] = image[1]
        files[EPISODE_FILE] = episode_toml(
            episode, chapters=chapters, transcripts=transcript is not None,
            image=image[0] if image else None, audio=audio)
        timed = any(link["type"] in TIMED_TYPES for link in episode.transcripts)
        missed = (episode.chapters_url and not chapters) or (timed and transcript is None) \
            or (episode.image_url and image is None
                and episode.image_url != self.feed.show.image_url)
        extras = {"chapters": chapters, "transcript": transcript is not None,
                  "image": image[0] if image else None, "pending": True if missed else None}
        return files, extras

    def _chapters(self, episode: SourceEpisode, length: float) -> list[dict[str, object]]:
        chapters = list(episode.chapters)
        if not chapters and episode.chapters_url:
            data = self.fetcher.get(episode.chapters_url, MAX_LINKED_BYTES)
            chapters = (chapters_from(data) if data else None) or []
            if not chapters and self.fetcher.enabled:
                self.notices.add("chapters not downloaded (unreachable or not JSON chapters): "
                                 "kept as a link", episode.where)
        if length and any(float(c["start"]) >= length for c in chapters):  # type: ignore[arg-type]
            chapters = [c for c in chapters if float(c["start"]) < length]  # type: ignore[arg-type]
            self.notices.add("chapters starting after the end of the audio left out",
                             episode.where)
        return chapters

    def _transcript(self, episode: SourceEpisode) -> bytes | None:
        from warcast.transcript.model import write_source

        links = sorted((link for link in episode.transcripts if link["type"] in TIMED_TYPES),
                       key=lambda link: TIMED_TYPES.index(link["type"]))
        for link in links:
            data = self.fetcher.get(link["url"], MAX_LINKED_BYTES)
            language = link.get("language") or "en"
            transcript = transcript_from(data, link["type"], language) if data else None
            if transcript is not None:
                return write_source(transcript, header_note=_IMPORTED_NOTE)
        if episode.transcripts and self.fetcher.enabled:
            self.notices.add("transcripts not downloaded (unreachable, untimed or unreadable): "
                             "kept as links", episode.where)
        return None

    def _image(self, episode: SourceEpisode) -> tuple[str, bytes] | None:
        if not episode.image_url or episode.image_url == self.feed.show.image_url:
            return None
        data = self.fetcher.get(episode.image_url, MAX_ARTWORK_BYTES)
        info = image_info(data) if data else None
        if info is None or artwork_problem(info):
            if self.fetcher.enabled:
                self.notices.add("episode artwork not downloaded or not usable: the show's "
                                 "artwork is used", episode.where)
            return None
        return ("cover.jpg" if info.format == "jpeg" else "cover.png"), data  # type: ignore[return-value]

    # --- audio ----------------------------------------------------------------------------

    def _download(self, show: Show, target: Path, episode: SourceEpisode,
                  progress: Callable[[str, int, int], None] | None) -> None:
        state = read_state(target)
        if state is None or state.get("audio"):
            return
        name = "audio" + _audio_suffix(episode)
        report = (lambda done, total: progress(target.name, done, total)) if progress else None
        try:
            size = download(episode.audio_url, target / name, expected=episode.audio_bytes,
                            progress=report)
        except WarcastError as exc:
            self.report.failures.append(f"{target.name}: {exc}")
            return
        try:
            name = _named_for_its_container(target / name).name
            length = probe(target / name).duration
        except AudioError as exc:
            (target / name).unlink(missing_ok=True)
            self.report.failures.append(f"{target.name}: {episode.audio_url}: the download "
                                        f"{exc.message}")
            return
        if episode.audio_bytes and size != episode.audio_bytes:
            self.notices.add("enclosure length differed from the downloaded file: the feed "
                             "now gives the file's size", target.name)
        recorded = [c for c in state.get("chapters") or [] if isinstance(c, dict) and
                    isinstance(c.get("start"), int | float) and isinstance(c.get("title"), str)]
        chapters = [c for c in recorded if float(c["start"]) < length]
        if len(chapters) < len(recorded):
            self.notices.add("chapters starting after the end of the downloaded audio left out",
                             target.name)
        state["chapters"] = chapters
        old = (target / EPISODE_FILE).read_bytes()
        known = replace(episode, duration=length, audio_bytes=size)   # from the file itself
        text = episode_toml(known, chapters=chapters,
                            transcripts=bool(state.get("transcript")), image=state.get("image"),
                            audio=name)
        write_atomic(target / STATE_FILE, state_bytes(
            {**state, "next": {EPISODE_FILE: hashlib.sha256(text).hexdigest()}}))
        write_atomic(target / EPISODE_FILE, text)
        try:
            load_episode(show, target)
        except WarcastError as exc:
            write_atomic(target / EPISODE_FILE, old)
            state.pop("next", None)
            write_atomic(target / STATE_FILE, state_bytes(state))
            (target / name).unlink(missing_ok=True)
            self.report.failures.append(f"{target.name}: the downloaded audio does not fit "
                                        f"the episode ({exc})")
            return
        state["files"][EPISODE_FILE] = file_digests(target, [EPISODE_FILE])[EPISODE_FILE]
        state.pop("next", None)
        state["audio"] = name
        state["audio_source"] = episode.audio_url
        write_atomic(target / STATE_FILE, state_bytes(state))
        self.report.downloaded.append(target.name)


def _is_uuid5(value: str) -> bool:
    try:
        return uuid.UUID(value).version == 5
    except ValueError:
        return False


@dataclass(frozen=True)
class _Plan:
    """One item of the feed and what the import does with it."""

    episode: SourceEpisode
    target: Path | None
    state: dict
    kind: str   # "new" | "import" | "edited" (left alone) | "foreign" (not made by an import)
    edited: bool = False   # changed here (with --force an "import" may be edited)


def _record(episode: SourceEpisode, digest: str, files: dict[str, bytes], extras: dict) -> dict:
    """The ``.imported.json`` of an episode whose files are ``files``."""
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    return {"guid": episode.guid, "item": digest, "files": hashes,
            **{key: value for key, value in extras.items() if value is not None}}


def _write_durably(path: Path, data: bytes) -> None:
    """Write a staged file to disk before its folder is renamed into place."""
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _named_for_its_container(path: Path) -> Path:
    """The downloaded file renamed to the extension of what it holds (M4A served at a
    ``.mp3`` URL is common); AudioError when it is no audio at all."""
    suffix = container_suffix(path)
    if suffix == path.suffix.lower():
        return path
    renamed = path.with_suffix(suffix)
    os.replace(path, renamed)
    return renamed


def _audio_suffix(episode: SourceEpisode) -> str:
    from urllib.parse import urlsplit

    suffix = Path(urlsplit(episode.audio_url).path).suffix.lower()
    if any(suffix in extensions for extensions in FORMATS.values()):
        return suffix
    return next((s for s, types in MEDIA_TYPES.items() if episode.audio_type in types), ".mp3")
