"""Transcription with the real embedded tiny.en model on real (synthesized) speech."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import srt
import webvtt

from tests.conftest import Cli, make_speech, need
from warcast.transcript.whisper import (
    WhisperOptions,
    decoding,
    load_model,
    pcm_pieces,
    prompt,
    repaired,
    speech_clips,
)

EP1 = "0001-venezuela-guyana-essequibo-claim"
FORMATS = {".vtt": "text/vtt", ".srt": "application/x-subrip", ".json": "application/json",
           ".html": "text/html", ".txt": "text/plain"}


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = words_of(reference), words_of(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1,
                                           previous + (word != other))
    return row[-1] / max(1, len(ref))


def script_text(folder: Path) -> str:
    return " ".join(line for line in (folder / "script.txt").read_text().splitlines()
                    if line.strip() and not re.match(r"^[A-Z]+:\s*$", line))


def clear_transcripts(show: Path) -> None:
    for path in show.glob("*/transcript.*"):
        path.unlink()


@pytest.fixture
def fresh(cli: Cli) -> Cli:
    """The sample show without its committed transcripts."""
    clear_transcripts(cli.show)
    return cli


def test_transcribes_sample_episode_with_names_spelled(fresh: Cli) -> None:
    result = fresh("transcribe", "1")
    assert result.exit_code == 0, result.output
    assert re.search(r"\d+ cues, 1:07 of audio in [\d.]+ s \(\d+x real time\)",
                     result.output)
    vtt = fresh.show / EP1 / "transcript.vtt"
    captions = webvtt.read(str(vtt))
    text = " ".join(caption.text for caption in captions)
    reference = script_text(Path(__file__).parent.parent / "episodes" / EP1)
    assert word_error_rate(reference, text) < 0.4
    for name in ("Essequibo", "Guyana", "Maduro", "Warcast", "Halvorsen"):
        assert name in text
    assert {c.voice for c in captions} == {"Nora Halvorsen", "Lucia Ferreyra"}
    starts = [c.start_in_seconds for c in captions]
    assert starts == sorted(starts)


def test_unchanged_episode_is_skipped(cli: Cli) -> None:
    files = sorted((cli.show / EP1).glob("transcript.*"))
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files}
    result = cli("transcribe")
    assert result.exit_code == 0
    assert f"{EP1}: up to date" in result.output
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files} == before


def test_hand_edit_survives_reruns_and_reaches_the_feed(cli: Cli, tmp_path: Path) -> None:
    vtt = cli.show / EP1 / "transcript.vtt"
    edited = vtt.read_text().replace("Welcome to Warcast", "Welcome, listeners, to Warcast", 1)
    assert edited != vtt.read_text()
    vtt.write_text(edited)
    show_toml = cli.show / "show.toml"
    show_toml.write_text(show_toml.read_text().replace('model = "tiny.en"',
                                                       'model = "tiny.en"\nbeam_size = 2'))
    result = cli("transcribe")
    assert f"{EP1}: kept (edited by hand)" in result.output
    assert vtt.read_text() == edited
    out = tmp_path / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    text = (out / "episodes" / "venezuela-guyana-essequibo-claim" / "transcript.txt").read_text()
    assert "Welcome, listeners, to Warcast" in text


def test_force_replaces_a_hand_edit(cli: Cli) -> None:
    vtt = cli.show / EP1 / "transcript.vtt"
    vtt.write_text(vtt.read_text().replace("Welcome to Warcast", "HAND EDIT", 1))
    result = cli("transcribe", EP1, "--force")
    assert result.exit_code == 0
    assert "HAND EDIT" not in vtt.read_text()
    assert "up to date" in cli("transcribe", EP1).output


@pytest.mark.parametrize("kind", ["silence", "music"])
def test_no_speech_gives_empty_transcript_and_warning(cli: Cli, tmp_path: Path,
                                                      kind: str) -> None:
    need("ffmpeg")
    source = {
        "silence": "anullsrc=r=22050:cl=mono:d=12",
        "music": "aevalsrc='0.3*sin(2*PI*(220+110*floor(mod(t,4)))*t)*(0.6+0.4*sin(4*PI*t))"
                 "+0.2*sin(2*PI*330*t)*exp(-5*mod(t,0.5))':s=22050:d=15",
    }[kind]
    audio = tmp_path / f"{kind}.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", source, "-ac", "1",
                    "-codec:a", "libmp3lame", "-b:a", "48k", str(audio)], check=True)
    assert cli("new", str(audio), "--title", kind.title()).exit_code == 0
    result = cli("transcribe", "3")
    assert result.exit_code == 0, result.output
    assert "no speech found" in result.stderr
    folder = next(cli.show.glob(f"0003-{kind}"))
    assert webvtt.read(str(folder / "transcript.vtt")).captions == []
    assert cli("publish", "--out", str(tmp_path / "public")).exit_code == 0


def test_every_published_format_parses_strictly(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    feed = (out / "feed.xml").read_text()
    folder = out / "episodes" / "venezuela-guyana-essequibo-claim"
    for suffix, mime in FORMATS.items():
        url = f"https://warcast.example.org/episodes/venezuela-guyana-essequibo-claim/transcript{suffix}"
        assert f'url="{url}" type="{mime}"' in feed
        assert (folder / f"transcript{suffix}").stat().st_size > 0
    captions = webvtt.read(str(folder / "transcript.vtt"))
    for caption in captions:
        assert caption.end_in_seconds - caption.start_in_seconds <= 7.0
        assert all(len(re.sub(r"<[^>]+>", "", line)) <= 42 for line in caption.lines)
        assert len(caption.lines) <= 2
    ends = [c.end_in_seconds for c in captions]
    assert all(a.start_in_seconds >= b for a, b in zip(captions[1:], ends, strict=False))
    subtitles = list(srt.parse((folder / "transcript.srt").read_text(), ignore_errors=False))
    assert len(subtitles) == len(captions)
    segments = json.loads((folder / "transcript.json").read_text())["segments"]
    assert segments and all({"startTime", "endTime", "body"} <= set(s) for s in segments)
    assert {s["speaker"] for s in segments} == {"Nora Halvorsen", "Lucia Ferreyra"}
    html = (folder / "transcript.html").read_text()
    assert "<cite>Lucia Ferreyra</cite>" in html and "<h2>What to watch</h2>" in html


def test_broken_hand_edit_is_reported_by_line(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    before = (out / "feed.xml").read_bytes()
    vtt = cli.show / EP1 / "transcript.vtt"
    lines = vtt.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if "-->" in line)
    lines[index] = "00:00:7.5 --> 00:00:03.000"
    vtt.write_text("\n".join(lines) + "\n")
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 1
    assert f"transcript.vtt: line {index + 1}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (out / "feed.xml").read_bytes() == before


@pytest.mark.parametrize("model", ["no-such-model", "EMPTY_FOLDER"])
def test_unusable_model_is_one_line(cli: Cli, tmp_path: Path, model: str) -> None:
    if model == "EMPTY_FOLDER":
        model = str(tmp_path)
    result = cli("transcribe", "1", "--model", model, "--force")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "model" in result.stderr


def test_interrupted_run_keeps_previous_transcript(cli: Cli, speech_dir: Path) -> None:
    episodes = Path(__file__).parent.parent / "episodes"
    # about six minutes of speech: far longer to transcribe than the 4 s before the kill
    long_text = " ".join(script_text(folder) for folder in sorted(episodes.glob("0*")) * 3)
    audio = make_speech(speech_dir, "longer.mp3", long_text, ("-codec:a", "libmp3lame"))
    folder = cli.show / EP1
    (folder / "audio.mp3").write_bytes(audio.read_bytes())  # new audio: transcript outdated
    before = {p.name: p.read_bytes() for p in folder.glob("transcript.*")}
    env = {**os.environ, "WARCAST_SHOW": str(cli.show)}
    process = subprocess.Popen([sys.executable, "-m", "warcast", "transcribe", "1"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(4)
    assert process.poll() is None, "transcription finished before it could be interrupted"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert {p.name: p.read_bytes() for p in folder.glob("transcript.*")} == before
    assert not list(folder.glob(".*tmp"))
    result = cli("transcribe", "1")
    assert result.exit_code == 0
    assert "Essequibo" in (folder / "transcript.vtt").read_text()


@pytest.mark.parametrize(("suffix", "codec"), [
    (".wav", ("-c:a", "pcm_s16le")),
    (".flac", ("-c:a", "flac")),
    (".ogg", ("-c:a", "libvorbis")),
    (".opus", ("-c:a", "libopus", "-b:a", "32k")),
    (".aac", ("-c:a", "aac", "-b:a", "48k")),
    (".m4a", ("-c:a", "aac", "-b:a", "48k")),
])
def test_every_input_format_is_published_and_transcribed(cli: Cli, speech_dir: Path,
                                                         tmp_path: Path, suffix: str,
                                                         codec: tuple[str, ...]) -> None:
    audio = make_speech(speech_dir, f"formats{suffix}",
                        "Sanctions on Venezuela are back on the agenda in Guyana, and the "
                        "Red Sea is quiet again.", codec)
    assert cli("new", str(audio), "--title", f"Format {suffix}").exit_code == 0
    result = cli("transcribe", "3")
    assert result.exit_code == 0, result.output
    folder = next(cli.show.glob("0003-*"))
    text = (folder / "transcript.vtt").read_text()
    assert "agenda" in text and "Red Sea" in text
    assert cli("publish", "--out", str(tmp_path / "public")).exit_code == 0


def test_audio_digests_are_remembered_until_the_file_changes(tmp_path: Path) -> None:
    from warcast.publish.cache import remembered_digest

    audio = tmp_path / "0001-x" / "audio.mp3"
    audio.parent.mkdir()
    audio.write_bytes(b"first")
    calls: list[Path] = []

    def compute(path: Path) -> str:
        calls.append(path)
        return path.read_bytes().decode()

    assert remembered_digest(tmp_path, audio, compute) == "first"
    assert remembered_digest(tmp_path, audio, compute) == "first"
    assert len(calls) == 1
    audio.write_bytes(b"other")
    os.utime(audio, ns=(1, 1))
    assert remembered_digest(tmp_path, audio, compute) == "other"
    assert len(calls) == 2


@pytest.mark.parametrize(("ratio", "wrote"), [
    (3.21, " let I-M-E-H-H-H-H-H-H-H-H-H-H-H-H-H-H-H"),   # a repetition loop
    (1.0, " Ingrid Solberg"),                            # the hotwords instead of the speech
])
def test_a_clip_the_batched_decoder_failed_on_is_decoded_again(speech_dir: Path, ratio: float,
                                                                wrote: str) -> None:
    """A repetition loop (compression ratio over 2.4) used to cost the whole 30-second clip,
    and hotwords written out instead of the speech (far fewer words than the clip holds)
    stood for it; the clip is decoded again without them and its words come back, timed in
    the piece, the same on every run."""
    import numpy as np

    text = "The army still governs from the coast, and the capital lies largely empty."
    audio = make_speech(speech_dir, "repair.mp3", text, ("-codec:a", "libmp3lame", "-b:a", "64k"))
    lead = np.zeros(16_000 * 3, dtype=np.float32)    # the clip starts 3 s into the piece
    samples = np.concatenate([lead, *pcm_pieces(audio, 300.0)])
    clips = speech_clips(samples)
    start, end = clips[0]["start"], clips[-1]["end"]
    options = WhisperOptions()
    tokens = [type("Word", (), {"word": f" {w}", "start": start, "end": end})()
              for w in wrote.split()]
    failed = type("Segment", (), {"start": start, "end": end, "compression_ratio": ratio,
                                  "avg_logprob": -0.5, "text": wrote, "words": tokens})()
    runs = [[(segment.text, segment.start + shift) for segment, shift in
             repaired(load_model(options), samples, clips, [failed],
                      decoding(options, ("Ingrid Solberg", "Arctic")))]
            for _ in range(2)]
    assert runs[0] == runs[1]
    heard = " ".join(part for part, _ in runs[0])
    assert wrote.strip() not in heard
    assert word_error_rate(text, heard) < 0.25
    assert clips[0]["start"] >= 2.5
    assert all(clips[0]["start"] - 0.1 <= at < end for _, at in runs[0])


TWO_SENTENCES = ("The army still governs from the coast, and the capital lies largely empty. "
                 "Most of the ministries moved north before the rains.")


def first_pass(speech_dir: Path, name: str, text: str, model: object,
               terms: tuple[str, ...] = ()) -> tuple[object, list[dict[str, float]],
                                                     dict[str, object], list[object]]:
    """``text`` spoken (MP3 64 kbit/s), its speech clips, the decoding settings with
    ``terms`` as hotwords, and the batched decoder's segments: the first pass repairs start
    from."""
    import numpy as np
    from faster_whisper import BatchedInferencePipeline

    audio = make_speech(speech_dir, name, text, ("-codec:a", "libmp3lame", "-b:a", "64k"))
    samples = np.concatenate(list(pcm_pieces(audio, 300.0)))
    clips = speech_clips(samples)
    common = decoding(WhisperOptions(), terms)
    segments, _ = BatchedInferencePipeline(model).transcribe(
        samples, batch_size=4, clip_timestamps=clips, **common)
    return samples, clips, common, list(segments)


def rewritten(segment: object, words: list[object], **times: float) -> object:
    """``segment`` as the decoder might have left it: holding ``words`` (its text made of
    them), with ``times`` (start, end) changed."""
    import dataclasses

    return dataclasses.replace(segment, words=words, text="".join(w.word for w in words),
                               **times)


def test_whisper_reads_the_names_then_the_title_and_summary() -> None:
    """The names come first, so that faster-whisper's cut at 223 tokens never drops one."""
    assert prompt(("Nora Halvorsen", "Essequibo"), "Guyana's claim.  Oil\nand law.") == \
        "Nora Halvorsen Essequibo. Guyana's claim. Oil and law."
    assert prompt(("Essequibo",)) == "Essequibo"
    assert prompt((), "Guyana's claim.") == "Guyana's claim."
    assert prompt(()) == ""
    assert decoding(WhisperOptions(), (), "")["hotwords"] is None


ANCHOR = "Investigators say the tanker dragged its anchor across the seabed and cut the cables."


def test_the_episodes_title_and_summary_carry_its_words_into_the_transcript(
        cli: Cli, speech_dir: Path) -> None:
    """Whisper reads the producer's title and summary as the text before the speech, so the
    episode's own wording carries into the transcript: tiny.en hears "its anchor across the
    seabed" as "it sank across the cement" without them. The same audio, transcribed under
    a summary about something else, stays misheard: the words come from the summary."""
    audio = make_speech(speech_dir, "anchor.mp3", ANCHOR,
                        ("-codec:a", "libmp3lame", "-b:a", "64k"))
    assert cli("new", str(audio), "--title", "Anchors in the Baltic").exit_code == 0
    folder = next(cli.show.glob("0003-*"))
    toml = folder / "episode.toml"
    heard = {}
    for summary in ("Why shipping insurers keep raising their rates.",
                    "A tanker dragged its anchor across the seabed and cut two cables."):
        toml.write_text(re.sub(r'(?m)^summary = .*$', f"summary = {json.dumps(summary)}",
                               toml.read_text()))
        result = cli("transcribe", "--force", "3")
        assert result.exit_code == 0, result.output
        heard[summary] = " ".join(c.text for c in webvtt.read(str(folder / "transcript.vtt")))
    elsewhere, about = heard.values()
    assert "seabed" not in elsewhere.lower()
    assert "anchor across the seabed" in about.lower()
    assert word_error_rate(ANCHOR, about) < word_error_rate(ANCHOR, elsewhere)


def test_a_clip_whose_words_start_late_is_decoded_again(speech_dir: Path) -> None:
    """The decoder stopped after its first sentence and the aligner spread those words over
    the end of the clip, so neither the word count nor the end gave the loss away (tiny.en,
    no glossary: "Our guest covers West Africa … by Marko." timed 20-30 s into a 30-second
    clip of speech). A clip starts where speech does: text that starts more than 2 s into it
    is a failed decoding, and the clip is decoded again."""
    import dataclasses

    text = TWO_SENTENCES
    model = load_model(WhisperOptions())
    samples, clips, common, heard = first_pass(speech_dir, "loop.mp3", text, model)
    good = heard[0]
    start, end = clips[0]["start"], clips[-1]["end"]
    kept = good.words[:8]                  # "The army still governs from the coast, and the"
    late = start + 3.0
    step = (end - late) / len(kept)
    moved = [dataclasses.replace(w, start=late + k * step, end=late + (k + 1) * step)
             for k, w in enumerate(kept)]
    assert len(moved) >= 0.5 * (end - start)          # not "too few words"
    failed = rewritten(good, moved, start=late, end=end)
    again = " ".join(segment.text for segment, _ in
                     repaired(model, samples, clips, [failed], common))
    assert word_error_rate(text, again) < 0.25
    assert "rains" in again.lower()


def test_a_loop_inside_good_text_is_cut_off_and_the_rest_decoded_again(speech_dir: Path) -> None:
    """A loop too short to make the whole text compress past 2.4 ("President U.S. U.S. …"
    where a name was said, the last word stretched over the rest of the clip) kept the loop
    and lost every word after it; the words before it are kept, the loop is dropped and the
    clip from where it started is decoded again, the same on every run."""
    import dataclasses

    text = TWO_SENTENCES
    model = load_model(WhisperOptions())
    samples, clips, common, heard = first_pass(speech_dir, "loop.mp3", text, model)
    assert len(heard) == 1 and word_error_rate(text, heard[0].text) < 0.25
    good = heard[0]
    kept = good.words[:4]                      # "The army still governs"
    start, end = kept[-1].end, clips[-1]["end"]
    loop = [dataclasses.replace(kept[0], word=w, start=start, end=start)
            for w in (" U", ".S.") * 6]
    loop[-1] = dataclasses.replace(loop[-1], end=end)    # the aligner's stretched last word
    looped = rewritten(good, [*kept, *loop], end=end)
    assert looped.compression_ratio < 2.4
    runs = [[(segment.text, segment.start + shift) for segment, shift in
             repaired(model, samples, clips, [looped], common)] for _ in range(2)]
    assert runs[0] == runs[1]
    again = " ".join(part for part, _ in runs[0])
    assert "U.S." not in again
    assert word_error_rate(text, again) < 0.25
    assert runs[0][0] == (" The army still governs", good.start)
    assert all(start - 0.1 <= at < end for _, at in runs[0][1:])


def test_a_word_stretched_over_the_rest_of_its_clip_is_cut_and_the_rest_decoded_again(
        speech_dir: Path) -> None:
    """The decoder stopped after a few words and the aligner stretched the last of them over
    the rest of the clip, so there were enough words for the clip's length and no unheard
    end (tiny.en with the glossary: "… around Bamako JNIM", the last word timed 5.1-26.7 s
    and 21 s of speech lost). Words before the stretched one are kept, the clip from its start
    is decoded again."""
    import dataclasses

    text = TWO_SENTENCES
    model = load_model(WhisperOptions())
    samples, clips, common, heard = first_pass(speech_dir, "loop.mp3", text, model)
    good = heard[0]
    start, end = clips[0]["start"], clips[-1]["end"]
    kept = good.words[:5]                       # "The army still governs from"
    stretched = dataclasses.replace(kept[-1], end=end)
    assert stretched.end - stretched.start > 3.0
    words = [*kept[:-1], stretched]
    failed = rewritten(good, words, end=end)
    assert len(words) >= 0.5 * (end - start)             # not "too few words"
    parts = [(segment.text, segment.start + shift) for segment, shift in
             repaired(model, samples, clips, [failed], common)]
    again = " ".join(part for part, _ in parts)
    assert parts[0] == (" The army still governs", good.start)
    assert word_error_rate(text, again) < 0.25
    assert "rains" in again.lower()


def test_a_clip_decoded_again_whole_is_not_encoded_again(speech_dir: Path) -> None:
    """Decoding a clip again whole (without the hotwords it was first decoded with) reuses
    what the encoder made of it the first time (a quarter of a second a clip on one thread):
    only the decoder runs again."""
    import dataclasses

    from warcast.transcript.whisper import _LeanModel

    text = "The army still governs from the coast, and the capital lies largely empty."

    class Counted:
        """ctranslate2's Whisper, counting the chunks its encoder sees."""

        def __init__(self, whisper: object) -> None:
            self.whisper, self.chunks = whisper, 0

        def __getattr__(self, name: str) -> object:
            return getattr(self.whisper, name)

        def encode(self, features: object, **settings: object) -> object:
            self.chunks += features.shape[0]
            return self.whisper.encode(features, **settings)

    model = load_model(WhisperOptions())
    counted = Counted(model.model)
    model.model = counted
    try:
        lean = _LeanModel(model)
        samples, clips, common, heard = first_pass(speech_dir, "repair.mp3", text, lean,
                                                   ("Ingrid Solberg", "Arctic"))
        assert len(clips) == len(heard) == 1 and counted.chunks == 1
        first = heard[0]
        failed = dataclasses.replace(first, words=first.words[:1], text=first.words[0].word)
        again = " ".join(segment.text for segment, _ in
                         repaired(lean, samples, clips, [failed], common))
    finally:
        model.model = counted.whisper
    assert word_error_rate(text, again) < 0.25
    assert counted.chunks == 1
