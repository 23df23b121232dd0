"""Published transcripts read as strict players read them: every format parsed by its own
parser, then every cue checked to last a while, to start after the one before ends, and to
start later than the one before."""

from __future__ import annotations

import json
import re
from pathlib import Path

import srt
import webvtt

from warcast.transcript.model import (
    Transcript,
    read_source,
    render_json,
    render_srt,
    render_vtt,
    write_source,
)

_CLOCK = re.compile(r"(?:(\d+):)?(\d{2}):(\d{2})[.,](\d{3})")


def seconds(clock: str) -> float:
    hours, minutes, secs, millis = _CLOCK.fullmatch(clock).groups()  # type: ignore[union-attr]
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(millis) / 1000


def check_times(times: list[tuple[float, float]], label: str) -> None:
    """Strictly increasing starts, no cue without length, none overlapping the one before."""
    for index, (start, end) in enumerate(times):
        assert end > start, f"{label}: cue {index + 1} ends at {end} <= its start {start}"
        if index:
            before_start, before_end = times[index - 1]
            assert start > before_start, f"{label}: cue {index + 1} starts at {start}, " \
                f"not after cue {index} ({before_start})"
            assert start >= before_end, f"{label}: cue {index + 1} starts at {start}, " \
                f"before cue {index} ends ({before_end})"


def vtt_times(data: bytes, label: str) -> list[tuple[float, float]]:
    captions = webvtt.from_string(data.decode("utf-8")).captions
    times = [(seconds(c.start), seconds(c.end)) for c in captions]
    check_times(times, label)
    return times


def srt_times(data: bytes, label: str) -> list[tuple[float, float]]:
    subtitles = list(srt.parse(data.decode("utf-8"), ignore_errors=False))
    assert [s.index for s in subtitles] == list(range(1, len(subtitles) + 1)), label
    times = [(s.start.total_seconds(), s.end.total_seconds()) for s in subtitles]
    check_times(times, label)
    return times


def json_times(data: bytes, label: str) -> list[tuple[float, float]]:
    """The Podcasting 2.0 JSON transcript: a version and segments with numeric times and a
    body (a speaker, when given, a string)."""
    document = json.loads(data)
    assert isinstance(document.get("version"), str), label
    times = []
    for segment in document["segments"]:
        assert set(segment) <= {"speaker", "startTime", "endTime", "body"}, (label, segment)
        assert isinstance(segment["body"], str) and segment["body"].strip(), (label, segment)
        assert isinstance(segment.get("speaker", ""), str), (label, segment)
        assert all(isinstance(segment[key], int | float) and not isinstance(segment[key], bool)
                   for key in ("startTime", "endTime")), (label, segment)
        times.append((float(segment["startTime"]), float(segment["endTime"])))
    check_times(times, label)
    return times


def check_published(folder: Path) -> int:
    """Check every transcript file in a published episode folder; how many were checked."""
    readers = {".vtt": vtt_times, ".srt": srt_times, ".json": json_times}
    checked = 0
    for suffix, reader in readers.items():
        path = folder / f"transcript{suffix}"
        if path.is_file():
            reader(path.read_bytes(), str(path))
            checked += 1
    return checked


def check_rendered(transcript: Transcript, label: str) -> None:
    """Render every timed format of ``transcript`` and read each back strictly."""
    vtt_times(write_source(transcript), f"{label} source")
    vtt_times(render_vtt(transcript), f"{label} vtt")
    srt_times(render_srt(transcript), f"{label} srt")
    json_times(render_json(transcript), f"{label} json")
    # warcast's own reader refuses overlaps and cues that go back in time, too.
    read_source(render_vtt(transcript), path=Path(f"{label}.vtt"))
