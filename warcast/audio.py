"""Reading what an audio file is: container, MIME type, duration and byte length.

Duration, length and type are always read from the file, never typed by hand. Every mutagen
call is wrapped so that a broken file becomes an :class:`AudioError` naming the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from warcast.errors import AudioError

MAX_AUDIO_BYTES = 4 * 1024**3
MIN_DURATION = 0.5

# container name -> (MIME type, extensions it may carry). Apple lists M4A, MP3, MP4, M4V, MOV.
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "mp3": ("audio/mpeg", (".mp3",)),
    "m4a": ("audio/x-m4a", (".m4a", ".m4b", ".mp4", ".aac")),
    "ogg": ("audio/ogg", (".ogg", ".oga")),
    "opus": ("audio/opus", (".opus", ".ogg")),
    "flac": ("audio/flac", (".flac",)),
    "wav": ("audio/wav", (".wav",)),
}
_MUTAGEN_KINDS = {
    "MP3": "mp3", "MP4": "m4a", "OggVorbis": "ogg", "OggOpus": "opus", "FLAC": "flac",
    "WAVE": "wav",
}
_FIX = "Export the episode again as MP3 or M4A and replace the file"


@dataclass(frozen=True)
class AudioInfo:
    """Facts about one audio file, as read from it."""

    path: Path
    kind: str  # key of FORMATS
    mime: str
    size: int
    duration: float  # seconds

    @property
    def seconds(self) -> int:
        """Whole seconds, rounded, as podcast apps show it."""
        return int(self.duration + 0.5)


def probe(path: Path) -> AudioInfo:
    """Read container, duration and size of ``path``; AudioError if it is not usable audio."""
    size = _size(path)
    kind = _kind(path)
    extension = path.suffix.lower()
    mime, extensions = FORMATS[kind]
    if extension not in extensions:
        raise AudioError(f"is {kind.upper()} audio but named {extension or 'without extension'}",
                         path=path, hint=f"Rename it to end in {extensions[0]}")
    _check_complete(path, kind, size)
    duration = _duration(path)
    if duration < MIN_DURATION:
        raise AudioError(f"has no audio ({duration:.2f} s)", path=path, hint=_FIX)
    return AudioInfo(path=path, kind=kind, mime=mime, size=size, duration=duration)


def _size(path: Path) -> int:
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
    if size > MAX_AUDIO_BYTES:
        raise AudioError(f"audio file is {size:,} bytes, more than the 4 GiB apps accept",
                         path=path)
    return size


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
        raise AudioError("is not audio warcast can publish (MP3, M4A, Ogg, Opus, FLAC, WAV)",
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
    if not length or length != length:  # None, 0 or NaN
        raise AudioError("has no readable duration", path=path, hint=_FIX)
    return float(length)


def _check_complete(path: Path, kind: str, size: int) -> None:
    """Refuse files cut short: an MP3 shorter than its LAME/Xing header says, an MP4 whose
    atoms run past the end of the file."""
    if kind == "mp3":
        expected = _mp3_declared_bytes(path)
        start = _id3v2_size(path)
        if expected is not None and size - start < expected:
            raise AudioError(
                f"is truncated: {size - start:,} of {expected:,} audio bytes present",
                path=path, hint="Copy or export the file again")
    elif kind == "m4a":
        _check_mp4_atoms(path, size)


def _id3v2_size(path: Path) -> int:
    with path.open("rb") as handle:
        header = handle.read(10)
    if len(header) == 10 and header[:3] == b"ID3":
        body = (header[6] << 21) | (header[7] << 14) | (header[8] << 7) | header[9]
        return 10 + body + (10 if header[5] & 0x10 else 0)
    return 0


def _mp3_declared_bytes(path: Path) -> int | None:
    """Byte count from the Xing/Info header of the first MPEG frame, when there is one."""
    start = _id3v2_size(path)
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read(4096)
    sync = next((i for i in range(len(data) - 1)
                 if data[i] == 0xFF and data[i + 1] & 0xE0 == 0xE0), None)
    if sync is None:
        return None
    header = data[sync : sync + 4]
    mpeg1 = (header[1] >> 3) & 3 == 3
    mono = (header[3] >> 6) == 3
    side = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    tag = sync + 4 + side
    if data[tag : tag + 4] not in (b"Xing", b"Info") or len(data) < tag + 16:
        return None
    (flags,) = struct.unpack(">I", data[tag + 4 : tag + 8])
    if not flags & 0x2:
        return None
    offset = tag + 8 + (4 if flags & 0x1 else 0)
    (count,) = struct.unpack(">I", data[offset : offset + 4])
    return count or None


def _check_mp4_atoms(path: Path, size: int) -> None:
    position = 0
    with path.open("rb") as handle:
        while position < size:
            handle.seek(position)
            header = handle.read(16)
            if len(header) < 8:
                break
            length, name = struct.unpack(">I4s", header[:8])
            if length == 1 and len(header) == 16:
                (length,) = struct.unpack(">Q", header[8:16])
            elif length == 0:
                length = size - position
            if length < 8 or position + length > size:
                raise AudioError(
                    f"is truncated: the '{name.decode('latin-1')}' box runs past the end",
                    path=path, hint="Copy or export the file again")
            position += length
