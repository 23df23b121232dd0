"""Transcripts: caption segmentation, the hand-edited WebVTT source, word timings, and the
derived formats, each checked with a real parser (webvtt-py, srt, json, html.parser)."""

from __future__ import annotations

import html
import io
import json
import random
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import pytest
import srt
import webvtt

from warcast.errors import TranscriptError
from warcast.transcript.model import (
    TRANSCRIPT_FORMATS,
    Cue,
    Transcript,
    Word,
    align_words,
    cues_from_words,
    read_source,
    read_words_sidecar,
    render_html,
    render_json,
    render_srt,
    render_text,
    render_vtt,
    words_sidecar,
    write_source,
)

DATA = Path(__file__).parent / "data" / "transcripts"
SOURCE = Path("episodes/0001-x/transcript.vtt")
VOCAB = ("the", "podcast", "about", "shipping", "lanes,", "really.", "Why?", "well;", "so",
         "international", "law:", "we", "talk", "and", "then", "it!", "a", "extraordinarily")


def synthetic_words(rng: random.Random, count: int) -> list[Word]:
    """Words of random length, duration and pause, as a speech recogniser gives them."""
    words, at = [], rng.uniform(0, 2)
    for _ in range(count):
        duration = rng.uniform(0.05, 0.9)
        words.append(Word(at, at + duration, rng.choice(VOCAB)))
        at += duration + rng.choice((0.0, 0.0, 0.05, 0.2, 1.0, 3.0))
    return words


def words_of(text: str, start: float = 0.0, step: float = 0.3) -> list[Word]:
    return [Word(start + n * step, start + n * step + step * 0.8, token)
            for n, token in enumerate(text.split())]


def fits_two_lines(text: str, width: int = 42) -> bool:
    if len(text) <= width:
        return True
    return any(c == " " and i <= width and len(text) - i - 1 <= width for i, c in enumerate(text))


def speaker_at(turns: list[tuple[float, str]], time: float) -> str:
    return [name for start, name in turns if start <= time][-1] if time >= turns[0][0] else (
        turns[0][1])


def ms(seconds: float) -> int:
    return int(seconds * 1000 + 0.5)


def vtt_time(seconds: float) -> str:
    minutes, millis = divmod(ms(seconds), 60_000)
    return f"00:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


def vtt_parse(data: bytes) -> webvtt.WebVTT:
    return webvtt.from_buffer(io.StringIO(data.decode("utf-8")), strict=True)


def sample() -> Transcript:
    words = words_of("Hello and welcome to the show. Today we talk about shipping lanes, "
                     "canals and the law of the sea. It is a long story.")
    cues = cues_from_words(words, speakers=[(0.0, "Anna"), (6.0, "Ben & <Co>")])
    extra = Cue(20.0, 22.5, "Is <script>alert(1)</script> safe? a --> b & c", "Anna")
    return Transcript((*cues, extra), language="en")


# --- cues_from_words ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_segmentation_keeps_caption_limits(seed: int) -> None:
    rng = random.Random(seed)
    words = synthetic_words(rng, rng.randint(1, 400))
    end = words[-1].end
    turns = sorted((rng.uniform(0, end), name) for name in rng.sample("ABCDEF", 3))
    cues = cues_from_words(words, speakers=turns)
    assert " ".join(c.text for c in cues) == " ".join(w.text for w in words)
    for cue in cues:
        assert fits_two_lines(cue.text) or " " not in cue.text
        assert len(cue.text) <= 84 or " " not in cue.text
        assert cue.end - cue.start <= 7.0 + 1e-9 or len(cue.words) == 1
        assert cue.start <= cue.end
        assert {speaker_at(turns, (w.start + w.end) / 2) for w in cue.words} == {cue.speaker}
        assert all(cue.start <= w.start <= w.end <= cue.end for w in cue.words)
    for before, after in pairwise(cues):
        assert before.end <= after.start
    for caption in vtt_parse(render_vtt(Transcript(cues))).captions:
        assert len(caption.lines) <= 2
        assert all(len(line) <= 42 for line in caption.text.splitlines()) or (
            " " not in caption.text)


def test_segmentation_prefers_sentence_ends_then_commas_then_pauses() -> None:
    sentence = words_of("One two three four five six seven. Eight nine ten eleven twelve "
                        "thirteen fourteen fifteen sixteen seventeen")
    assert cues_from_words(sentence)[0].text == "One two three four five six seven."
    comma = words_of("One two three four, five six seven eight nine ten eleven twelve "
                     "thirteen fourteen fifteen sixteen")
    assert cues_from_words(comma)[0].text == "One two three four,"
    paused = [*words_of("alpha beta gamma"), *words_of("delta epsilon zeta eta theta iota "
                                                       "kappa lambda mu nu xi omicron pi rho", 2.0)]
    assert cues_from_words(paused)[0].text == "alpha beta gamma"


def test_segmentation_splits_at_duration_and_speaker_change() -> None:
    slow = words_of("one two three four five six", step=2.0)
    assert [c.text for c in cues_from_words(slow)] == ["one two three", "four five six"]
    cues = cues_from_words(words_of("hi there hello you"), speakers=[(0, "A"), (0.55, "B")])
    assert [(c.speaker, c.text) for c in cues] == [("A", "hi there"), ("B", "hello you")]


def test_a_word_longer_than_the_limits_is_its_own_cue() -> None:
    long_word = "x" * 100
    words = [Word(0, 0.5, "a"), Word(0.5, 9.0, long_word), Word(9.0, 9.2, "b")]
    assert [c.text for c in cues_from_words(words)] == ["a", long_word, "b"]


def test_segmentation_of_nothing_and_of_overlapping_words() -> None:
    assert cues_from_words([]) == ()
    assert cues_from_words([Word(0, 1, "  ")]) == ()
    words = [Word(0, 2, "a."), Word(1, 1.5, "b"), Word(0.5, 3, "c")]
    cues = cues_from_words(words, max_chars=3, line_chars=3)
    assert all(b.end <= a.start for b, a in pairwise(cues))


# --- the source file ----------------------------------------------------------------------


def test_source_round_trip() -> None:
    transcript = sample()
    data = write_source(transcript, header_note="Transcribed by Whisper (small).")
    back = read_source(data, path=SOURCE)
    assert back.language == "en"
    assert [(ms(c.start), ms(c.end), c.text, c.speaker) for c in back.cues] == [
        (ms(c.start), ms(c.end), c.text, c.speaker) for c in transcript.cues]
    assert data == write_source(transcript, header_note="Transcribed by Whisper (small).")
    assert data.startswith(b"WEBVTT\nLanguage: en\n\nNOTE\n") and data.endswith(b"\n")
    assert b"\r" not in data and b"Transcribed by Whisper" in data


def test_source_notes_on_how_to_edit() -> None:
    default = write_source(sample()).decode()
    assert "NOTE\n" in default and "<v Name>" in default and "-->" not in default.split("\n\n")[1]
    assert "NOTE" not in write_source(sample(), header_note="").decode()
    custom = write_source(sample(), header_note="Fix words freely.").decode()
    assert custom.split("\n\n")[1] == "NOTE\nFix words freely."


def test_source_parses_strictly_with_webvtt_py() -> None:
    transcript = sample()
    parsed = vtt_parse(write_source(transcript, header_note="two\n\nparagraphs --> here"))
    assert parsed.metadata == ["Language: en"]
    voices = [html.unescape(c.voice or "") or None for c in parsed.captions]
    assert voices == [c.speaker for c in transcript.cues]
    assert [" ".join(c.text.split()) for c in parsed.captions][-1] == (
        "Is &lt;script&gt;alert(1)&lt;/script&gt; safe? a --&gt; b &amp; c")
    for caption, cue in zip(parsed.captions, transcript.cues, strict=True):
        assert caption.start_in_seconds == int(cue.start)
        assert all(len(line) <= 42 for line in caption.lines[1:])


def test_source_keeps_language_and_long_hand_edited_cues() -> None:
    long_text = " ".join(["word"] * 60)
    transcript = Transcript((Cue(0, 30, long_text),), language="de")
    data = write_source(transcript)
    assert read_source(data, path=SOURCE) == Transcript((Cue(0, 30, long_text),), "de")
    text_lines = data.decode().split(" --> 00:00:30.000\n")[1].splitlines()
    assert len(text_lines) == 8 and max(map(len, text_lines)) <= 42


def test_empty_transcript_source() -> None:
    data = write_source(Transcript(()))
    assert read_source(data, path=SOURCE) == Transcript(())
    assert read_source(b"WEBVTT", path=SOURCE).is_empty
    assert read_source(b"WEBVTT\n\nNOTE nobody speaks\n", path=SOURCE).cues == ()
    assert vtt_parse(data).captions == []


def test_what_editors_write_is_accepted() -> None:
    transcript = read_source((DATA / "editor.vtt").read_bytes(), path=DATA / "editor.vtt")
    assert transcript.language == "de"
    assert [(c.start, c.end, c.speaker, c.text) for c in transcript.cues] == [
        (1.0, 4.25, "Anna Müller", "Willkommen bei Warcast, & hallo!"),
        (4.25, 8.0, "Ben", "Danke, schön hier zu sein <3"),
        (9.0, 10.5, None, "Musik"),
    ]


def test_crlf_bom_and_cue_text_after_the_header() -> None:
    text = "WEBVTT\r\n00:00:00.000 --> 00:00:01.000\r\n<v Ann>Hi\r\n\r\n"
    data = "\ufeff".encode() + text.encode()
    assert read_source(data, path=SOURCE).cues == (Cue(0.0, 1.0, "Hi", "Ann"),)
    cr = b"WEBVTT\r\r00:01.000 --> 00:02.000\rHi\r"
    assert read_source(cr, path=SOURCE).cues == (Cue(1.0, 2.0, "Hi"),)


def test_emptied_cues_are_dropped() -> None:
    data = b"WEBVTT\n\n00:00.000 --> 00:01.000\n<v Ann>\n\n00:01.000 --> 00:02.000\nyes\n"
    assert read_source(data, path=SOURCE).cues == (Cue(1.0, 2.0, "yes"),)


BAD_SOURCES = [
    (b"00:00.000 --> 00:01.000\nhi\n", 1, "WEBVTT signature is missing"),
    (b"WEBVT\n", 1, "WEBVTT signature is missing"),
    (b"WEBVTTX\n", 1, "WEBVTT signature is missing"),
    (b"\n\n", None, "transcript is empty"),
    (b"", None, "transcript is empty"),
    (b"WEBVTT\n\n00:00:01.000 --> 00:01:7.5\nhi\n", 3, "malformed timestamp '00:01:7.5'"),
    (b"WEBVTT\n\n1\n00:00:01,000 --> 00:00:02,000\nhi\n", 4, "malformed timestamp"),
    (b"WEBVTT\n\n00:00:61.000 --> 00:01:02.000\nhi\n", 3, "malformed timestamp"),
    (b"WEBVTT\n\n00:00:05.000 --> 00:00:04.000\nhi\n", 3, "ends (00:00:04.000) before it"),
    (b"WEBVTT\n\n00:00:05.000 --> 00:00:06.000\na\n\n00:00:04.000 --> 00:00:04.500\nb\n", 6,
     "before the cue on line 3 starts"),
    (b"WEBVTT\n\n00:00:05.000 --> 00:00:06.000\na\n\n00:00:05.500 --> 00:00:07.000\nb\n", 6,
     "before the cue on line 3 ends (00:00:06.000); captions must not overlap"),
    (b"WEBVTT\n\n00:00:05.000 --> 00:00:06.000\na\n\nsecond paragraph\n", 6,
     "text outside a cue"),
    (b"WEBVTT\n\n00:00:05.000 --> 00:00:06.000\n\xff\xfe\n", 4, "not UTF-8"),
]


@pytest.mark.parametrize(("data", "line", "message"), BAD_SOURCES)
def test_bad_sources_name_file_and_line(data: bytes, line: int | None, message: str) -> None:
    with pytest.raises(TranscriptError) as caught:
        read_source(data, path=SOURCE)
    text = str(caught.value)
    where = f"{SOURCE}: line {line}: " if line else f"{SOURCE}: "
    assert text.startswith(where) and message in text
    assert caught.value.hint and "\n" not in text


# --- word timings through hand edits ------------------------------------------------------


def edited(transcript: Transcript, old: str, new: str) -> Transcript:
    """Write the source, edit it as a producer would, and read it back with the sidecar."""
    sidecar = read_words_sidecar(words_sidecar(transcript), path=Path("words.json"))
    data = write_source(transcript).decode()
    assert old in data
    return read_source(data.replace(old, new).encode(), path=SOURCE, words=sidecar)


def two_cues() -> Transcript:
    words = words_of("The quick brown fox jumps. Over the lazy dog again.")
    return Transcript(cues_from_words(words, max_chars=30, speakers=[(0, "Ann")]))


def test_unedited_source_keeps_every_word_timing() -> None:
    transcript = two_cues()
    back = edited(transcript, "WEBVTT", "WEBVTT")
    assert [[(ms(w.start), ms(w.end), w.text) for w in c.words] for c in back.cues] == [
        [(ms(w.start), ms(w.end), w.text) for w in c.words] for c in transcript.cues]


def test_changed_word_keeps_its_neighbours_timings() -> None:
    transcript = two_cues()
    old = transcript.cues[0].words
    words = edited(transcript, "quick brown", "quick red").cues[0].words
    assert [w.text for w in words] == ["The", "quick", "red", "fox", "jumps."]
    for kept in (0, 1, 3, 4):
        assert (ms(words[kept].start), ms(words[kept].end)) == (ms(old[kept].start),
                                                                ms(old[kept].end))
    assert words[1].end <= words[2].start <= words[2].end <= words[3].start


def test_merged_cues_keep_word_timings() -> None:
    transcript = two_cues()
    first, second = transcript.cues
    merged = (f"WEBVTT\n\n{vtt_time(first.start)} --> {vtt_time(second.end)}\n"
              f"<v Ann>{first.text}\n{second.text}\n")
    sidecar = read_words_sidecar(words_sidecar(transcript), path=Path("words.json"))
    back = read_source(merged.encode(), path=SOURCE, words=sidecar)
    assert len(back.cues) == 1 and back.cues[0].text == f"{first.text} {second.text}"
    assert [(ms(w.start), w.text) for w in back.cues[0].words] == [
        (ms(w.start), w.text) for w in (*first.words, *second.words)]


def test_changed_speaker_and_moved_times() -> None:
    transcript = two_cues()
    back = edited(transcript, "<v Ann>The", "<v Anna>The")
    assert [c.speaker for c in back.cues] == ["Anna", "Ann"]
    timing = write_source(transcript).decode().splitlines()[-2]
    moved = edited(transcript, timing, "00:01:00.000 --> 00:01:03.000").cues[1]
    assert [w.text for w in moved.words] == moved.text.split()
    assert all(60.0 <= w.start <= w.end <= 63.0 for w in moved.words)
    assert moved.words[0].start < moved.words[-1].start


def test_align_words_keeps_matches_and_spreads_the_rest() -> None:
    old = [Word(1.0, 1.4, "Hello,"), Word(1.5, 1.9, "big"), Word(2.0, 2.5, "world.")]
    assert align_words("hello big WORLD", 1.0, 3.0, old) == (
        Word(1.0, 1.4, "hello"), Word(1.5, 1.9, "big"), Word(2.0, 2.5, "WORLD"))
    inserted = align_words("Hello, very big world.", 1.0, 3.0, old)
    assert inserted[1] == Word(1.4, 1.5, "very")
    fresh = align_words("ab abcd", 10.0, 13.0, ())
    assert fresh == (Word(10.0, 11.0, "ab"), Word(11.0, 13.0, "abcd"))
    assert align_words("", 0, 1, old) == ()
    clamped = align_words("Hello, big world.", 1.2, 2.2, old)
    assert all(1.2 <= w.start <= w.end <= 2.2 for w in clamped)


def test_align_words_is_monotonic_for_disordered_old_words() -> None:
    rng = random.Random(7)
    for _ in range(200):
        old = [Word(a, a + rng.uniform(0, 1), rng.choice(VOCAB))
               for a in (rng.uniform(0, 10) for _ in range(rng.randint(0, 12)))]
        text = " ".join(rng.choice(VOCAB) for _ in range(rng.randint(1, 12)))
        words = align_words(text, 2.0, 8.0, old)
        assert [w.text for w in words] == text.split()
        assert all(2.0 <= w.start <= w.end <= 8.0 for w in words)
        assert all(a.end <= b.start for a, b in pairwise(words))


def test_sidecar_is_deterministic_json() -> None:
    transcript = two_cues()
    data = words_sidecar(transcript)
    assert data == words_sidecar(transcript)
    rows = json.loads(data)
    assert len(rows) == 2 and rows[0][0] == [0.0, 0.24, "The"]
    assert words_sidecar(Transcript(())) == b"[]\n"


@pytest.mark.parametrize("data", [b"{", b"{}", b"[1]", b"[[[1, 0, \"a\"]]]", b"[[[0, 1]]]",
                                  b"[[[true, 1, \"a\"]]]", b"[[[0, 1, \" \"]]]", b"\xff"])
def test_bad_sidecar_raises(data: bytes) -> None:
    with pytest.raises(TranscriptError, match=r"words\.json: "):
        read_words_sidecar(data, path=Path("words.json"))


# --- derived formats ----------------------------------------------------------------------


def long_cue() -> Transcript:
    text = ("This cue was typed by hand and runs far past what a caption can hold on screen, "
            "so publishing must split it. Into pieces, each of them short enough to read.")
    return Transcript((Cue(0.0, 2.0, "Short one.", "Ann"), Cue(2.0, 30.0, text, "Ben"),
                       Cue(30.0, 31.0, "Back to me.", "Ann")))


def test_render_vtt_splits_long_cues_within_their_time() -> None:
    parsed = vtt_parse(render_vtt(long_cue()))
    assert len(parsed.captions) > 3
    for caption in parsed.captions:
        assert len(caption.lines) <= 2 and all(len(line) <= 42 for line in caption.text.split("\n"))
        assert caption.end_in_seconds - caption.start_in_seconds <= 7
    ben = [c for c in parsed.captions if c.voice == "Ben"]
    assert " ".join(c.text.replace("\n", " ") for c in ben) == long_cue().cues[1].text
    assert ben[0].start_in_seconds >= 2 and ben[-1].end_in_seconds <= 30


def test_render_srt_parses_strictly_and_labels_turns() -> None:
    data = render_srt(long_cue()).decode()
    subtitles = list(srt.parse(data))
    assert srt.compose(subtitles) == data
    labelled = [s.content.split(":")[0] for s in subtitles if s.content[:4] in ("Ann:", "Ben:")]
    assert labelled == ["Ann", "Ben", "Ann"]
    assert all(len(s.content.splitlines()) <= 2 for s in subtitles)
    assert all(a.end <= b.start for a, b in pairwise(subtitles))


def test_render_json_is_podcasting_2_0() -> None:
    document = json.loads(render_json(sample()))
    assert document["version"] == "1.0.0"
    for segment in document["segments"]:
        assert set(segment) <= {"speaker", "startTime", "endTime", "body"}
        assert isinstance(segment["startTime"], float) and isinstance(segment["endTime"], float)
        assert isinstance(segment["body"], str) and segment["body"]
    unknown = json.loads(render_json(Transcript((Cue(0, 1, "hi"),))))["segments"]
    assert unknown == [{"startTime": 0.0, "endTime": 1.0, "body": "hi"}]


class Collector(HTMLParser):
    """Tags, attributes and text of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_render_html_is_a_safe_page_with_chapters() -> None:
    page = Collector()
    page.feed(render_html(sample(), title="Episode <1>", chapters=[(8.0, "Law"), (0, "Intro")])
              .decode())
    page.close()
    names = [tag for tag, _ in page.tags]
    assert "script" not in names and "link" not in names and "img" not in names
    assert ("html", {"lang": "en"}) in page.tags and ("meta", {"charset": "utf-8"}) in page.tags
    assert names.count("section") == 2 and names.count("h2") == 2
    text = "".join(page.text)
    assert "Episode <1>" in text and "Is <script>alert(1)</script> safe?" in text
    assert text.index("Intro") < text.index("Law")
    times = [attrs["datetime"] for tag, attrs in page.tags if tag == "time"]
    assert times[0] == "PT0S" and all(t.startswith("PT") and t.endswith("S") for t in times)
    assert "Ben & <Co>" in text and names.count("cite") == len(times)


def test_render_text_paragraph_per_turn() -> None:
    text = render_text(long_cue()).decode()
    paragraphs = text.rstrip("\n").split("\n\n")
    assert [p.split(":")[0] for p in paragraphs] == ["Ann", "Ben", "Ann"]
    assert render_text(Transcript((Cue(0, 1, "hi"), Cue(1, 2, "there")))) == b"hi there\n"


def test_rounding_never_makes_cues_overlap_or_empty() -> None:
    transcript = Transcript((Cue(0.0, 1.0005, "a"), Cue(1.0004, 2.0, "b"), Cue(2.0, 2.0, "c")))
    for subtitle in srt.parse(render_srt(transcript).decode()):
        assert subtitle.start < subtitle.end
    captions = vtt_parse(render_vtt(transcript)).captions
    # The cue without length (a hand edit can make one) is shown until FILL_MS later.
    assert [(c.start, c.end) for c in captions] == [
        ("00:00:00.000", "00:00:01.000"), ("00:00:01.000", "00:00:02.000"),
        ("00:00:02.000", "00:00:03.000")]
    back = read_source(write_source(transcript), path=SOURCE)
    assert [c.end for c in back.cues] == [1.0, 2.0, 3.0]


def test_cues_at_one_moment_are_spread_a_millisecond_apart() -> None:
    transcript = Transcript((Cue(5.0, 5.0, "a"), Cue(5.0, 5.0, "b"), Cue(5.0, 5.0, "c"),
                             Cue(9.0, 9.5, "d")))
    times = [(item["startTime"], item["endTime"])
             for item in json.loads(render_json(transcript))["segments"]]
    assert times == [(5.0, 5.001), (5.001, 5.002), (5.002, 6.002), (9.0, 9.5)]


@pytest.mark.parametrize("suffix", sorted(TRANSCRIPT_FORMATS))
def test_every_format_is_deterministic_and_empty_safe(suffix: str) -> None:
    form = TRANSCRIPT_FORMATS[suffix]
    chapters = [(0.0, "Intro")]
    rendered = form.render(sample(), title="T", chapters=chapters)
    assert rendered == form.render(sample(), title="T", chapters=chapters)
    assert (b"<h2>Intro</h2>" in rendered) == form.page
    empty = form.render(Transcript(()), title="T", chapters=chapters)
    if suffix == ".vtt":
        assert vtt_parse(empty).captions == []
    elif suffix == ".srt":
        assert list(srt.parse(empty.decode())) == []
    elif suffix == ".json":
        assert json.loads(empty) == {"version": "1.0.0", "segments": []}
    elif suffix == ".html":
        Collector().feed(empty.decode())
    else:
        assert empty == b""


def test_formats_table() -> None:
    assert {s: (f.mime, f.captions) for s, f in TRANSCRIPT_FORMATS.items()} == {
        ".vtt": ("text/vtt", True), ".srt": ("application/x-subrip", True),
        ".json": ("application/json", False), ".html": ("text/html", False),
        ".txt": ("text/plain", False)}


def test_transcript_helpers() -> None:
    transcript = Transcript((Cue(0, 1, " Hello\n world "), Cue(1, 2, "  ")))
    assert transcript.plain_text() == "Hello world"
    assert not transcript.is_empty and Transcript((Cue(0, 1, " "),)).is_empty
