"""Tests for warcast.audio.containers: MP3 and MP4 layouts written byte by byte, then read back."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest

from warcast.audio.containers import (
    Box,
    check_complete,
    has_id3v1,
    id3_frames,
    id3v2_length,
    mp3_declared_bytes,
    mp3_spans,
    mp4_boxes,
    mp4_spans,
    rewrite_keeping_audio,
    sort_id3_chapters,
    spans_digest,
    syncsafe,
)
from warcast.errors import AudioError

# --- MP3 pieces ------------------------------------------------------------------------------


def synchsafe_bytes(value: int) -> bytes:
    return bytes((value >> shift) & 0x7F for shift in (21, 14, 7, 0))


def id3v2(body: bytes, *, footer: bool = False) -> bytes:
    """An ID3v2.4 tag around ``body`` (frames and padding)."""
    flags = 0x10 if footer else 0
    tail = b"3DI\x04\x00" + bytes([flags]) + synchsafe_bytes(len(body)) if footer else b""
    return b"ID3\x04\x00" + bytes([flags]) + synchsafe_bytes(len(body)) + body + tail


def id3_frame(frame_id: bytes, data: bytes) -> bytes:
    return frame_id + synchsafe_bytes(len(data)) + b"\x00\x00" + data


def chap(element_id: bytes, start_ms: int) -> bytes:
    times = struct.pack(">IIII", start_ms, start_ms + 100, 0xFFFFFFFF, 0xFFFFFFFF)
    return id3_frame(b"CHAP", element_id + b"\x00" + times)


def mpeg_audio(declared: int | None, size: int) -> bytes:
    """``size`` bytes of MPEG-1 Layer III: a first frame whose Xing header declares
    ``declared`` bytes (no Xing header when None), then filler."""
    header = b"\xff\xfb\x90\x64"  # 128 kbit/s, 44.1 kHz, joint stereo: 32 bytes side info
    first = header + bytes(32)
    if declared is not None:
        first += b"Xing" + struct.pack(">III", 0x3, 10, declared)
    return (first + bytes(size))[:size]


def ape_tag() -> bytes:
    """An APEv2 tag with header, one item and footer (74 bytes)."""
    item = struct.pack("<II", 2, 0) + b"k\x00hi"
    size = len(item) + 32

    def block(flags: int) -> bytes:
        return b"APETAGEX" + struct.pack("<IIII", 2000, size, 1, flags) + bytes(8)

    return block(0xA0000000) + item + block(0x80000000)


ID3V1 = b"TAG" + bytes(125)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- MP3 -------------------------------------------------------------------------------------


def test_syncsafe_uses_seven_bits_per_byte() -> None:
    assert syncsafe(b"\x00\x00\x02\x01") == 257
    assert syncsafe(synchsafe_bytes(0x0FFFFFFF)) == 0x0FFFFFFF


@pytest.mark.parametrize(("head", "length"), [
    (id3v2(bytes(257))[:10], 267),
    (id3v2(bytes(257), footer=True)[:10], 277),
    (b"\xff\xfb\x90\x64" + bytes(6), 0),
    (b"ID3\x04", 0),
])
def test_id3v2_length_counts_header_body_and_footer(head: bytes, length: int) -> None:
    assert id3v2_length(head) == length


def test_mp3_audio_sits_between_id3v2_and_the_trailers(tmp_path: Path) -> None:
    tag = id3v2(bytes(20), footer=True)
    path = write(tmp_path, "a.mp3", tag + mpeg_audio(1000, 1000) + ape_tag() + ID3V1)
    assert has_id3v1(path)
    assert mp3_spans(path) == [(len(tag), 1000)]


def test_mp3_without_tags_is_all_audio(tmp_path: Path) -> None:
    path = write(tmp_path, "a.mp3", mpeg_audio(None, 500))
    assert not has_id3v1(path)
    assert mp3_spans(path) == [(0, 500)]
    assert mp3_declared_bytes(path, 0) is None


def test_mp3_cut_inside_its_tag_is_truncated(tmp_path: Path) -> None:
    path = write(tmp_path, "a.mp3", id3v2(bytes(400))[:100])
    with pytest.raises(AudioError, match="no audio after the ID3 tag") as caught:
        mp3_spans(path)
    assert caught.value.path == path


def test_xing_byte_count_is_read_after_the_tag(tmp_path: Path) -> None:
    tag = id3v2(bytes(20))
    path = write(tmp_path, "a.mp3", tag + mpeg_audio(1000, 1000))
    assert mp3_declared_bytes(path, len(tag)) == 1000
    check_complete(path, "mp3")


def test_mp3_shorter_than_its_xing_header_says_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.mp3", id3v2(bytes(20)) + mpeg_audio(1000, 600))
    with pytest.raises(AudioError, match="is truncated: 600 of 1,000 audio bytes present"):
        check_complete(path, "mp3")


def test_id3_frames_stop_at_the_padding() -> None:
    frames = [id3_frame(b"TIT2", b"\x03Hi"), chap(b"chp0", 0)]
    assert id3_frames(b"".join(frames) + bytes(50)) == frames


def test_chapters_are_moved_into_time_order_in_place(tmp_path: Path) -> None:
    title, other = id3_frame(b"TIT2", b"\x03Hi"), id3_frame(b"TXXX", b"\x03a\x00b")
    late, early = chap(b"chp1", 500), chap(b"chp0", 0)
    audio = mpeg_audio(None, 300)
    path = write(tmp_path, "a.mp3", id3v2(title + late + early + other + bytes(40)) + audio)
    sort_id3_chapters(path)
    assert path.read_bytes() == id3v2(title + early + late + other + bytes(40)) + audio


# --- MP4 -------------------------------------------------------------------------------------


def box(name: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + name + body


def large_box(name: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 1) + name + struct.pack(">Q", 16 + len(body)) + body


FTYP = box(b"ftyp", b"M4A \x00\x00\x00\x00")


def test_mp4_boxes_with_64_bit_and_to_the_end_sizes(tmp_path: Path) -> None:
    data = FTYP + large_box(b"mdat", b"\x01" * 100) + struct.pack(">I", 0) + b"moov" + bytes(8)
    path = write(tmp_path, "a.m4a", data)
    assert mp4_boxes(path) == [Box(b"ftyp", 8, 16), Box(b"mdat", 32, 132), Box(b"moov", 140, 148)]
    assert mp4_spans(path) == [(32, 100)]
    check_complete(path, "m4a")


@pytest.mark.parametrize(("data", "message"), [
    (FTYP + box(b"mdat", bytes(100))[:60], "the 'mdat' box runs past the end"),
    (FTYP + box(b"mdat", bytes(10)) + b"\x00\x00", "partial MP4 box header at byte 34"),
    (FTYP + large_box(b"mdat", b"")[:12], "partial MP4 box header at byte 16"),
    (FTYP + struct.pack(">I", 4) + b"mdat", "broken MP4 box at byte 16"),
    (box(b"mdat", bytes(10)), "not an MP4 file"),
    (FTYP + box(b"moov", bytes(10)), "holds no audio"),
])
def test_broken_mp4_files_are_refused(tmp_path: Path, data: bytes, message: str) -> None:
    path = write(tmp_path, "a.m4a", data)
    with pytest.raises(AudioError, match=message) as caught:
        mp4_spans(path)
    assert caught.value.path == path


# --- reading and rewriting -------------------------------------------------------------------


def test_digest_covers_the_spans_only(tmp_path: Path) -> None:
    path = write(tmp_path, "a.bin", b"tag-" + b"audio" + b"-tail")
    assert spans_digest(path, [(4, 5)]) == hashlib.sha256(b"audio").hexdigest()
    with pytest.raises(AudioError, match="shrank while being read"):
        spans_digest(path, [(4, 100)])


def test_missing_file_is_an_audio_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "gone.mp3"
    with pytest.raises(AudioError, match="cannot read the file") as caught:
        mp3_spans(path)
    assert caught.value.path == path


def _mp3_digest(path: Path) -> str:
    return spans_digest(path, mp3_spans(path))


def test_rewrite_swaps_in_a_copy_with_the_same_audio(tmp_path: Path) -> None:
    audio = mpeg_audio(300, 300)
    path = write(tmp_path, "a.mp3", id3v2(bytes(10)) + audio)
    rewrite_keeping_audio(path, lambda copy: copy.write_bytes(id3v2(bytes(99)) + audio),
                          _mp3_digest)
    assert path.read_bytes() == id3v2(bytes(99)) + audio
    assert [p.name for p in tmp_path.iterdir()] == ["a.mp3"]


def test_rewrite_that_would_change_the_audio_leaves_the_file(tmp_path: Path) -> None:
    original = id3v2(bytes(10)) + mpeg_audio(300, 300)
    path = write(tmp_path, "a.mp3", original)
    with pytest.raises(AudioError, match="would change the audio data") as caught:
        rewrite_keeping_audio(path, lambda copy: copy.write_bytes(original[:-1] + b"\x01"),
                              _mp3_digest)
    assert caught.value.path == path
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["a.mp3"]


def test_rewrite_errors_name_the_original_not_the_copy(tmp_path: Path) -> None:
    path = write(tmp_path, "a.mp3", id3v2(bytes(10)) + mpeg_audio(300, 300))
    with pytest.raises(AudioError, match="no audio after the ID3 tag") as caught:
        rewrite_keeping_audio(path, lambda copy: copy.write_bytes(id3v2(bytes(10))),
                              _mp3_digest)
    assert caught.value.path == path
