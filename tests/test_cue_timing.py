"""No published transcript has a cue without length, overlapping cues or times out of order,
whatever Whisper returns: properties over generated word timings and hand edits, and real
speech (espeak-ng voices, speeds, pauses, noise beds, piece cuts) transcribed by tiny.en."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cli, need
from tests.strict import check_published, check_rendered
from warcast.state import copy_source
from warcast.transcript.model import (
    Cue,
    Transcript,
    Word,
    cues_from_words,
    read_source,
    write_source,
)
from warcast.transcript.whisper import WhisperOptions, transcribe_words

TOKENS = ["the", "Houthis", "said,", "no.", "Yes!", "Essequibo", "3.5", "—", "'m", "",
          "  ", "a-very-long-hyphenated-compound-word-that-fills-a-line-alone", "ok;"]
# Times on a coarse grid, so that words touch, repeat and run backwards, as Whisper's do.
TIMES = st.integers(min_value=-2, max_value=400).map(lambda t: t / 20)
LENGTHS = st.sampled_from([0.0, 0.0, 0.0004, 0.001, 0.02, 0.3, 0.9, 4.0, -0.5])


@st.composite
def whisper_words(draw: st.DrawFn) -> list[Word]:
    words = []
    for _ in range(draw(st.integers(0, 60))):
        start = draw(TIMES)
        words.append(Word(start, start + draw(LENGTHS), draw(st.sampled_from(TOKENS))))
    if draw(st.booleans()):
        words.sort(key=lambda w: w.start)   # mostly in order, as Whisper's usually are
    return words


@st.composite
def turns(draw: st.DrawFn) -> list[tuple[float, str]]:
    return [(draw(TIMES), draw(st.sampled_from(["Ann", "Ben", "Cy"])))
            for _ in range(draw(st.integers(0, 4)))]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(whisper_words(), turns())
def test_cues_from_any_words_publish_strictly(words: list[Word],
                                              speakers: list[tuple[float, str]]) -> None:
    transcript = Transcript(cues_from_words(words, speakers=speakers))
    check_rendered(transcript, "generated")
    # The source file the producer edits reads back to the same cue times.
    back = read_source(write_source(transcript), path=Path("transcript.vtt"))
    assert len(back.cues) == len(transcript.cues)


@st.composite
def hand_edited(draw: st.DrawFn) -> Transcript:
    """Cues that warcast's reader accepts from a person: in order, not overlapping, but
    maybe without length, several at one moment, and too long to show at once."""
    cues, at = [], draw(st.integers(0, 5)) / 10
    for _ in range(draw(st.integers(1, 25))):
        length = draw(st.sampled_from([0.0, 0.0, 0.001, 0.5, 3.0, 30.0]))
        words = draw(st.integers(1, 40))
        text = " ".join(draw(st.sampled_from([t for t in TOKENS if t.strip()]))
                        for _ in range(words))
        cues.append(Cue(at, at + length, text, draw(st.sampled_from([None, "Ann", "Ben"]))))
        at += length + draw(st.sampled_from([0.0, 0.0, 0.0004, 0.2, 2.0]))
    return Transcript(tuple(cues))


@settings(max_examples=300, deadline=None)
@given(hand_edited())
def test_hand_edited_cues_publish_strictly(transcript: Transcript) -> None:
    source = read_source(write_source(transcript), path=Path("transcript.vtt"))
    check_rendered(source, "hand-edited")


SENTENCES = [
    "Yes.", "No.", "Right.", "Okay, so.", "Mm-hmm.", "Exactly, exactly.",
    "The ministry said on Tuesday that twenty-three vessels had been diverted.",
    "In 1997, 2003 and again in 2014 the talks collapsed within hours.",
    "Well, I think, I mean, look, it's complicated.",
    "Kyiv, Kharkiv, Odesa and Zaporizhzhia were all hit overnight.",
    "Three point five billion dollars, give or take.",
    "Thank you. Thank you so much for having me.",
    "So the question is: who pays, who decides, and who is left out?",
    "A, B, C. One, two, three.",
    "It was, uh, it was not what anybody expected at the time, frankly.",
    "The Strait of Hormuz carries about a fifth of the world's oil.",
]
# (voice, words per minute, sentences, longest pause in seconds, bed under the speech)
EPISODES = [
    ("en-us", 165, 9, 0.6, None),
    ("en-gb", 280, 14, 0.2, None),
    ("en-us+f3", 120, 7, 4.0, None),
    ("en-gb-scotland", 200, 10, 2.5, "pinknoise"),
    ("en+m3", 330, 26, 0.1, None),
    ("en-029", 110, 8, 1.0, None),
    ("en-us+f5", 230, 30, 1.0, "sine"),
    ("en-gb-x-rp", 150, 6, 6.0, None),
    ("en-us+m2", 260, 34, 0.5, "brownnoise"),
    ("en-gb+f2", 190, 12, 0.05, None),
]


def episode_audio(folder: Path, index: int) -> Path:
    """One varied episode: a voice and speed, sentences joined by random pauses, and maybe a
    music or noise bed at podcast levels (about 25 dB under the speech)."""
    voice, speed, count, longest, bed = EPISODES[index]
    rng = random.Random(index)
    parts = []
    for k in range(count):
        wav = folder / f"e{index}-{k}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav),
                        rng.choice(SENTENCES)], check=True)
        gap = folder / f"e{index}-{k}-gap.wav"
        subprocess.run(["sox", "-n", "-r", "22050", "-c", "1", str(gap), "trim", "0",
                        f"{rng.uniform(0.0, longest):.3f}"], check=True)
        parts += [str(wav), str(gap)]
    speech = folder / f"e{index}.wav"
    subprocess.run(["sox", *parts, str(speech)], check=True)
    target = folder / f"e{index}.mp3"
    if bed:
        noise = folder / f"e{index}-bed.wav"
        length = subprocess.run(["soxi", "-D", str(speech)], check=True, capture_output=True,
                                text=True).stdout.strip()
        synth = ["synth", length, bed, *(["220"] if bed == "sine" else [])]
        subprocess.run(["sox", "-n", "-r", "22050", "-c", "1", str(noise), *synth,
                        "vol", "0.05"], check=True)
        mixed = folder / f"e{index}-mixed.wav"
        subprocess.run(["sox", "-m", str(speech), str(noise), str(mixed)], check=True)
        speech = mixed
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(speech), "-codec:a", "libmp3lame",
                    "-b:a", "48k", str(target)], check=True)
    return target


@pytest.fixture(scope="module")
def varied_audio(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    need("espeak-ng", "sox", "soxi", "ffmpeg")
    folder = tmp_path_factory.mktemp("varied")
    return [episode_audio(folder, index) for index in range(len(EPISODES))]


@pytest.mark.system
def test_a_show_of_ten_varied_episodes_publishes_strict_transcripts(
        varied_audio: list[Path], tmp_path: Path) -> None:
    show = copy_source(Path(__file__).parent.parent / "episodes", tmp_path / "show",
                       leave_out=("0001-*", "0002-*", "articles.jsonl", "script.txt"))
    toml = (show / "show.toml").read_text(encoding="utf-8")
    (show / "show.toml").write_text(toml.replace("[transcribe]", "[transcribe]\npiece_minutes = 1"),
                                    encoding="utf-8")
    cli = Cli(show)
    for index, audio in enumerate(varied_audio):
        result = cli("new", str(audio), "--title", f"Varied {index + 1}",
                     "--published", f"2026-11-{index + 1:02d}T09:00:00-05:00")
        assert result.exit_code == 0, result.output
    result = cli("transcribe", "--quiet")
    assert result.exit_code == 0, result.output
    out = tmp_path / "public"
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 0, result.output
    folders = sorted(p for p in (out / "episodes").iterdir() if p.is_dir())
    assert len(folders) == len(EPISODES)
    checked = sum(check_published(folder) for folder in folders)
    assert checked == 3 * len(EPISODES)   # vtt, srt and json of every episode
    for source in sorted(show.glob("*/transcript.vtt")):
        read_source(source.read_bytes(), path=source)


@pytest.mark.system
@pytest.mark.parametrize("batch_size", [16, 0])
def test_words_cut_into_short_pieces_publish_strictly(varied_audio: list[Path],
                                                      batch_size: int) -> None:
    """Pieces of 9 s cut every episode many times, mid-sentence where it has no pause."""
    options = WhisperOptions(piece_seconds=9.0, batch_size=batch_size)
    for audio in varied_audio[::3]:
        words, _ = transcribe_words(audio, options)
        check_rendered(Transcript(cues_from_words(words)), f"{audio.name} b{batch_size}")
