"""Episodes: each ``NNNN-slug/`` folder of the show loaded into a validated model.

An episode folder holds ``episode.toml`` (metadata), ``notes.md`` or ``notes.html`` (show notes,
optional), the audio file and, once made, transcripts. Duration, byte length and MIME type come
from the audio. An imported episode may instead name ``audio_url``: audio served elsewhere,
whose facts (``audio_bytes``, ``audio_type``, ``duration``) are what the old feed declared.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from warcast.audio.probe import MEDIA_TYPES, AudioInfo, probe, remote
from warcast.errors import SourceError
from warcast.files import create_exclusive, noted, read_text, read_toml, toml_bytes
from warcast.notes import plain_text, render_notes, sanitize_html
from warcast.show import Person, Show, inside, person
from warcast.source import SourceTable
from warcast.timecode import clock, parse_time

EPISODE_FILE = "episode.toml"
NOTES_FILE = "notes.md"
NOTES_HTML_FILE = "notes.html"   # imported show notes: HTML, sanitized again on every load
EPISODE_TYPES = ("full", "trailer", "bonus")
FOLDER_PATTERN = re.compile(r"^(\d{1,6})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
_KEYS = {
    "title", "number", "season", "type", "published", "guid", "audio", "summary", "explicit",
    "keywords", "guests", "chapters", "members_only", "image", "block", "season_name", "turns",
    "links", "audio_url", "audio_bytes", "audio_type", "duration", "chapters_url", "transcripts",
    "feed_xml", "itunes_title", "image_url",
}
LINK_DECISIONS = ("pinned", "rejected")
TRANSCRIPT_FILE = "transcript.vtt"

@dataclass(frozen=True)
class Chapter:
    """A chapter mark: where it starts, its title, and an optional link and image."""

    start: float
    title: str
    url: str | None = None
    image: str | None = None  # an absolute URL, or a file name in the episode folder


@dataclass(frozen=True)
class TranscriptLink:
    """A transcript published elsewhere (kept from an imported feed when it could not be
    downloaded): the feed links it until the episode has a transcript of its own."""

    url: str
    type: str
    language: str | None = None
    rel: str | None = None


@dataclass(frozen=True)
class Decision:
    """An editor's word on one article for this episode: pin it (optionally at a time) or
    reject the machine's suggestion. Source: it survives every re-run and re-import."""

    url: str
    status: str  # "pinned" | "rejected"
    start: float | None = None


@dataclass(frozen=True)
class Episode:
    """One episode, validated, with facts read from its audio."""

    folder: Path
    ordinal: int
    slug: str
    title: str
    number: int | None
    season: int | None
    season_name: str | None
    type: str
    published: dt.datetime
    guid: str
    audio: AudioInfo
    summary: str
    notes_html: str
    explicit: bool
    keywords: tuple[str, ...]
    guests: tuple[Person, ...]
    chapters: tuple[Chapter, ...]
    members_only: bool
    block: bool
    image: Path | None
    turns: tuple[tuple[float, str], ...]
    transcript: Path | None
    decisions: tuple[Decision, ...] = ()
    chapters_url: str | None = None            # chapters published elsewhere (imported)
    transcript_links: tuple[TranscriptLink, ...] = ()
    feed_xml: str | None = None   # podcast: elements published as written (value, soundbite…)
    itunes_title: str | None = None   # Apple's title, when it differs from the RSS title
    image_url: str | None = None      # episode artwork hosted elsewhere (imported)

    @property
    def name(self) -> str:
        """The folder name, e.g. ``0003-red-sea-shipping``."""
        return self.folder.name

    @property
    def description_text(self) -> str:
        """Plain-text show notes (falls back to the summary)."""
        return plain_text(self.notes_html) or self.summary


def slugify(title: str, limit: int = 60) -> str:
    """A URL-safe slug: ASCII letters and digits joined by single hyphens."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > limit:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "episode"


def episode_folders(show: Show) -> list[Path]:
    """Episode folders of the show, in folder-name order (folders without episode.toml skipped)."""
    folders = []
    for child in sorted(show.folder.iterdir()):
        if not (child / EPISODE_FILE).is_file():
            continue
        if not FOLDER_PATTERN.match(child.name):
            raise SourceError(
                "episode folder name must look like 0001-a-slug", path=child,
                hint="Rename it: digits, a hyphen, then lowercase words joined by hyphens")
        folders.append(child)
    return folders


def load_episodes(show: Show) -> list[Episode]:
    """Load every episode and check what must be unique across the show."""
    episodes = [load_episode(show, folder) for folder in episode_folders(show)]
    _check_unique(episodes)
    return sorted(episodes, key=lambda e: (e.published, e.ordinal))


def select(episodes: list[Episode], selectors: tuple[str, ...]) -> list[Episode]:
    """The episodes named by folder name, slug or number (all when none are named)."""
    if not selectors:
        return episodes
    chosen = []
    for selector in selectors:
        matches = [e for e in episodes
                   if selector in (e.name, e.slug) or selector in (str(e.number), str(e.ordinal))]
        if not matches:
            raise SourceError(f"no episode '{selector}'",
                              hint="Name an episode by folder name, slug or number")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def load_episode(show: Show, folder: Path) -> Episode:
    """Read and validate one episode folder."""
    path = folder / EPISODE_FILE
    table = SourceTable(read_toml(path, what="episode file"), path)
    table.reject_unknown(_KEYS)
    ordinal_text, slug = FOLDER_PATTERN.match(folder.name).groups()  # type: ignore[union-attr]
    audio = _audio(table, folder)
    notes_html = _notes(folder)
    kind = table.choice("type", EPISODE_TYPES, "full")
    guests = tuple(person(item, "guest") for item in table.tables("guests"))
    return Episode(
        folder=folder,
        ordinal=int(ordinal_text),
        slug=slug,
        title=table.text("title"),
        number=_number(table, kind, show.type),
        season=table.integer("season", None, minimum=1),
        season_name=table.optional_text("season_name"),
        type=kind,
        published=table.datetime("published"),
        guid=_guid(table),
        audio=audio,
        summary=table.text("summary", ""),
        notes_html=notes_html,
        explicit=table.boolean("explicit", show.explicit),
        keywords=table.strings("keywords"),
        guests=guests,
        chapters=_chapters(table, audio.duration),
        members_only=table.boolean("members_only", False),
        block=table.boolean("block", False),
        image=_image(table, folder),
        turns=_turns(table, {p.name for p in (*show.hosts, *guests)}, audio.duration),
        transcript=folder / TRANSCRIPT_FILE if (folder / TRANSCRIPT_FILE).is_file() else None,
        decisions=_decisions(table, audio.duration),
        chapters_url=table.optional_url("chapters_url"),
        transcript_links=tuple(_transcript_link(item) for item in table.tables("transcripts")),
        feed_xml=table.feed_xml(),
        itunes_title=table.optional_text("itunes_title"),
        image_url=table.optional_url("image_url"),
    )


def _audio(table: SourceTable, folder: Path) -> AudioInfo:
    """The local audio file, or the audio served at ``audio_url`` (with its local copy)."""
    local = probe(inside(folder, table.text("audio"), table, "audio")) \
        if "audio" in table.data else None
    if "audio_url" not in table.data:
        if local is None:
            raise table.error("audio", "is required but missing",
                              'Add audio = "FILE" (the audio file in this folder)')
        return local
    url = table.url("audio_url", spaces=True)   # exactly as the old feed had it
    info = remote(url, mime="", size=0, duration=0.0)
    mime = table.text("audio_type", "") or next(iter(MEDIA_TYPES.get(info.suffix, ())),
                                                "application/octet-stream")
    if not re.fullmatch(r"[a-z]+/[a-z0-9.+-]+", mime):
        raise table.error("audio_type", f"'{mime}' is not a media type", 'Write e.g. "audio/mpeg"')
    duration = parse_time(table.data.get("duration", 0))
    if duration is None:
        raise table.error("duration", f"'{table.data['duration']}' is not a duration",
                          'Write "H:MM:SS" or a number of seconds')
    return remote(url, mime=mime, size=table.integer("audio_bytes", 0), duration=duration,
                  local=local)


def _notes(folder: Path) -> str:
    """Show notes as safe HTML: from Markdown (notes.md) or imported HTML (notes.html)."""
    markdown, markup = folder / NOTES_FILE, folder / NOTES_HTML_FILE
    if markdown.exists() and markup.exists():
        raise SourceError(f"both {NOTES_FILE} and {NOTES_HTML_FILE} hold show notes",
                          path=markup, hint="Keep one of them")
    if markup.exists():
        return sanitize_html(read_text(markup, what="show notes"))
    return render_notes(read_text(markdown, what="show notes")) if markdown.exists() else ""


def _transcript_link(table: SourceTable) -> TranscriptLink:
    """A ``[[transcripts]]`` entry: ``url``, ``type``, optional ``language`` and ``rel``."""
    table.reject_unknown({"url", "type", "language", "rel"})
    return TranscriptLink(table.url("url"), table.text("type"), table.optional_text("language"),
                          table.optional_text("rel"))


def _number(table: SourceTable, kind: str, show_type: str) -> int | None:
    if kind == "full" and show_type == "serial" and "number" not in table.data:
        raise table.error("number", "is required for full episodes of a serial show",
                          "Add number = N (trailers and bonus episodes may leave it out)")
    return table.integer("number", None, minimum=1)


def _guid(table: SourceTable) -> str:
    if "guid" not in table.data:
        raise table.error("guid", "is required but missing",
                          f'Add guid = "{uuid.uuid4()}" and never change it once published')
    value = table.text("guid")
    if any(ord(c) < 32 and c not in "\t\n" for c in value) or len(value) > 2048:
        raise table.error("guid", "must be at most 2048 characters, without control characters")
    return value


def _chapters(table: SourceTable, duration: float) -> tuple[Chapter, ...]:
    chapters: list[Chapter] = []
    for item in table.tables("chapters"):
        item.reject_unknown({"start", "title", "url", "image"})
        start = parse_time(item.data.get("start"))
        if start is None:
            raise item.error("start", f"'{item.data.get('start')}' is not a time",
                             'Write "H:MM:SS", "M:SS" or a number of seconds')
        if chapters and start <= chapters[-1].start:
            raise item.error("start", "must come after the previous chapter's start")
        if duration and start >= duration:
            raise item.error("start", f"is after the end of the audio ({duration:.0f} s)")
        image = item.optional_text("image")
        local = image and not image.startswith(("http://", "https://"))
        if local and not inside(table.path.parent, image, item, "image").is_file():
            raise item.error("image", f"'{image}' not found in the episode folder")
        chapters.append(Chapter(start, item.text("title"), item.optional_url("url"), image))
    return tuple(chapters)


def _image(table: SourceTable, folder: Path) -> Path | None:
    name = table.optional_text("image")
    if name is None:
        return None
    path = inside(folder, name, table, "image")
    if not path.is_file():
        raise table.error("image", f"'{name}' not found in {folder}")
    return path


def _turns(table: SourceTable, names: set[str],
           duration: float) -> tuple[tuple[float, str], ...]:
    """Who speaks from when: ``[[turns]]`` with ``start`` and a host's or guest's ``speaker``."""
    turns: list[tuple[float, str]] = []
    for item in table.tables("turns"):
        item.reject_unknown({"start", "speaker"})
        start = parse_time(item.data.get("start"))
        if start is None or (duration and start >= duration) or \
                (turns and start <= turns[-1][0]):
            raise item.error("start", f"'{item.data.get('start')}' is not a time inside the "
                             "audio after the previous turn", 'Write "M:SS" or "H:MM:SS"')
        speaker = item.text("speaker")
        if speaker not in names:
            raise item.error("speaker", f"'{speaker}' is not a host or guest",
                             f"Use one of: {', '.join(sorted(names)) or '(add [[guests]])'}")
        turns.append((start, speaker))
    return tuple(turns)


def _decisions(table: SourceTable, duration: float) -> tuple[Decision, ...]:
    """``[[links]]``: ``url``, ``status`` ("pinned" or "rejected"), optional ``start``."""
    decisions: dict[str, Decision] = {}
    for item in table.tables("links"):
        item.reject_unknown({"url", "status", "start"})
        start = None
        if "start" in item.data:
            start = parse_time(item.data["start"])
            if start is None or (duration and start >= duration):
                raise item.error("start", f"'{item.data['start']}' is not a time inside the audio",
                                 'Write "M:SS" or "H:MM:SS"')
        url = item.url("url")
        decisions[url] = Decision(url, item.choice("status", LINK_DECISIONS, "pinned"), start)
    return tuple(decisions.values())


def _check_unique(episodes: list[Episode]) -> None:
    for label, key in (("guid", lambda e: e.guid), ("slug", lambda e: e.slug),
                       ("number", lambda e: (e.season, e.number, e.type) if e.number else None)):
        seen: dict[object, Episode] = {}
        for episode in episodes:
            value = key(episode)
            if value is None:
                continue
            if value in seen:
                shown = value[1] if isinstance(value, tuple) else value
                raise SourceError(
                    f"duplicate {label} '{shown}' (also in {seen[value].name})",
                    path=episode.folder / EPISODE_FILE, key=label if label != "slug" else None,
                    hint=f"Each episode needs its own {label}")
            seen[value] = episode


def new_episode(show: Show, audio: Path, *, title: str, published: dt.datetime,
                members_only: bool = False, episode_type: str = "full") -> Path:
    """Create ``NNNN-slug/`` with episode.toml and the audio; refuse to overwrite anything."""
    info = probe(audio)
    existing = load_episodes(show)
    ordinal = max((e.ordinal for e in existing), default=0) + 1
    number = max((e.number or 0 for e in existing), default=0) + 1
    slug = slugify(title)
    if any(e.slug == slug for e in existing):
        raise SourceError(f"an episode with slug '{slug}' exists", path=show.folder,
                          hint="Choose a different title")
    folder = show.folder / f"{ordinal:04d}-{slug}"
    if folder.exists():
        raise SourceError("already exists", path=folder, hint="Remove it or choose another title")
    target = folder / f"audio{info.path.suffix.lower()}"
    text = _episode_toml(title, number, published, info, target.name, members_only, episode_type)
    folder.mkdir(parents=True)
    try:
        shutil.copyfile(audio, target)
        create_exclusive(folder / NOTES_FILE, f"Show notes for *{title}*.\n".encode())
        create_exclusive(folder / EPISODE_FILE, text)
    except BaseException:
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()
        raise
    return folder


def _episode_toml(title: str, number: int, published: dt.datetime, info: AudioInfo,
                  audio_name: str, members_only: bool, episode_type: str) -> bytes:
    return toml_bytes([
        (None, "Episode settings for warcast. Duration, size and type are read from the audio."),
        ("title", title), ("number", number), (None, "season = 1"),
        ("type", noted(episode_type, "full | trailer | bonus")),
        ("published", published.replace(microsecond=0)),
        ("guid", noted(str(uuid.uuid4()), "never change once published")),
        ("audio", noted(audio_name, f"{clock(info.seconds)}, {info.mime}")),
        ("summary", noted("", "one or two sentences, plain text")),
        ("explicit", False), ("keywords", []), ("members_only", members_only), ("", None),
        (None, "[[guests]]"), (None, 'name = "Jane Doe"'), (None, 'role = "guest"'), ("", None),
        (None, "[[chapters]]"), (None, 'start = "0:00"'), (None, 'title = "Introduction"'),
        (None, 'url = "https://example.org/article"   # optional'),
    ])
