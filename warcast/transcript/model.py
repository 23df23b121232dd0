"""Transcripts: the hand-editable WebVTT source, its word timings, and what podcast apps read.

``transcript.vtt`` in an episode folder is source: made once from Whisper's words, then a
producer's to edit by hand. Word timings live in a machine sidecar (:func:`words_sidecar`) so the
VTT stays easy to edit; :func:`read_source` carries them over to edited text with
:func:`align_words`. At publish time :data:`TRANSCRIPT_FORMATS` renders the derived files that
``podcast:transcript`` points at: caption WebVTT and SRT, Podcasting 2.0 JSON, HTML, plain text.
"""

from __future__ import annotations

import functools
import html
import json
import math
import re
import textwrap
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from itertools import groupby, pairwise
from pathlib import Path
from typing import NamedTuple

from warcast.errors import TranscriptError
from warcast.timecode import clock, ms, parse_stamp, stamp

JSON_VERSION = "1.0.0"
EDIT_NOTE = """\
This file is the episode's transcript; edit it by hand, warcast keeps your changes.
Each cue is a timing line (start and end as HH:MM:SS.mmm, joined by an arrow) and its text.
Keep the timing lines as they are, or fix their times; change the text freely.
Start a cue's text with <v Name> to say who speaks.
A blank line ends a cue. Write & < > as &amp; &lt; &gt;."""
_SENTENCE_END = re.compile(r"[.?!…][\"'”’)\]]*$")
_CLAUSE_END = re.compile(r"[,;:–—][\"'”’)\]]*$")
_VOICE = re.compile(r"<v(?:\.[^\s>.]+)*[ \t]+([^>]+)>")
_TAG = re.compile(r"<[^<>]*>")
# Whisper's word times can touch, repeat or run backwards (a word aligned to no audio frame,
# times rounded together, words merged at a piece or clip boundary); every word is given at
# least this long, after the word before it, so that no cue made of words is empty.
MIN_WORD_SECONDS = 0.02
# A cue published without length (a hand-edited or imported one) is shown until the next
# starts, for up to this long; where the next starts at once, for a millisecond.
FILL_MS = 1000
_TIME_HINT = "Write times as HH:MM:SS.mmm (or MM:SS.mmm), e.g. 00:01:07.500"
_SIDECAR_HINT = "Delete the file: word timings are then spread over each cue of the transcript"


@dataclass(frozen=True)
class Word:
    """One spoken word and when it was said (seconds); ``text`` keeps attached punctuation.
    ``probability`` is Whisper's confidence in it, where Whisper just gave one."""

    start: float
    end: float
    text: str
    probability: float | None = None


@dataclass(frozen=True)
class Cue:
    """One caption: a stretch of speech by one speaker, its text on one line."""

    start: float
    end: float
    text: str
    speaker: str | None = None
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    """An episode's transcript: its cues in time order and the language spoken."""

    cues: tuple[Cue, ...]
    language: str = "en"

    @property
    def is_empty(self) -> bool:
        """True when nobody speaks (no cue has text), so there is nothing to publish."""
        return not any(cue.text.strip() for cue in self.cues)

    def plain_text(self) -> str:
        """All the words, single spaced, for search and summaries."""
        return " ".join(cue.text for cue in _spoken(self))


class _Limits(NamedTuple):
    """What a caption may hold on screen at once."""

    max_chars: int = 84
    line_chars: int = 42
    max_duration: float = 7.0
    min_gap_split: float = 0.8

    def fits(self, text: str, duration: float) -> bool:
        """True when ``text`` shown for ``duration`` seconds is a readable caption."""
        lines = _wrap(text, self.line_chars)
        return (len(text) <= self.max_chars and len(lines) <= 2
                and max(map(len, lines)) <= self.line_chars and duration <= self.max_duration)


class _Timed(NamedTuple):
    """A cue with the whole-millisecond times it is published with."""

    start: int
    end: int
    cue: Cue



def cues_from_words(words: Sequence[Word], *, speakers: Sequence[tuple[float, str]] = (),
                    max_chars: int = 84, line_chars: int = 42, max_duration: float = 7.0,
                    min_gap_split: float = 0.8) -> tuple[Cue, ...]:
    """Caption cues for timed words (what Whisper gives), ready to edit and to show.

    Each cue fits two lines of ``line_chars`` (``max_chars`` in all) and ``max_duration``
    seconds, unless one word alone is longer. Cues break preferably at sentence ends, then at
    commas, semicolons or colons, then at pauses of ``min_gap_split`` seconds; each speaker turn
    in ``speakers`` (``(start, name)``) starts a new cue, and words before the first turn belong
    to it. Words are first put in strictly increasing time (:func:`ordered_words`), so every cue
    lasts a while and starts after the one before ends, whatever Whisper returned.
    """
    limits = _Limits(max_chars, line_chars, max_duration, min_gap_split)
    cues: list[Cue] = []
    for speaker, run in _speaker_runs(ordered_words(words), speakers):
        for part in _segments(run, limits):
            cues.append(_cue(part, speaker, cues[-1].end if cues else 0.0))
    return tuple(cues)


def ordered_words(words: Sequence[Word]) -> list[Word]:
    """The words with text, in the order given (the order they were said), each starting no
    earlier than the one before ends and lasting at least :data:`MIN_WORD_SECONDS`."""
    out: list[Word] = []
    floor = 0.0
    for word in words:
        text = word.text.strip()
        if not text:
            continue
        start = max(_finite(word.start, floor), floor)
        end = max(_finite(word.end, start), start + MIN_WORD_SECONDS)
        out.append(Word(start, end, text, word.probability))
        floor = end
    return out


def _finite(value: float, fallback: float) -> float:
    return value if math.isfinite(value) else fallback


def _speaker_runs(words: list[Word], speakers: Sequence[tuple[float, str]]
                  ) -> Iterator[tuple[str | None, list[Word]]]:
    """Consecutive words by one speaker: the turn holding each word's midpoint."""
    turns = sorted(speakers)
    starts = [start for start, _ in turns]

    def who(word: Word) -> str | None:
        index = bisect_right(starts, (word.start + word.end) / 2) - 1
        return turns[max(index, 0)][1] if turns else None

    for speaker, run in groupby(words, key=who):
        yield speaker, list(run)


def _segments(words: list[Word], limits: _Limits) -> Iterator[list[Word]]:
    """Split one speaker's words into caption-sized runs."""
    i = 0
    while i < len(words):
        j = i + 1
        while j < len(words) and _run_fits(words[i:j + 1], limits):
            j += 1
        if j < len(words):
            j = max(range(i + 1, j + 1), key=lambda k: _break_rank(words, k, limits))
        yield words[i:j]
        i = j


def _run_fits(words: Sequence[Word], limits: _Limits) -> bool:
    text = " ".join(word.text for word in words)
    return limits.fits(text, words[-1].end - words[0].start)


def _break_rank(words: Sequence[Word], k: int, limits: _Limits) -> tuple[int, bool, int]:
    """How good a cue break before ``words[k]`` is: punctuation, then a pause, then lateness."""
    before, after = words[k - 1], words[k]
    punctuation = 2 if _SENTENCE_END.search(before.text) else int(
        bool(_CLAUSE_END.search(before.text)))
    return punctuation, after.start - before.end >= limits.min_gap_split, k


def _cue(words: Sequence[Word], speaker: str | None, floor: float) -> Cue:
    """A cue for ``words``, starting no earlier than ``floor`` (the previous cue's end)."""
    start = max(words[0].start, floor)
    end = max(words[-1].end, start)
    text = " ".join(word.text for word in words)
    return Cue(start, end, text, speaker, _clamped(words, start, end))


def _clamped(words: Sequence[Word], start: float, end: float) -> tuple[Word, ...]:
    """``words`` moved inside [start, end], each starting where the one before ends or later."""
    out = []
    for word in words:
        word_start = min(max(word.start, start), end)
        start = min(max(word.end, word_start), end)
        out.append(Word(word_start, start, word.text))
    return tuple(out)



def align_words(text: str, start: float, end: float, old: Sequence[Word]) -> tuple[Word, ...]:
    """The words of a cue's (edited) ``text`` with timings inside [start, end].

    Words that still match ``old`` (in order; compared lowercased without punctuation) keep
    their timings; the others are spread over the time between their kept neighbours (or the
    cue's bounds) in proportion to their length. Old words that lie mostly outside the cue
    (its times were moved) are first moved and scaled into it.
    """
    tokens = text.split()
    previous = _moved_into(old, start, end)
    times: list[tuple[float, float] | None] = [None] * len(tokens)
    matcher = SequenceMatcher(None, [_norm(w.text) for w in previous],
                              [_norm(t) for t in tokens], autojunk=False)
    floor = start
    for a, b, size in matcher.get_matching_blocks():
        for kept in _clamped(previous[a:a + size], floor, end):
            times[b] = (kept.start, kept.end)
            floor, b = kept.end, b + 1
    return tuple(_fill(tokens, times, start, end))


def _norm(token: str) -> str:
    return re.sub(r"[\W_]+", "", token.casefold()) or token


def _moved_into(old: Sequence[Word], start: float, end: float) -> list[Word]:
    """``old`` as is, or moved and scaled into [start, end] when mostly outside it."""
    if not old:
        return []
    low, high = min(word.start for word in old), max(word.end for word in old)
    inside = min(high, end) - max(low, start)
    if high <= low or inside >= (high - low) / 2:
        return list(old)
    scale = (end - start) / (high - low)
    return [Word(start + (w.start - low) * scale, start + (w.end - low) * scale, w.text)
            for w in old]


def _fill(tokens: list[str], times: list[tuple[float, float] | None], start: float,
          end: float) -> Iterator[Word]:
    """Words for ``tokens``: known ``times`` kept, each run of unknown ones spread out."""
    i, low = 0, start
    while i < len(tokens):
        j = next((k for k in range(i, len(tokens)) if times[k] is not None), len(tokens))
        known = times[j] if j < len(tokens) else None
        if j > i:
            yield from _spread(tokens[i:j], low, max(low, known[0] if known else end))
        if known:
            yield Word(known[0], known[1], tokens[j])
            low = known[1]
        i = j + 1


def _spread(tokens: Sequence[str], start: float, end: float) -> list[Word]:
    """Words for ``tokens`` laid over [start, end] in proportion to their character count."""
    total, done, words = sum(map(len, tokens)), 0, []
    for token in tokens:
        word_start = start + (end - start) * done / total
        done += len(token)
        words.append(Word(word_start, min(end, start + (end - start) * done / total), token))
    return words


def words_sidecar(transcript: Transcript) -> bytes:
    """The machine file of word timings: a JSON list per cue of ``[start, end, text]``."""
    rows = [json.dumps([[ms(w.start) / 1000, ms(w.end) / 1000, w.text] for w in cue.words],
                       ensure_ascii=False) for cue in _spoken(transcript)]
    return ("[\n" + ",\n".join(rows) + "\n]\n" if rows else "[]\n").encode("utf-8")


def read_words_sidecar(data: bytes, *, path: Path) -> list[list[Word]]:
    """The word timings per cue from a file :func:`words_sidecar` wrote."""
    try:
        rows = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise TranscriptError(f"word timings are not valid JSON ({err})", path=path,
                              hint=_SIDECAR_HINT) from None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise TranscriptError("word timings are not a list of lists (one per cue)", path=path,
                              hint=_SIDECAR_HINT)
    return [[_sidecar_word(item, path, n, k) for k, item in enumerate(row, 1)]
            for n, row in enumerate(rows, 1)]


def _sidecar_word(item: object, path: Path, cue: int, index: int) -> Word:
    match item:
        case [int() | float() as start, int() | float() as end, str() as text] if (
                not isinstance(start, bool) and not isinstance(end, bool)
                and math.isfinite(start) and math.isfinite(end) and 0 <= start <= end
                and text.strip()):
            return Word(float(start), float(end), text.strip())
    raise TranscriptError(f"cue {cue}, word {index} is {json.dumps(item)[:60]}, not "
                          "[start, end, text] with 0 <= start <= end", path=path,
                          hint=_SIDECAR_HINT)



def write_source(transcript: Transcript, *, header_note: str | None = None) -> bytes:
    """The editable ``transcript.vtt``: a header naming the language, a NOTE on how to edit
    (``header_note``, :data:`EDIT_NOTE` when None, none when empty), then the cues.

    Cues carry no identifiers; the speaker is a ``<v Name>`` voice span and the text is wrapped
    at 42 characters a line. The same transcript always gives the same bytes.
    """
    note = EDIT_NOTE if header_note is None else header_note
    blocks = [f"WEBVTT\nLanguage: {_squash(transcript.language)}"]
    if note.strip():
        blocks.append(_note(note))
    blocks += [_vtt_cue(item) for item in _timed(_spoken(transcript))]
    return ("\n\n".join(blocks) + "\n").encode("utf-8")


def _note(text: str) -> str:
    """A NOTE block; an arrow would end it, so none is left in."""
    lines = [line.strip().replace("-->", "->") for line in text.splitlines() if line.strip()]
    return "\n".join(["NOTE", *lines])


def _vtt_cue(item: _Timed) -> str:
    voice = f"<v {_vtt_escape(item.cue.speaker)}>" if item.cue.speaker else ""
    lines = [_vtt_escape(line) for line in _wrap(item.cue.text)]
    return f"{stamp(item.start)} --> {stamp(item.end)}\n{voice}" + "\n".join(lines)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def read_source(data: bytes, *, path: Path, words: Sequence[Sequence[Word]] | None = None,
                language: str = "en") -> Transcript:
    """The transcript in a (possibly hand-edited) ``transcript.vtt``.

    Accepts what WebVTT editors write (identifiers, cue settings, NOTE/STYLE/REGION blocks,
    tags, entities, CRLF, a BOM) and refuses, naming the line, what would publish wrong
    captions: a missing WEBVTT line, malformed times, cues ending before they start, going back
    in time or overlapping, text outside a cue. A ``Language:`` header line overrides
    ``language``. ``words`` (the sidecar) gives word timings, matched to cues by position
    while the number of cues is unchanged, else by time.
    """
    blocks = list(_blocks(_lines(data, path)))
    parsed = [found for block in blocks[1:] if (found := _read_block(*block, path))]
    _check_order(parsed, path)
    cues = [cue for _, cue in parsed if cue.text]
    if words is not None:
        cues = [replace(cue, words=align_words(cue.text, cue.start, cue.end, old))
                for cue, old in zip(cues, _old_words(cues, words), strict=True)]
    return Transcript(tuple(cues), _language(blocks[0][1], language))


def _error(path: Path, line: int, message: str, hint: str) -> TranscriptError:
    return TranscriptError(f"line {line}: {message}", path=path, hint=hint)


def _lines(data: bytes, path: Path) -> list[str]:
    """The file's lines, checked to start with the WEBVTT signature."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise _error(path, data.count(b"\n", 0, err.start) + 1, "the text is not UTF-8",
                     "Save the file with UTF-8 encoding") from None
    if not text.strip():
        raise TranscriptError("the transcript is empty", path=path,
                              hint='An episode without speech needs a file reading "WEBVTT"')
    lines = re.split(r"\r\n|\r|\n", text)
    if not re.fullmatch(r"WEBVTT(?:[ \t].*)?", lines[0]):
        raise _error(path, 1, "the WEBVTT signature is missing",
                     'Make "WEBVTT" the first line of the file')
    return lines


def _blocks(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) of each block: lines up to a blank line, or up to a timing
    line that cannot be this block's (as WebVTT parsers split them)."""
    block: list[str] = []
    first, in_header = 1, True
    for number, line in enumerate(lines, 1):
        starts_cue = "-->" in line and bool(block) and (
            in_header or len(block) > 1 or "-->" in block[0])
        if block and (starts_cue or not line.strip()):
            yield first, block
            block, in_header = [], False
        if line.strip():
            first = number if not block else first
            block.append(line)
    if block:
        yield first, block


def _read_block(first: int, lines: list[str], path: Path) -> tuple[int, Cue] | None:
    """The cue in a block after the header and the number of its timing line; None for
    NOTE, STYLE and REGION blocks."""
    if re.match(r"(NOTE|STYLE|REGION)(?:[ \t]|$)", lines[0]):
        return None
    at = 0 if "-->" in lines[0] else 1 if len(lines) > 1 and "-->" in lines[1] else None
    if at is None:
        raise _error(path, first, "text outside a cue (a blank line ends a cue)",
                     "Remove the blank line above it, or give it its own timing line")
    line = first + at
    left, _, right = lines[at].partition("-->")
    start = _time(left.strip(), path, line)
    end = _time((right.split() or [""])[0], path, line)
    if end < start:
        raise _error(path, line, f"the cue ends ({stamp(ms(end))}) before it starts "
                     f"({stamp(ms(start))})", "Fix the times so the end comes after the start")
    return line, Cue(start, end, *_payload(lines[at + 1:]))


def _time(token: str, path: Path, line: int) -> float:
    seconds = parse_stamp(token)
    if seconds is None:
        raise _error(path, line, f"malformed timestamp '{token}'", _TIME_HINT)
    return seconds


def _payload(lines: list[str]) -> tuple[str, str | None]:
    """The cue's text without tags or entities, and the first voice span's speaker."""
    raw = " ".join(lines)
    voice = _VOICE.search(raw)
    speaker = _squash(html.unescape(voice.group(1))) if voice else ""
    return _squash(html.unescape(_TAG.sub("", raw))), speaker or None


def _check_order(cues: list[tuple[int, Cue]], path: Path) -> None:
    for (earlier, before), (line, cue) in pairwise(cues):
        at = stamp(ms(cue.start))
        if cue.start < before.start:
            raise _error(path, line, f"the cue starts at {at}, before the cue on line "
                         f"{earlier} starts", "Keep cues in time order")
        if cue.start < before.end:
            raise _error(path, line, f"the cue starts at {at}, before the cue on line "
                         f"{earlier} ends ({stamp(ms(before.end))}); captions must not "
                         "overlap", f"End the earlier cue at {at} or sooner")


def _language(header: list[str], default: str) -> str:
    for line in header[1:]:
        key, colon, value = line.partition(":")
        if colon and key.strip().casefold() == "language" and value.strip():
            return value.strip()
    return default


def _old_words(cues: list[Cue], words: Sequence[Sequence[Word]]) -> list[Sequence[Word]]:
    """The sidecar's words for each cue: by position if the cue count held, else by time."""
    if len(words) == len(cues):
        return list(words)
    flat = sorted((w for row in words for w in row), key=lambda w: w.start + w.end)
    middles = [w.start + w.end for w in flat]
    return [flat[bisect_left(middles, 2 * c.start):bisect_right(middles, 2 * c.end)]
            for c in cues]



def render_vtt(t: Transcript) -> bytes:
    """Caption WebVTT: cues split to caption limits, speakers as ``<v Name>`` voice spans."""
    blocks = ["WEBVTT", *(_vtt_cue(item) for item in _timed(_caption_cues(t)))]
    return ("\n\n".join(blocks) + "\n").encode("utf-8")


def render_srt(t: Transcript) -> bytes:
    """SubRip captions (the cues of :func:`render_vtt`); ``Name: `` opens each speaker turn,
    stretching the two lines past 42 characters where it has to."""
    blocks, speaker = [], None
    for number, item in enumerate(_timed(_caption_cues(t)), 1):
        label = f"{item.cue.speaker}: " if item.cue.speaker not in (None, speaker) else ""
        speaker = item.cue.speaker
        text = "\n".join(_wrap(label + item.cue.text, stretch=True))
        blocks.append(f"{number}\n{stamp(item.start, ',')} --> {stamp(item.end, ',')}\n"
                      f"{text}\n\n")
    return "".join(blocks).encode("utf-8")


def render_json(t: Transcript) -> bytes:
    """Podcasting 2.0 JSON transcript: one segment per cue, ``speaker`` only when known."""
    segments = [_segment(item) for item in _timed(_spoken(t))]
    document = {"version": JSON_VERSION, "segments": segments}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _segment(item: _Timed) -> dict[str, object]:
    segment: dict[str, object] = {"speaker": item.cue.speaker} if item.cue.speaker else {}
    return segment | {"startTime": item.start / 1000, "endTime": item.end / 1000,
                      "body": item.cue.text}


def render_html(t: Transcript, *, title: str, chapters: Sequence[tuple[float, str]] = (),
                links: Sequence[tuple[float, str, str]] = ()) -> bytes:
    """A small standalone HTML page (the ``transcript.html`` template): a paragraph per
    speaker turn, a section per chapter, and after each turn the articles (``(start, url,
    title)``) its passage discusses."""
    marks = sorted(chapters)
    starts = [start for start, _ in marks]
    spoken = _turns(_spoken(t), starts)
    related = _links_by_turn([turn[0].start for turn in spoken], links)
    turns: dict[int, list[dict[str, object]]] = {}
    for index, turn in enumerate(spoken):
        turns.setdefault(bisect_right(starts, turn[0].start) - 1, []).extend(
            [_turn_entry(turn), *related.get(index, [])])
    page = _page_template().render(
        language=t.language, title=title, intro=turns.get(-1, []),
        sections=[(name, turns.get(index, [])) for index, (_, name) in enumerate(marks)])
    return page.encode("utf-8")


@functools.cache
def _page_template():  # type: ignore[no-untyped-def]
    from jinja2 import Environment, PackageLoader

    env = Environment(loader=PackageLoader("warcast", "site/templates"), autoescape=False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["text"] = html.escape
    env.filters["clock"] = clock
    return env.get_template("transcript.html")


def _links_by_turn(turn_starts: list[float], links: Sequence[tuple[float, str, str]]
                   ) -> dict[int, list[dict[str, object]]]:
    """Each link as a "Read more" entry under the turn in which its passage starts."""
    placed: dict[int, list[dict[str, object]]] = {}
    for start, url, name in sorted(links):
        index = max(0, bisect_right(turn_starts, start) - 1)
        placed.setdefault(index, []).append({"url": url, "name": name})
    return placed if turn_starts else {}


def _turn_entry(turn: list[Cue]) -> dict[str, object]:
    return {"speaker": turn[0].speaker, "seconds": ms(turn[0].start) // 1000,
            "text": " ".join(cue.text for cue in turn)}


def passages(t: Transcript, *, seconds: float = 30.0, chars: int = 600) -> list[list[Cue]]:
    """Spoken cues grouped into passages of up to ``seconds`` (and ``chars``) within one speaker
    turn: the unit of search hits and of the interactive transcript on episode pages."""
    out: list[list[Cue]] = []
    for cue in _spoken(t):
        group = out[-1] if out else None
        if group is None or cue.speaker != group[0].speaker \
                or cue.end - group[0].start > seconds \
                or sum(len(c.text) + 1 for c in group) + len(cue.text) > chars:
            out.append([cue])
        else:
            group.append(cue)
    return out


def render_text(t: Transcript) -> bytes:
    """Plain text: a paragraph per speaker turn, ``Name: `` first when the speaker is known."""
    paragraphs = [(f"{turn[0].speaker}: " if turn[0].speaker else "")
                  + " ".join(cue.text for cue in turn) for turn in _turns(_spoken(t))]
    return ("\n\n".join(paragraphs) + "\n").encode("utf-8") if paragraphs else b""


def _turns(cues: list[Cue], breaks: Sequence[float] = ()) -> list[list[Cue]]:
    """Runs of cues by one speaker; a new run also starts at each time in ``breaks``."""
    runs = groupby(cues, key=lambda cue: (cue.speaker, bisect_right(breaks, cue.start)))
    return [list(run) for _, run in runs]


def _spoken(t: Transcript) -> list[Cue]:
    """The cues that have text, text and speaker on one line with single spaces."""
    return [replace(cue, text=_squash(cue.text), speaker=_squash(cue.speaker or "") or None)
            for cue in t.cues if cue.text.strip()]


def _caption_cues(t: Transcript) -> list[Cue]:
    """The spoken cues, those too long to show at once split by :func:`cues_from_words`."""
    limits, out = _Limits(), []
    for cue in _spoken(t):
        if limits.fits(cue.text, cue.end - cue.start):
            out.append(cue)
        else:
            words = align_words(cue.text, cue.start, max(cue.start, cue.end), cue.words)
            turns = [(cue.start, cue.speaker)] if cue.speaker else []
            out += cues_from_words(words, speakers=turns)
    return out


def _timed(cues: Sequence[Cue]) -> list[_Timed]:
    """Cues in whole milliseconds as strict players need them: each starts after the one
    before ends and lasts at least a millisecond. A cue ends by the next one's start; one
    without length is shown until then (up to :data:`FILL_MS`)."""
    starts = [ms(cue.start) for cue in cues]
    out: list[_Timed] = []
    floor = 0
    for index, cue in enumerate(cues):
        start = max(starts[index], floor)
        following = starts[index + 1] if index + 1 < len(starts) else None
        room = following is None or following > start
        end = ms(cue.end)
        if end <= start:
            end = start + (FILL_MS if room else 1)
        if following is not None and room:
            end = min(end, following)
        floor = max(end, start + 1)
        out.append(_Timed(start, floor, cue))
    return out


def _squash(text: str) -> str:
    return " ".join(text.split())


def _wrap(text: str, width: int = 42, *, stretch: bool = False) -> list[str]:
    """Caption lines: one if it fits, else two of balanced length if they fit (or, to
    ``stretch``, even if not), else as many as needed."""
    spaces = [i for i, char in enumerate(text) if char == " "]
    if len(text) <= width or not spaces:
        return [text]
    best = min(spaces, key=lambda i: max(i, len(text) - i - 1))
    if stretch or max(best, len(text) - best - 1) <= width:
        return [text[:best], text[best + 1:]]
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


@dataclass(frozen=True)
class TranscriptFormat:
    """How a derived transcript file is rendered and published (``podcast:transcript``)."""

    mime: str
    captions: bool  # timed captions: rel="captions" in the feed
    renderer: Callable[..., bytes]
    page: bool = False  # a page: the renderer also takes title= and chapters=

    def render(self, transcript: Transcript, *, title: str = "",
               chapters: Sequence[tuple[float, str]] = (),
               links: Sequence[tuple[float, str, str]] = ()) -> bytes:
        """The file's bytes; only page formats use ``title``, ``chapters`` and ``links``."""
        if self.page:
            return self.renderer(transcript, title=title, chapters=chapters, links=links)
        return self.renderer(transcript)


TRANSCRIPT_FORMATS: dict[str, TranscriptFormat] = {
    ".vtt": TranscriptFormat("text/vtt", True, render_vtt),
    ".srt": TranscriptFormat("application/x-subrip", True, render_srt),
    ".json": TranscriptFormat("application/json", False, render_json),
    ".html": TranscriptFormat("text/html", False, render_html, page=True),
    ".txt": TranscriptFormat("text/plain", False, render_text),
}
