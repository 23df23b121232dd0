"""Turning the transcripts and chapters an old feed links to into warcast's own sources.

A timed transcript (WebVTT, SubRip or Podcasting 2.0 JSON) becomes the episode's editable
``transcript.vtt``; JSON chapters become ``[[chapters]]`` in episode.toml. Whatever cannot be
read returns None, and the import keeps the link instead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from warcast.errors import TranscriptError
from warcast.timecode import SRT_STAMP
from warcast.transcript.model import Transcript, Word, cues_from_words, read_source

#: Transcript types that carry times, best first: the one to turn into transcript.vtt.
TIMED_TYPES = ("text/vtt", "application/x-subrip", "application/srt", "application/json")


def transcript_from(data: bytes, media_type: str, language: str) -> Transcript | None:
    """The transcript in ``data`` of ``media_type``, or None when it cannot be read."""
    try:
        if media_type == "application/json":
            return _from_json(data, language)
        if media_type != "text/vtt":
            data = _srt_as_vtt(data)
        transcript = read_source(data, path=Path("transcript"), language=language)
    except (TranscriptError, UnicodeDecodeError, ValueError, TypeError, KeyError):
        return None
    return None if transcript.is_empty else transcript


def _srt_as_vtt(data: bytes) -> bytes:
    text = data.decode("utf-8-sig")
    blocks = []
    for block in re.split(r"\r?\n\s*\r?\n", text.strip()):
        lines = block.splitlines()
        if lines and lines[0].strip().isdigit():
            lines = lines[1:]
        if lines:
            lines[0] = SRT_STAMP.sub(r"\1.\2", lines[0])
            blocks.append("\n".join(lines))
    return ("WEBVTT\n\n" + "\n\n".join(blocks) + "\n").encode("utf-8")


def _from_json(data: bytes, language: str) -> Transcript | None:
    """Podcasting 2.0 JSON: segments (often one word each) with optional speakers."""
    segments = json.loads(data)["segments"]
    words: list[Word] = []
    turns: list[tuple[float, str]] = []
    for segment in segments:
        start, end = float(segment["startTime"]), float(segment["endTime"])
        body = " ".join(str(segment.get("body", "")).split())
        if not body or end < start or (words and start < words[-1].start):
            continue
        speaker = segment.get("speaker")
        if isinstance(speaker, str) and speaker.strip() and \
                (not turns or turns[-1][1] != speaker.strip()):
            turns.append((start, speaker.strip()))
        words.extend(_spread(body, start, end))
    if not words:
        return None
    return Transcript(cues_from_words(words, speakers=turns), language)


def _spread(body: str, start: float, end: float) -> list[Word]:
    tokens = body.split()
    step = (end - start) / len(tokens)
    return [Word(start + i * step, start + (i + 1) * step, token)
            for i, token in enumerate(tokens)]


def chapters_from(data: bytes) -> list[dict[str, object]] | None:
    """``[[chapters]]`` entries from a JSON chapters file (silent ``toc: false`` ones left
    out), or None when it is not one."""
    try:
        document = json.loads(data)
        entries = document["chapters"]
        chapters: list[dict[str, object]] = []
        for entry in entries:
            if entry.get("toc") is False:
                continue
            start, title = float(entry["startTime"]), " ".join(str(entry["title"]).split())
            if start < 0 or not title or (chapters and start <= float(chapters[-1]["start"])):
                return None
            chapter: dict[str, object] = {"start": start, "title": title}
            for key, name in (("url", "url"), ("img", "image")):
                value = entry.get(key)
                if isinstance(value, str) and value.startswith(("http://", "https://")):
                    chapter[name] = value
            chapters.append(chapter)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return chapters or None
