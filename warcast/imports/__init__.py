"""Importing a show from another host's feed: a back catalog moved without apps noticing.

``import_feed`` reads the old feed (file or URL), creates ``show.toml`` when there is none,
and keeps one episode folder per item: its guid exactly, its enclosure URL as the audio's
address (apps never download it again), dates, numbers, notes, people, chapters and
transcripts (fetched when reachable, else kept as links). Running it again adds new items and
updates changed ones; an episode edited since the last import is left alone and reported.
Nothing is written until the whole feed has been read and found to be a podcast feed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from warcast.artwork import artwork_problem, image_info, placeholder_png
from warcast.audio import FORMATS, MEDIA_TYPES, probe
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
from warcast.errors import FeedError, PublishError, SourceError, WarcastError
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
from warcast.validation.reading import read_feed

MAX_ARTWORK_BYTES = 10 * 1024 * 1024
MAX_LINKED_BYTES = 16 * 1024 * 1024
_STAGING = ".import.tmp"
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
                forwarding: Path | None = None,
                progress: Callable[[str, int, int], None] | None = None) -> ImportReport:
    """Import the feed at ``location`` into the show folder ``folder``.

    ``base_url`` (where warcast will publish the show) is needed when there is no show.toml
    yet. ``fetch`` off downloads nothing the feed links to; ``download_audio`` fetches each
    episode's audio into its folder (resuming partial downloads). ``force`` replaces episodes
    edited since the last import. ``forwarding`` names a file to write the old feed to with
    ``itunes:new-feed-url`` pointing at this show's feed (for an old host that serves a file).
    ``progress(name, done, total)`` follows audio downloads.
    """
    data = read_feed(location)
    feed = read_source_feed(data, location)
    if not (folder / SHOW_FILE).exists():
        if not base_url:
            raise SourceError("there is no show.toml to import into", path=folder,
                              hint="Pass --base-url URL (where warcast will publish the show) "
                                   "to create one")
        check_url(base_url, lambda message: SourceError(message, key="--base-url"))
    else:
        load_show(folder)   # a broken show.toml stops the import before anything is written
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with show_lock(folder, "import"):
            report = _Import(folder, feed, Fetcher(enabled=fetch), force).run(
                base_url, download_audio, progress)
        if forwarding is not None:
            report.forwarding = load_show(folder).feed_url
            write_atomic(forwarding, forwarding_feed(data, report.forwarding, source=location))
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


def _leave_no_trace(folder: Path, created: bool) -> None:
    """Remove a show folder this import created when no episode made it into it."""
    if created and folder.is_dir() and not any(
            (child / EPISODE_FILE).is_file() for child in folder.iterdir()):
        shutil.rmtree(folder, ignore_errors=True)


class _Import:
    def __init__(self, folder: Path, feed: SourceFeed, fetcher: Fetcher, force: bool) -> None:
        self.folder = folder
        self.feed = feed
        self.fetcher = fetcher
        self.force = force
        self.notices = Notices()
        self.report = ImportReport(source=feed.location, folder=folder, items=len(feed.episodes))

    def run(self, base_url: str | None, download_audio: bool,
            progress: Callable[[str, int, int], None] | None) -> ImportReport:
        if not (self.folder / SHOW_FILE).exists():
            assert base_url is not None
            self._create_show(base_url.rstrip("/"))
        show = load_show(self.folder)
        staging = self.folder / _STAGING
        shutil.rmtree(staging, ignore_errors=True)
        kept: dict[str, tuple[Path, SourceEpisode]] = {}
        names = [p.name for p in self.folder.iterdir() if FOLDER_PATTERN.match(p.name)]
        self.ordinal = max((int(n.split("-", 1)[0]) for n in names), default=0)
        self.slugs = {n.split("-", 1)[1] for n in names}
        try:
            existing = self._existing(show)
            for episode in self.feed.episodes:
                target = self._episode(show, episode, existing.pop(episode.guid, None), staging)
                if target is not None:
                    kept[episode.guid] = (target, episode)
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
            name = f"cover.{cover[1]}"
            create_exclusive(self.folder / name, cover[0])
            written.append(self.folder / name)
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
        for path in getattr(self, "show_files", []):
            path.unlink(missing_ok=True)
        self.report.created_show = False

    def _cover(self) -> tuple[bytes, str]:
        url = self.feed.show.image_url
        data = self.fetcher.get(url, MAX_ARTWORK_BYTES) if url else None
        info = image_info(data) if data else None
        if data is not None and info is not None and artwork_problem(info) is None:
            return data, "jpg" if info.format == "jpeg" else info.format
        why = "none in the feed" if not url else "could not be downloaded" if data is None \
            else f"not usable ({artwork_problem(info) or 'not a JPEG or PNG'})"
        self.notices.add(f"show artwork {why}: a placeholder cover.png is used (replace it)")
        return placeholder_png(seed=self.feed.show.title), "png"

    def _show_guid(self) -> tuple[str | None, str]:
        """The podcast:guid apps know the show by: the old feed's, or derived from the old
        feed's URL (never from the new one: the guid must survive the move)."""
        guid = self.feed.show.podcast_guid
        if guid:
            try:
                if uuid.UUID(guid).version == 5:
                    return str(uuid.UUID(guid)), "of the old feed"
            except ValueError:
                pass
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
        """Episode folders by guid, read leniently (a broken file is the producer's business)."""
        found: dict[str, Path] = {}
        self.numbers: dict[tuple[object, object], str] = {}   # (season, number) -> guid
        for folder in episode_folders(show):
            try:
                data = tomllib.loads((folder / EPISODE_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            guid = data.get("guid")
            if isinstance(guid, str):
                found.setdefault(guid, folder)
                if data.get("number"):
                    self.numbers[(data.get("season"), data["number"])] = guid
        return found

    def _free_number(self, episode: SourceEpisode) -> None:
        """An episode number another episode of the show has already is left out."""
        if episode.number is None:
            return
        key = (episode.season, episode.number)
        if self.numbers.setdefault(key, episode.guid) != episode.guid:
            self.notices.add("episode numbers another episode of the show has left out",
                             episode.where)
            episode.number = None

    def _episode(self, show: Show, episode: SourceEpisode, target: Path | None,
                 staging: Path) -> Path | None:
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
        state = read_state(target)
        if state is None:
            self.report.foreign.append(target.name)
            return None
        if not episode.dated:   # keep the date the first import gave it: apps sort by it
            episode.published = _published(target) or episode.published
            digest = item_digest(episode)
        edited = self._edited(target, state)
        if edited and not self.force:
            self.report.edited.append(target.name)
            return None
        if not edited and state.get("item") == digest:
            self.report.unchanged.append(target.name)
            return target
        if not self._write(show, episode, digest, target, staging, state):
            return None
        self.report.updated.append(target.name)
        return target

    @staticmethod
    def _edited(target: Path, state: dict) -> bool:
        files = state["files"]
        added_notes = any((target / n).exists() and n not in files
                          for n in (NOTES_FILE, NOTES_HTML_FILE, TRANSCRIPT_FILE))
        return added_notes or file_digests(target, list(files)) != files

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
        stage = staging / target.name
        stage.mkdir(parents=True)
        for name, data in files.items():
            _write_durably(stage / name, data)
        for name in (state.get("audio"),):
            if name and (target / name).is_file():
                os.link(target / name, stage / name)
        try:
            load_episode(show, stage)
        except WarcastError as exc:
            shown = str(exc).replace(str(stage), str(target))
            self.report.rejected.append(f"{episode.where}: {shown}")
            return False
        record = {**extras, "audio": state.get("audio")}
        if not target.exists():
            _write_durably(stage / STATE_FILE, self._state(episode, digest, files, record))
            os.rename(stage, target)
            return True
        for name, data in files.items():
            if not (target / name).is_file() or (target / name).read_bytes() != data:
                write_atomic(target / name, data)
        for name in set(state["files"]) - set(files):
            (target / name).unlink(missing_ok=True)
        write_atomic(target / STATE_FILE, self._state(episode, digest, files, record))
        return True

    @staticmethod
    def _state(episode: SourceEpisode, digest: str, files: dict[str, bytes],
               record: dict) -> bytes:
        hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
        return state_bytes({"guid": episode.guid, "item": digest, "files": hashes,
                            **{key: value for key, value in record.items() if value is not None}})

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
            episode, self.feed.location, chapters=chapters, transcripts=transcript is not None,
            image=image[0] if image else None, audio=audio)
        extras = {"chapters": chapters, "transcript": transcript is not None,
                  "image": image[0] if image else None}
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
        from warcast.transcripts import write_source

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
            length = probe(target / name).duration
        except WarcastError as exc:
            if not (target / f"{name}.part").exists():
                (target / name).unlink(missing_ok=True)
            self.report.failures.append(f"{target.name}: {exc}")
            return
        if episode.audio_bytes and size != episode.audio_bytes:
            self.notices.add("enclosure length differed from the downloaded file: the feed "
                             "now gives the file's size", target.name)
        chapters = [c for c in state.get("chapters") or [] if float(c["start"]) < length]
        if len(chapters) < len(state.get("chapters") or []):
            self.notices.add("chapters starting after the end of the downloaded audio left out",
                             target.name)
        state["chapters"] = chapters
        old = (target / EPISODE_FILE).read_bytes()
        text = episode_toml(episode, self.feed.location, chapters=chapters,
                            transcripts=bool(state.get("transcript")), image=state.get("image"),
                            audio=name)
        write_atomic(target / EPISODE_FILE, text)
        try:
            load_episode(show, target)
        except WarcastError as exc:
            write_atomic(target / EPISODE_FILE, old)
            (target / name).unlink(missing_ok=True)
            self.report.failures.append(f"{target.name}: the downloaded audio does not fit "
                                        f"the episode ({exc})")
            return
        state["files"][EPISODE_FILE] = file_digests(target, [EPISODE_FILE])[EPISODE_FILE]
        state["audio"] = name
        write_atomic(target / STATE_FILE, state_bytes(state))
        self.report.downloaded.append(target.name)


def _published(folder: Path) -> dt.datetime | None:
    """The publication date an episode folder has now."""
    try:
        value = tomllib.loads((folder / EPISODE_FILE).read_text(encoding="utf-8"))["published"]
    except (OSError, ValueError, KeyError):
        return None
    return value if isinstance(value, dt.datetime) and value.tzinfo else None


def _write_durably(path: Path, data: bytes) -> None:
    """Write a staged file to disk before its folder is renamed into place."""
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _audio_suffix(episode: SourceEpisode) -> str:
    from urllib.parse import urlsplit

    suffix = Path(urlsplit(episode.audio_url).path).suffix.lower()
    if any(suffix in extensions for extensions in FORMATS.values()):
        return suffix
    return next((s for s, types in MEDIA_TYPES.items() if episode.audio_type in types), ".mp3")
