"""Reading what an audio file is: container, MIME type, duration and byte length.

Duration, length and type are always read from the file, never typed by hand. Every mutagen
call is wrapped so that a broken file becomes an :class:`AudioError` naming the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from warcast.audio.containers import check_complete
from warcast.errors import AudioError

MAX_AUDIO_BYTES = 4 * 1024**3
MIN_DURATION = 0.5
#: Lossless containers: a producer's master, from which publishing derives what is served.
LOSSLESS_KINDS = ("wav", "flac", "aiff")

#: Media types podcast apps accept by file extension, audio and video alike: the first is the
#: one to use. The feed validator checks anyone's enclosures against this table.
MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    ".mp3": ("audio/mpeg",),
    ".m4a": ("audio/x-m4a", "audio/mp4"),
    ".m4b": ("audio/x-m4b", "audio/mp4"),
    ".mp4": ("video/mp4", "audio/mp4"),
    ".m4v": ("video/x-m4v", "video/mp4"),
    ".mov": ("video/quicktime",),
    ".aac": ("audio/aac", "audio/x-aac"),
    ".ogg": ("audio/ogg", "video/ogg"),
    ".oga": ("audio/ogg",),
    ".opus": ("audio/opus", "audio/ogg"),
    ".flac": ("audio/flac", "audio/x-flac"),
    ".wav": ("audio/wav", "audio/x-wav", "audio/wave"),
    ".aif": ("audio/aiff", "audio/x-aiff"),
    ".aiff": ("audio/aiff", "audio/x-aiff"),
    ".webm": ("audio/webm", "video/webm"),
    ".pdf": ("application/pdf",),
}
#: container name -> the extensions it may carry, the usual one first. Apple lists M4A, MP3,
#: MP4, M4V, MOV.
FORMATS: dict[str, tuple[str, ...]] = {
    "mp3": (".mp3",),
    "m4a": (".m4a", ".m4b", ".mp4"),
    "ogg": (".ogg", ".oga"),
    "opus": (".opus", ".ogg"),
    "flac": (".flac",),
    "wav": (".wav",),
    "aiff": (".aif", ".aiff"),
    "aac": (".aac",),
}


def playable(url: str, media_type: str) -> bool:
    """True for an enclosure apps play: an audio or video type, or a file extension that is
    one (feeds also list artwork and documents as enclosures). An unknown extension without a
    type is left to the caller."""
    if media_type.lower().startswith(("audio/", "video/")):
        return True
    from urllib.parse import urlsplit

    try:
        suffix = Path(urlsplit(url).path).suffix.lower()
    except ValueError:
        return False
    return any(t.startswith(("audio/", "video/")) for t in MEDIA_TYPES.get(suffix, ()))


def audio_mime(extension: str) -> str:
    """The MIME type an audio file with ``extension`` is published as (its first audio type)."""
    return next(t for t in MEDIA_TYPES[extension] if t.startswith("audio/"))


_MUTAGEN_KINDS = {
    "MP3": "mp3", "MP4": "m4a", "OggVorbis": "ogg", "OggOpus": "opus", "FLAC": "flac",
    "WAVE": "wav", "AAC": "aac", "AIFF": "aiff",
}
_FIX = "Export the episode again as MP3 or M4A and replace the file"


@dataclass(frozen=True)
class AudioInfo:
    """Facts about one episode's audio: read from the local file when there is one, else as an
    imported feed declared them (``size`` and ``duration`` are 0 when it did not say).

    ``url`` is set when the audio is served from elsewhere (an imported back catalog): the feed
    keeps that URL and warcast never copies the file. ``path`` is None when there is no local
    copy, so the episode can be published but not tagged or transcribed.
    """

    path: Path | None
    kind: str  # key of FORMATS ("" for a remote file of another kind)
    mime: str
    size: int
    duration: float  # seconds
    url: str | None = None

    @property
    def suffix(self) -> str:
        """The file extension, lower case (from the local file, else from the URL's path)."""
        if self.path is not None:
            return self.path.suffix.lower()
        from urllib.parse import urlsplit

        return Path(urlsplit(self.url or "").path).suffix.lower()

    @property
    def seconds(self) -> int:
        """Whole seconds, rounded, as podcast apps show it."""
        return int(self.duration + 0.5)


def remote(url: str, *, mime: str, size: int, duration: float,
           local: AudioInfo | None = None) -> AudioInfo:
    """Audio served at ``url``; size and duration from the ``local`` copy when there is one
    (the type stays the one declared for the URL: that is what its host serves)."""
    if local is not None:
        return AudioInfo(local.path, local.kind, mime or local.mime, local.size,
                         local.duration, url)
    info = AudioInfo(None, "", mime, size, duration, url)
    kind = next((k for k, extensions in FORMATS.items() if info.suffix in extensions), "")
    return AudioInfo(None, kind, mime, size, duration, url)


def probe(path: Path) -> AudioInfo:
    """Read container, duration and size of ``path``; AudioError if it is not usable audio."""
    size = _size(path, limit=None)
    kind = _kind(path)
    if kind not in LOSSLESS_KINDS:   # a master is never served, whatever its size
        _check_served_size(path, size)
    extension = path.suffix.lower()
    extensions = FORMATS[kind]
    if extension not in extensions:
        raise AudioError(f"is {kind.upper()} audio but named {extension or 'without extension'}",
                         path=path, hint=f"Rename it to end in {extensions[0]}")
    check_complete(path, kind)
    duration = _duration(path)
    if duration < MIN_DURATION:
        raise AudioError(f"has no audio ({duration:.2f} s)", path=path, hint=_FIX)
    return AudioInfo(path=path, kind=kind, mime=audio_mime(extension), size=size,
                     duration=duration)


def container_suffix(path: Path) -> str:
    """The extension a file of this container should have (``.mp3``, ``.m4a``…), whatever it
    is named; AudioError when it is not audio warcast can publish."""
    _size(path)
    return FORMATS[_kind(path)][0]


def _size(path: Path, limit: int | None = MAX_AUDIO_BYTES) -> int:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise AudioError("audio file not found", path=path,
                         hint="Check the audio key in episode.toml") from None
    except OSError as exc:
        raise AudioError(f"cannot read audio file: {exc.strerror}", path=path) from None
    if not path.is_file():
        raise AudioError("is not a file", path=path)
    if size == 0:
        raise AudioError("audio file is empty", path=path, hint=_FIX)
    if limit is not None:
        _check_served_size(path, size)
    return size


def _check_served_size(path: Path, size: int) -> None:
    if size > MAX_AUDIO_BYTES:
        raise AudioError(f"audio file is {size:,} bytes, more than the 4 GiB apps accept",
                         path=path)


def _open(path: Path):  # type: ignore[no-untyped-def]
    import mutagen

    try:
        return mutagen.File(path)
    except (mutagen.MutagenError, struct.error, ValueError, EOFError, IndexError) as exc:
        raise AudioError(f"is not readable audio ({exc})", path=path, hint=_FIX) from None
    except OSError as exc:
        raise AudioError(f"cannot read audio file: {exc.strerror}", path=path) from None


def _kind(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(64)
    if _looks_like_text_or_image(head):
        raise AudioError("is not audio (it holds text or an image)", path=path, hint=_FIX)
    audio = _open(path)
    kind = _MUTAGEN_KINDS.get(type(audio).__name__) if audio is not None else None
    if kind is None:
        raise AudioError("is not audio warcast can publish (MP3, M4A, Ogg, Opus, FLAC, WAV, AIFF)",
                         path=path, hint=_FIX)
    if kind == "m4a" and _mp4_is_video(audio):
        raise AudioError("is a video; warcast publishes audio episodes", path=path)
    return kind


def _looks_like_text_or_image(head: bytes) -> bool:
    images = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"<", b"{")
    if head.lstrip().startswith(images):
        return True
    return bool(head) and all(32 <= byte < 127 or byte in (9, 10, 13) for byte in head)


def _mp4_is_video(audio) -> bool:  # type: ignore[no-untyped-def]
    codec = getattr(audio.info, "codec", "") or ""
    return not codec.startswith(("mp4a", "alac", "ac-3", "ec-3", "Opus", "fLaC"))


def _duration(path: Path) -> float:
    audio = _open(path)
    length = getattr(getattr(audio, "info", None), "length", None)
    if length == 0:
        raise AudioError("has no audio (0 samples)", path=path, hint=_FIX)
    if not length or length != length:  # None or NaN
        raise AudioError("has no readable duration", path=path, hint=_FIX)
    return float(length)
