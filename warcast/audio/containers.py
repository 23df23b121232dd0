"""Where the audio data sits inside MP3 and MP4 files, read byte by byte.

An MP3 is an optional ID3v2 tag, then MPEG frames (the first may be a Xing/Info header that
declares how many bytes of audio follow), then optional APEv2 and ID3v1 trailers. An MP4 is a
row of top-level boxes (32- or 64-bit sizes) with the audio in ``mdat``. Knowing this layout
lets probing refuse files cut short (:func:`check_complete`) and lets tagging rewrite a file
only when it can prove the sound untouched (:func:`rewrite_keeping_audio`). No mutagen here:
only headers are read. Every problem is an :class:`AudioError` naming the file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import struct
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from warcast.errors import AudioError

#: Offset and length of one stretch of audio data.
Span = tuple[int, int]

BROKEN_HINT = "Check that it is complete, playable audio (try: ffmpeg -v error -i FILE -f null -)"
_TRUNCATED_HINT = "Copy or export the complete file again"
_ID3V1_BYTES = 128
_APE_FOOTER_BYTES = 32
_XING_SEARCH_BYTES = 4096


def truncated(path: Path, detail: str) -> AudioError:
    """The error for audio that stops before its headers say it should."""
    return AudioError(f"is truncated: {detail}", path=path, hint=_TRUNCATED_HINT)


@contextmanager
def file_errors(path: Path, doing: str) -> Iterator[None]:
    """Turn a file-system failure while ``doing`` something to ``path`` into an AudioError."""
    try:
        yield
    except OSError as exc:
        hint = "Check that the file and its folder exist and are writable"
        raise AudioError(f"cannot {doing} the file ({exc.strerror or exc})", path=path,
                         hint=hint) from exc


@contextmanager
def reading(path: Path) -> Iterator[BinaryIO]:
    """Open ``path`` for reading bytes; a file-system failure becomes an AudioError."""
    with file_errors(path, "read"), path.open("rb") as stream:
        yield stream


def check_complete(path: Path, kind: str) -> None:
    """Refuse an MP3 shorter than its Xing/Info header says, or an MP4 whose boxes run past
    the end of the file; other kinds (a ``warcast.audio.probe.FORMATS`` key) are not checked."""
    if kind == "mp3":
        _check_mp3(path)
    elif kind == "m4a":
        mp4_boxes(path)


def spans_digest(path: Path, spans: list[Span]) -> str:
    """SHA-256 (hex) of the bytes in ``spans``: the audio data alone, whatever the tags."""
    digest = hashlib.sha256()
    with reading(path) as stream:
        for offset, length in spans:
            stream.seek(offset)
            while length > 0:
                chunk = stream.read(min(length, 1 << 20))
                if not chunk:
                    raise truncated(path, "the file shrank while being read")
                digest.update(chunk)
                length -= len(chunk)
    return digest.hexdigest()


# --- MP3: ID3v2, MPEG frames, APEv2 and ID3v1 ------------------------------------------------


def syncsafe(data: bytes) -> int:
    """An ID3v2 "syncsafe" integer: 7 bits per byte."""
    value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
    return value


def id3v2_length(head: bytes) -> int:
    """Total bytes of the ID3v2 tag whose 10-byte header is ``head`` (footer included);
    0 when ``head`` is not an ID3v2 header."""
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    return 10 + syncsafe(head[6:10]) + (10 if head[5] & 0x10 else 0)


def has_id3v1(path: Path) -> bool:
    """Whether the file ends with a 128-byte ID3v1 tag."""
    with reading(path) as stream:
        return _id3v1_length(stream) > 0


def _id3v1_length(stream: BinaryIO) -> int:
    """Bytes taken by an ID3v1 tag at the end of ``stream``: 128 or 0."""
    size = stream.seek(0, 2)
    if size < _ID3V1_BYTES:
        return 0
    stream.seek(size - _ID3V1_BYTES)
    return _ID3V1_BYTES if stream.read(3) == b"TAG" else 0


def mp3_spans(path: Path) -> list[Span]:
    """Where the MPEG audio is: after the ID3v2 tag, before the APEv2 and ID3v1 trailers."""
    with reading(path) as stream:
        start = id3v2_length(stream.read(10))
        end = stream.seek(0, 2) - _id3v1_length(stream)
        stream.seek(max(0, end - _APE_FOOTER_BYTES))
        end -= _ape_length(stream.read(_APE_FOOTER_BYTES))
    if start >= end:
        raise truncated(path, "no audio after the ID3 tag")
    return [(start, end - start)]


def _ape_length(footer: bytes) -> int:
    """Total bytes of the APEv2 tag that ``footer`` ends, header included; 0 when none."""
    if len(footer) < _APE_FOOTER_BYTES or footer[:8] != b"APETAGEX":
        return 0
    tag_size, _, flags = struct.unpack("<3I", footer[12:24])
    return tag_size + (_APE_FOOTER_BYTES if flags & 0x80000000 else 0)


def mp3_declared_bytes(path: Path, start: int) -> int | None:
    """Byte count from the Xing/Info header of the first MPEG frame at or after ``start``."""
    with reading(path) as stream:
        stream.seek(start)
        data = stream.read(_XING_SEARCH_BYTES)
    sync = next((i for i in range(len(data) - 3)
                 if data[i] == 0xFF and data[i + 1] & 0xE0 == 0xE0), None)
    if sync is None:
        return None
    tag = sync + 4 + _side_info_bytes(data[sync : sync + 4])
    if data[tag : tag + 4] not in (b"Xing", b"Info") or len(data) < tag + 16:
        return None
    (flags,) = struct.unpack(">I", data[tag + 4 : tag + 8])
    if not flags & 0x2:  # no byte count
        return None
    offset = tag + 8 + (4 if flags & 0x1 else 0)  # skip the frame count
    (count,) = struct.unpack(">I", data[offset : offset + 4])
    return count or None


def _side_info_bytes(header: bytes) -> int:
    """Length of the side information after an MPEG audio frame header."""
    mpeg1 = (header[1] >> 3) & 3 == 3
    mono = (header[3] >> 6) == 3
    return (17 if mono else 32) if mpeg1 else (9 if mono else 17)


def _check_mp3(path: Path) -> None:
    """Refuse an MP3 holding fewer audio bytes than its Xing/Info header declares."""
    ((start, length),) = mp3_spans(path)
    expected = mp3_declared_bytes(path, start)
    if expected is not None and length < expected:
        raise truncated(path, f"{length:,} of {expected:,} audio bytes present")


def id3_frames(body: bytes) -> list[bytes]:
    """The raw ID3v2.4 frames (headers included) of a tag body, up to its padding."""
    frames, offset = [], 0
    while offset + 10 <= len(body) and body[offset] != 0:
        end = offset + 10 + syncsafe(body[offset + 4 : offset + 8])
        frames.append(body[offset:end])
        offset = end
    return frames


def sort_id3_chapters(path: Path) -> None:
    """Move the CHAP frames of an ID3v2.4 tag, sorted by start time, to where the first was.

    mutagen writes frames ordered by size, but ffmpeg-based players list chapters in file
    order. The tag keeps its size: only whole frames move, the padding stays.
    """
    with file_errors(path, "write"), path.open("r+b") as stream:
        head = stream.read(10)
        frames = id3_frames(stream.read(id3v2_length(head) - 10))
        chapters = sorted((f for f in frames if f[:4] == b"CHAP"), key=_chapter_start)
        if chapters:
            first = next(i for i, frame in enumerate(frames) if frame[:4] == b"CHAP")
            others = [frame for frame in frames if frame[:4] != b"CHAP"]
            stream.seek(10)
            stream.write(b"".join([*others[:first], *chapters, *others[first:]]))


def _chapter_start(frame: bytes) -> int:
    """Start time (ms) of a raw CHAP frame: it follows the element id's NUL."""
    after_id = frame.index(b"\x00", 10) + 1
    return int.from_bytes(frame[after_id : after_id + 4], "big")


# --- MP4: top-level boxes --------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """One top-level MP4 box: its four-letter name and where its contents start and end."""

    name: bytes
    start: int  # first byte after the box header
    end: int  # first byte after the box


def mp4_boxes(path: Path) -> list[Box]:
    """Every top-level box of an MP4 file, in order; AudioError if one is cut short."""
    boxes: list[Box] = []
    with reading(path) as stream:
        size = stream.seek(0, 2)
        offset = 0
        while offset < size:
            boxes.append(_mp4_box(path, stream, offset, size))
            offset = boxes[-1].end
    return boxes


def mp4_spans(path: Path) -> list[Span]:
    """Offset and length of every top-level ``mdat`` box's contents."""
    with reading(path) as stream:
        if stream.read(8)[4:] != b"ftyp":
            raise AudioError("is not an MP4 file (no ftyp box)", path=path, hint=BROKEN_HINT)
    spans = [(box.start, box.end - box.start) for box in mp4_boxes(path) if box.name == b"mdat"]
    if not spans:
        raise AudioError("MP4 file holds no audio (no mdat box)", path=path, hint=BROKEN_HINT)
    return spans


def _mp4_box(path: Path, stream: BinaryIO, offset: int, size: int) -> Box:
    """The box at ``offset``: a 32-bit size, or 1 and a 64-bit size, or 0 for "to the end"."""
    stream.seek(offset)
    length, name = struct.unpack(">I4s", _box_header(path, stream, offset))
    header = 8
    if length == 1:
        length, header = struct.unpack(">Q", _box_header(path, stream, offset))[0], 16
    elif length == 0:
        length = size - offset
    if length < header:
        raise AudioError(f"has a broken MP4 box at byte {offset}", path=path, hint=BROKEN_HINT)
    if offset + length > size:
        raise truncated(path, f"the '{name.decode('latin-1')}' box runs past the end")
    return Box(name, offset + header, offset + length)


def _box_header(path: Path, stream: BinaryIO, offset: int) -> bytes:
    """The next eight bytes of the box header at ``offset``, or a truncation error."""
    data = stream.read(8)
    if len(data) < 8:
        raise truncated(path, f"partial MP4 box header at byte {offset}")
    return data


# --- rewriting a file, keeping its audio -----------------------------------------------------


def rewrite_keeping_audio(path: Path, change: Callable[[Path], None],
                          digest: Callable[[Path], str]) -> None:
    """Apply ``change`` to a same-folder copy of ``path``, then atomically swap the copy in,
    but only when ``digest`` shows that the audio data is unchanged. Errors name ``path``."""
    copy = _temp_copy(path)
    try:
        with _naming(path):
            change(copy)
            if digest(copy) != digest(path):
                raise AudioError("tagging would change the audio data; the file was left as "
                                 "it was", path=path, hint="Report this as a warcast bug")
        with file_errors(path, "replace"):
            os.replace(copy, path)
    finally:
        copy.unlink(missing_ok=True)


def _temp_copy(path: Path) -> Path:
    """A hidden copy of ``path`` in its own folder, with the same permission bits."""
    with file_errors(path, "copy"):
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}",
                                        dir=path.parent)
        os.close(handle)
    copy = Path(name)
    try:
        with file_errors(path, "copy"):
            shutil.copyfile(path, copy)
            os.chmod(copy, stat.S_IMODE(path.stat().st_mode))
    except AudioError:
        copy.unlink(missing_ok=True)
        raise
    return copy


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Make errors about our temporary copy name the user's file instead."""
    try:
        yield
    except AudioError as exc:
        if exc.path == path:
            raise
        raise AudioError(exc.message, path=path, key=exc.key, hint=exc.hint) from exc
