"""Podcast tags written into episode audio: ID3v2.4 for MP3, MP4 atoms for M4A.

The caller builds a :class:`TagSet` from the show and episode; :func:`plan_tags` says which
managed tags differ from what the file holds, and :func:`write_tags` writes exactly those, on a
copy that replaces the original only once the audio data is proven unchanged
(:func:`audio_payload_digest`). Tagging twice changes nothing: the second plan is empty and the
file is not touched. Only the tags listed below are managed; any other frame or atom (an
encoder tag, a lyrics frame) is kept.

Field → MP3 (ID3v2.4) / M4A (MP4 atom):

- title → TIT2 / ©nam; artist → TPE1 + TPE2 / ©ART + aART (album artist groups the show);
  album → TALB / ©alb; genre → TCON / ©gen
- track (episode number) → TRCK / trkn + tves; season → TXXX:SEASON (ID3 has no season
  frame; TPOS means "disc") / tvsn
- published → TDRC / ©day, in UTC ("YYYY-MM-DDTHH:MM:SS", MP4 adds "Z")
- description → COMM (lang "eng", empty description) / desc; long_description → TDES / ldes
- cover → APIC front cover / covr; podcast flag → PCST 1 / pcst + stik 21 (media kind Podcast)
- feed_url → WFED / purl; guid → TGID / egid; copyright → TCOP / cprt; category → TCAT / catg;
  keywords → TKWD / keyw (comma-joined)
- episode_url → WOAF / freeform ``----:com.apple.iTunes:EPISODE_URL`` (no standard atom)
- chapters → CHAP frames "chp0", "chp1"… (TIT2 title, WXXX "chapter url", APIC image) under one
  ordered top-level CTOC "toc", written in time order (ffmpeg lists them in file order) / not
  written
- MP3s get ID3v2.4 and lose any ID3v1 tag (reported as the changes "id3_version", "id3v1");
  ID3 URL frames hold Latin-1 only, so non-ASCII characters in URLs are percent-encoded.

What M4A lacks versus MP3: mutagen cannot write MP4 chapters (neither a QuickTime chapter
track nor Nero ``chpl``), so M4A episodes get no embedded chapters, and therefore no chapter
links or chapter images either; publish chapters through the feed (Podcasting 2.0 chapters
JSON) instead. MP4 has no standard atom for the episode web page, so it is stored in a freeform
atom that players ignore. Chapters already in an M4A are left as they are.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mutagen import FileType, MutagenError, id3
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

from warcast.audio import containers
from warcast.errors import AudioError
from warcast.timecode import precise

__all__ = [
    "Artwork",
    "TagChange",
    "TagChapter",
    "TagSet",
    "audio_payload_digest",
    "plan_tags",
    "write_tags",
]


@dataclass(frozen=True)
class Artwork:
    """An image embedded in the audio: the episode cover or a chapter image."""

    data: bytes
    mime: str  # "image/jpeg" or "image/png"


@dataclass(frozen=True)
class TagChapter:
    """One chapter marker, in milliseconds from the start of the audio."""

    start_ms: int
    end_ms: int
    title: str
    url: str | None = None
    image: Artwork | None = None


@dataclass(frozen=True)
class TagSet:
    """Every tag warcast manages in an episode's audio, built from the show and episode."""

    title: str
    artist: str
    album: str
    published: datetime
    genre: str = "Podcast"
    track: int | None = None
    season: int | None = None
    description: str = ""
    long_description: str = ""
    cover: Artwork | None = None
    feed_url: str | None = None
    guid: str | None = None
    episode_url: str | None = None
    copyright: str | None = None
    category: str | None = None
    keywords: tuple[str, ...] = ()
    chapters: tuple[TagChapter, ...] = ()


@dataclass(frozen=True)
class TagChange:
    """One managed tag whose value in the file differs from the wanted one."""

    field: str
    old: str | None
    new: str | None


def plan_tags(path: Path, tags: TagSet) -> list[TagChange]:
    """Say which managed tags of ``path`` would change to match ``tags``; writes nothing."""
    kind = _kind(path)
    _check_tagset(path, tags)
    return kind.diff(kind.load(path), tags)


def write_tags(path: Path, tags: TagSet, *, dry_run: bool = False) -> list[TagChange]:
    """Bring the managed tags of ``path`` in line with ``tags``; return what changed.

    Nothing is written for a dry run or an empty plan. Otherwise a tagged copy, whose audio
    data is checked against the original, atomically replaces the file.
    """
    changes = plan_tags(path, tags)
    if dry_run or not changes:
        return changes
    kind = _kind(path)
    containers.rewrite_keeping_audio(path, lambda copy: _tag_file(kind, copy, tags),
                                     audio_payload_digest)
    return changes


def audio_payload_digest(path: Path) -> str:
    """SHA-256 (hex) of the audio data alone, so tagging can prove it left the sound intact."""
    kind = _kind(path)
    kind.load(path)  # refuses what is not complete audio
    return containers.spans_digest(path, kind.spans(path))


# --- checks and error wrapping ---------------------------------------------------------------

_WRITE_HINT = "Check the episode's tag values and that the audio folder is writable"


@contextmanager
def _mutagen_errors(path: Path, doing: str, hint: str = containers.BROKEN_HINT) -> Iterator[None]:
    """Turn any mutagen (or I/O) failure into an AudioError naming ``path``."""
    try:
        yield
    except (MutagenError, OSError, ValueError, struct.error) as exc:
        reason = str(exc) or type(exc).__name__
        raise AudioError(f"cannot {doing} ({reason})", path=path, hint=hint) from exc


def _check_file(path: Path) -> None:
    """Fail early, and clearly, on a missing or empty file."""
    if not path.is_file():
        raise AudioError("audio file not found", path=path, hint="Check the episode's audio path")
    if path.stat().st_size == 0:
        raise AudioError("audio file is empty", path=path, hint="Export the episode audio again")


def _check_tagset(path: Path, tags: TagSet) -> None:
    """Reject tag values no container can hold, before anything is read or written."""
    if tags.published.utcoffset() is None:
        raise AudioError("publication time has no timezone", path=path, key="published",
                         hint="Give the episode's date a UTC offset")
    _check_numbers(path, tags)
    _check_images(path, tags)


def _check_numbers(path: Path, tags: TagSet) -> None:
    """Reject episode numbers and chapter times outside what the tag formats can store."""
    for key, number in (("track", tags.track), ("season", tags.season)):
        if number is not None and not 0 <= number <= 0xFFFF:
            raise AudioError(f"{key} number {number} is out of range", path=path, key=key,
                             hint="Use a number from 0 to 65535")
    for chapter in tags.chapters:
        if not 0 <= chapter.start_ms <= chapter.end_ms <= 0xFFFFFFFF:
            times = f"{chapter.start_ms}-{chapter.end_ms} ms"
            raise AudioError(f"chapter '{chapter.title}' has impossible times {times}", path=path,
                             key="chapters",
                             hint="Start each chapter at 0 or later, before its end")


def _check_images(path: Path, tags: TagSet) -> None:
    """Reject images that neither ID3 nor MP4 players reliably show."""
    images = [("cover", tags.cover), *(("chapters", c.image) for c in tags.chapters)]
    for key, image in images:
        if image and image.mime not in _MP4_IMAGE_FORMATS:
            raise AudioError(f"cannot embed {image.mime} images", path=path, key=key,
                             hint="Use a JPEG or PNG image")


# --- human-readable values -------------------------------------------------------------------


def _short(text: str | None) -> str | None:
    """A one-line value for a TagChange; long values keep a fingerprint so changes show."""
    if text is None:
        return None
    text = " ".join(text.split())
    if len(text) <= 80:
        return text
    return f"{text[:64]}… #{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def _image_text(mime: str, data: bytes) -> str:
    """Describe an image by type, size and content hash."""
    return f"{mime}, {len(data)} bytes, #{hashlib.sha256(data).hexdigest()[:8]}"


def _utc(moment: datetime) -> str:
    """An aware datetime as a UTC ISO 8601 timestamp without offset."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


# --- MP3: ID3v2.4 frames ---------------------------------------------------------------------

Id3Builder = Callable[[TagSet], list[id3.Frame]]
Id3Owner = Callable[[id3.Frame], bool]
_UTF8 = id3.Encoding.UTF8


def _key(*hash_keys: str) -> Id3Owner:
    """Own the frames with these exact hash keys."""
    return lambda frame: frame.HashKey in hash_keys


def _text(frame_type: type[id3.Frame], attr: str) -> Id3Builder:
    """Build one text frame from a TagSet attribute, none when it is empty."""

    def build(tags: TagSet) -> list[id3.Frame]:
        value = getattr(tags, attr)
        return [] if value in (None, "") else [frame_type(encoding=_UTF8, text=[str(value)])]

    return build


def _uri(url: str) -> str:
    """Percent-encode non-ASCII characters: ID3 URL frames hold Latin-1 only."""
    return quote(url, safe="!#$%&'()*+,/:;=?@[]~")


def _url(frame_type: type[id3.Frame], attr: str) -> Id3Builder:
    """Build one URL frame from a TagSet attribute, none when it is empty."""
    return lambda tags: [frame_type(url=_uri(url))] if (url := getattr(tags, attr)) else []


def _each(*builders: Id3Builder) -> Id3Builder:
    """Build the frames of several builders for one field."""
    return lambda tags: [frame for build in builders for frame in build(tags)]


def _picture(image: Artwork) -> id3.APIC:
    """An APIC front-cover frame for an image."""
    return id3.APIC(encoding=_UTF8, mime=image.mime, type=id3.PictureType.COVER_FRONT,
                    desc="", data=image.data)


def _chapter_frame(index: int, chapter: TagChapter) -> id3.CHAP:
    """One CHAP frame with its title, link and image sub-frames."""
    subs: list[id3.Frame] = [id3.TIT2(encoding=_UTF8, text=[chapter.title])]
    if chapter.url:
        subs.append(id3.WXXX(encoding=_UTF8, desc="chapter url", url=_uri(chapter.url)))
    if chapter.image:
        subs.append(_picture(chapter.image))
    return id3.CHAP(element_id=f"chp{index}", start_time=chapter.start_ms,
                    end_time=chapter.end_ms, start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                    sub_frames=subs)


def _chapter_frames(tags: TagSet) -> list[id3.Frame]:
    """CHAP frames plus the ordered top-level CTOC that lists them."""
    if not tags.chapters:
        return []
    chapters = [_chapter_frame(i, chapter) for i, chapter in enumerate(tags.chapters)]
    # A fixed TOC title, so that renaming the episode changes only the "title" field.
    toc = id3.CTOC(element_id="toc", flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                   child_element_ids=[c.element_id for c in chapters],
                   sub_frames=[id3.TIT2(encoding=_UTF8, text=["Chapters"])])
    return [*chapters, toc]


_ID3_FIELDS: dict[str, tuple[Id3Owner, Id3Builder]] = {
    "title": (_key("TIT2"), _text(id3.TIT2, "title")),
    "artist": (_key("TPE1", "TPE2"), _each(_text(id3.TPE1, "artist"), _text(id3.TPE2, "artist"))),
    "album": (_key("TALB"), _text(id3.TALB, "album")),
    "track": (_key("TRCK"), _text(id3.TRCK, "track")),
    "season": (
        _key("TXXX:SEASON"),
        lambda t: [] if t.season is None
        else [id3.TXXX(encoding=_UTF8, desc="SEASON", text=[str(t.season)])],
    ),
    "published": (_key("TDRC"), lambda t: [id3.TDRC(encoding=_UTF8, text=[_utc(t.published)])]),
    "genre": (_key("TCON"), _text(id3.TCON, "genre")),
    "description": (
        lambda f: f.FrameID == "COMM" and f.desc == "",
        lambda t: [id3.COMM(encoding=_UTF8, lang="eng", desc="", text=[t.description])]
        if t.description else [],
    ),
    "long_description": (_key("TDES"), _text(id3.TDES, "long_description")),
    "cover": (
        lambda f: f.FrameID == "APIC" and f.type == id3.PictureType.COVER_FRONT,
        lambda t: [_picture(t.cover)] if t.cover else [],
    ),
    "podcast": (_key("PCST"), lambda t: [id3.PCST(value=1)]),
    "feed_url": (_key("WFED"), _url(id3.WFED, "feed_url")),
    "guid": (_key("TGID"), _text(id3.TGID, "guid")),
    "episode_url": (_key("WOAF"), _url(id3.WOAF, "episode_url")),
    "copyright": (_key("TCOP"), _text(id3.TCOP, "copyright")),
    "category": (_key("TCAT"), _text(id3.TCAT, "category")),
    "keywords": (
        _key("TKWD"),
        lambda t: [id3.TKWD(encoding=_UTF8, text=[",".join(t.keywords)])] if t.keywords else [],
    ),
    "chapters": (lambda f: f.FrameID in ("CHAP", "CTOC"), _chapter_frames),
}


def _fingerprint(frame: id3.Frame) -> str:
    """Canonical text of a frame for comparison, with sub-frames in sorted order."""
    subs = getattr(frame, "sub_frames", None)
    if not subs:
        return repr(frame)
    own = repr(frame).split(", sub_frames=", 1)[0]
    return own + repr(sorted(_fingerprint(sub) for sub in subs.values()))


def _frame_text(frame: id3.Frame) -> str:
    """A frame's value as a person would read it."""
    if isinstance(frame, id3.APIC):
        return _image_text(frame.mime, frame.data)
    if isinstance(frame, id3.PCST):
        return "yes" if frame.value else "no"
    if isinstance(frame, id3.TDRC):  # mutagen shows " " where the file holds "T"
        return str(frame).replace(" ", "T")
    if isinstance(frame, id3.CHAP):
        subs = frame.sub_frames
        url = next((f" <{f.url}>" for f in subs.getall("WXXX")), "")
        image = " [image]" if subs.getall("APIC") else ""
        title = str(subs["TIT2"]) if "TIT2" in subs else ""
        return f"{precise(frame.start_time)}-{precise(frame.end_time)} {title}{url}{image}"
    return frame.url if hasattr(frame, "url") else str(frame).replace("\x00", ", ")


def _frames_text(frames: list[id3.Frame]) -> str | None:
    """The frames of one field as one short line (chapters in time order, no TOC)."""
    shown = sorted((f for f in frames if not isinstance(f, id3.CTOC)),
                   key=lambda f: getattr(f, "start_time", 0))
    return _short("; ".join(dict.fromkeys(_frame_text(f) for f in shown))) if frames else None


def _load_mp3(path: Path) -> MP3:
    """Open an MP3 whose audio is complete, with an (possibly empty) ID3 tag."""
    spans = containers.mp3_spans(path)
    with _mutagen_errors(path, "read the file as MP3"):
        audio = MP3(path)
        if audio.tags is None:
            audio.add_tags()
    expected = audio.info.length * audio.info.bitrate / 8
    if spans[0][1] < expected * 0.98 - 1024:
        raise containers.truncated(path, f"{spans[0][1]} of about {int(expected)} audio bytes")
    return audio


def _diff_id3(audio: MP3, tags: TagSet) -> list[TagChange]:
    """Managed ID3 fields whose frames differ from the wanted ones, then tag housekeeping."""
    changes = []
    for field, (owns, build) in _ID3_FIELDS.items():
        old = [frame for frame in audio.tags.values() if owns(frame)]
        new = build(tags)
        if sorted(map(_fingerprint, old)) != sorted(map(_fingerprint, new)):
            changes.append(TagChange(field, _frames_text(old), _frames_text(new)))
    return changes + _id3_housekeeping(audio)


def _id3_housekeeping(audio: MP3) -> list[TagChange]:
    """Changes to the tag itself: an ID3v2 older than 2.4, a stray ID3v1 tag."""
    changes = []
    if audio.tags.version < (2, 4, 0):
        version = ".".join(map(str, audio.tags.version[:2]))
        changes.append(TagChange("id3_version", version, "2.4"))
    if containers.has_id3v1(Path(audio.filename)):
        changes.append(TagChange("id3v1", "present", None))
    return changes


def _apply_id3(audio: MP3, tags: TagSet) -> None:
    """Replace every managed frame by the wanted ones; other frames stay."""
    for owns, build in _ID3_FIELDS.values():
        for hash_key in [key for key, frame in audio.tags.items() if owns(frame)]:
            del audio.tags[hash_key]
        for frame in build(tags):
            audio.tags.add(frame)


def _save_mp3(audio: MP3) -> None:
    """Save as ID3v2.4, drop any ID3v1 tag, and put the chapters in time order."""
    audio.save(v1=0, v2_version=4)
    containers.sort_id3_chapters(Path(audio.filename))


# --- M4A: MP4 atoms --------------------------------------------------------------------------

Mp4Builder = Callable[[TagSet], Any]
_MP4_IMAGE_FORMATS = {"image/jpeg": MP4Cover.FORMAT_JPEG, "image/png": MP4Cover.FORMAT_PNG}
_MP4_IMAGE_MIMES = {fmt: mime for mime, fmt in _MP4_IMAGE_FORMATS.items()}
_EPISODE_URL_ATOM = "----:com.apple.iTunes:EPISODE_URL"
_STIK_PODCAST = 21


def _atom_text(attr: str) -> Mp4Builder:
    """A text atom value from a TagSet attribute, None (no atom) when empty."""
    return lambda tags: [str(value)] if (value := getattr(tags, attr)) not in (None, "") else None


def _atom_int(attr: str) -> Mp4Builder:
    """An integer atom value from a TagSet attribute, None when absent."""
    return lambda tags: None if (value := getattr(tags, attr)) is None else [value]


def _cover(image: Artwork | None) -> list[MP4Cover] | None:
    """The covr value for an image."""
    return [MP4Cover(image.data, _MP4_IMAGE_FORMATS[image.mime])] if image else None


_MP4_FIELDS: dict[str, tuple[tuple[str, Mp4Builder], ...]] = {
    "title": (("\xa9nam", _atom_text("title")),),
    "artist": (("\xa9ART", _atom_text("artist")), ("aART", _atom_text("artist"))),
    "album": (("\xa9alb", _atom_text("album")),),
    "track": (
        ("trkn", lambda t: None if t.track is None else [(t.track, 0)]),
        ("tves", _atom_int("track")),
    ),
    "season": (("tvsn", _atom_int("season")),),
    "published": (("\xa9day", lambda t: [_utc(t.published) + "Z"]),),
    "genre": (("\xa9gen", _atom_text("genre")),),
    "description": (("desc", _atom_text("description")),),
    "long_description": (("ldes", _atom_text("long_description")),),
    "cover": (("covr", lambda t: _cover(t.cover)),),
    "podcast": (("pcst", lambda t: True), ("stik", lambda t: [_STIK_PODCAST])),
    "feed_url": (("purl", _atom_text("feed_url")),),
    "guid": (("egid", _atom_text("guid")),),
    "episode_url": (
        (_EPISODE_URL_ATOM,
         lambda t: [MP4FreeForm(t.episode_url.encode())] if t.episode_url else None),
    ),
    "copyright": (("cprt", _atom_text("copyright")),),
    "category": (("catg", _atom_text("category")),),
    "keywords": (("keyw", lambda t: [",".join(t.keywords)] if t.keywords else None),),
}


def _atom_text_of(value: Any) -> str | None:
    """An atom value as a person would read it."""
    if value is None or isinstance(value, bool):
        return None if value is None else ("yes" if value else "no")
    parts = []
    for item in value:
        if isinstance(item, MP4Cover):
            parts.append(_image_text(_MP4_IMAGE_MIMES.get(item.imageformat, "image"), item))
        elif isinstance(item, bytes):
            parts.append(item.decode("utf-8", "replace"))
        else:
            parts.append(str(item[0] if isinstance(item, tuple) else item))
    return _short(", ".join(parts))


def _load_mp4(path: Path) -> MP4:
    """Open a complete MP4 file, with an (possibly empty) tag list."""
    containers.mp4_spans(path)
    with _mutagen_errors(path, "read the file as MP4"):
        audio = MP4(path)
        if audio.tags is None:
            audio.add_tags()
    return audio


def _diff_mp4(audio: MP4, tags: TagSet) -> list[TagChange]:
    """Managed MP4 fields whose atoms differ from the wanted ones."""
    changes = []
    for field, atoms in _MP4_FIELDS.items():
        old = {key: audio.tags.get(key) for key, _ in atoms}
        new = {key: build(tags) for key, build in atoms}
        if old != new:
            first = atoms[0][0]
            changes.append(TagChange(field, _atom_text_of(old[first]),
                                     _atom_text_of(new[first])))
    return changes


def _apply_mp4(audio: MP4, tags: TagSet) -> None:
    """Set or remove every managed atom; other atoms stay."""
    for atoms in _MP4_FIELDS.values():
        for key, build in atoms:
            value = build(tags)
            if value is not None:
                audio.tags[key] = value
            elif key in audio.tags:
                del audio.tags[key]


# --- MP3 or M4A ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    """How one container is read, compared, tagged and saved."""

    load: Callable[[Path], Any]
    diff: Callable[[Any, TagSet], list[TagChange]]
    apply: Callable[[Any, TagSet], None]
    save: Callable[[Any], None]
    spans: Callable[[Path], list[containers.Span]]


_MP3_KIND = _Kind(_load_mp3, _diff_id3, _apply_id3, _save_mp3, containers.mp3_spans)
_MP4_KIND = _Kind(_load_mp4, _diff_mp4, _apply_mp4, MP4.save, containers.mp4_spans)
_KINDS = {".mp3": _MP3_KIND, ".m4a": _MP4_KIND, ".m4b": _MP4_KIND, ".mp4": _MP4_KIND}


def _kind(path: Path) -> _Kind:
    """The container handler for ``path``, after checking the file exists and is not empty."""
    kind = _KINDS.get(path.suffix.lower())
    if kind is None:
        raise AudioError(f"cannot tag {path.suffix or 'extensionless'} files; warcast tags MP3 "
                         "and M4A", path=path, hint="Convert the audio to MP3 or M4A")
    _check_file(path)
    return kind


def _tag_file(kind: _Kind, path: Path, tags: TagSet) -> None:
    """Load, retag and save one file in place."""
    audio: FileType = kind.load(path)
    with _mutagen_errors(path, "write tags", _WRITE_HINT):
        kind.apply(audio, tags)
        kind.save(audio)
    if kind.diff(kind.load(path), tags):
        raise AudioError("the tags did not read back as written; the file was left as it was",
                         path=path, hint="Report this as a warcast bug")
