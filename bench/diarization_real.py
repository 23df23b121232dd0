"""Speakers on recorded human speech: real clips joined into dialogues.

Usage: python bench/diarization_real.py

Two PyPI source packages hold the recordings (fetched once with ``pip download`` into
bench/results/cache/speakers/real/):

- pocketsphinx's test data: five LibriVox clips of one reader (Sense and Sensibility, 25 s)
  and the 21-second ``test/regression/chan3.wav``, cut at its pauses. Dialogues join them, in
  random order, with one or two espeak-ng voices of bench/diarization.py (2-4 voices, two of
  them real, about a minute each). Tuning saw these.
- pyannote-audio's test data: 30-second excerpts of meetings with who-spoke-when, split by
  meeting into train, development and test parts with no speaker in common. Each speaker's
  stretches where nobody else speaks are that speaker's clips (speakers with 8 s or more);
  dialogues give the floor to 2-4 of them in turn, each clip once. The train part's four
  speakers (FEE078, FEE083, MEE068, MEO069) were tuned on; the development part's two (MEE009
  and MEE012, two men of one meeting) are held out, alone and with the two speakers of the
  package's sample recording (the test part's speakers have under 8 s alone each).
- The test part's speakers with 3 s or more alone, held out too: one or two of them, every
  clip, among one or two of bench/diarization.py's new espeak-ng voices (guests who say a few
  words; seeds 900-915).

Enrolled speakers named (:func:`enrolled_naming`): each meeting speaker of the held-out
(development + sample) and tuning (train) parts is enrolled from every other clip of his and
named in 10 dialogues of his other clips among the others, and looked for in 10 dialogues
without him; by Resemblyzer's embedding alone, by the CAM++ voiceprint alone, and by either
(warcast's rule), side by side on the same windows.

The reference marks a clip's speech where it is speaking (see :func:`spoken`), not across its
pauses. Each dialogue is clustered by warcast's method (``fixed``) and with the merge step
(``merged``), side by side, and scored as bench/diarization.py scores (DER with a 0.25 s
collar, voices counted). Results: bench/results/speakers-real.{json,md}.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tarfile
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import diarization  # noqa: E402
from report import write_table  # noqa: E402

CACHE = diarization.CACHE / "real"
PACKAGE = "pocketsphinx==5.1.1"
MEETINGS_PACKAGE = "pyannote-audio==4.0.7"
RATE = diarization.RATE
SEEDS = range(500, 512)


def recordings() -> dict[str, list[np.ndarray]]:
    """The real speakers' clips at 16 kHz: the LibriVox reader's, and chan3's cut at pauses."""
    folder = CACHE / "pocketsphinx"
    if not folder.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--no-binary", ":all:", "-d", str(CACHE), PACKAGE], check=True)
        archive = next(CACHE.glob("pocketsphinx-*.tar.gz"))
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.name.endswith(".wav")
                       and ("/librivox/" in m.name or m.name.endswith("regression/chan3.wav"))]
            tar.extractall(folder, members=members, filter="data")
    reader = [_read(p) for p in sorted(folder.rglob("librivox/*.wav"))]
    other = _cut_at_pauses(_read(next(folder.rglob("regression/chan3.wav"))))
    return {"reader": reader, "chan3": other}


def _read(path: Path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le",
                          "-ac", "1", "-ar", str(RATE), "-"], check=True,
                         capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32)


def _cut_at_pauses(samples: np.ndarray, frame: int = RATE // 50) -> list[np.ndarray]:
    """Pieces of at least 2 s, cut in the middle of pauses of 0.3 s or more."""
    energy = np.square(samples[: len(samples) // frame * frame].reshape(-1, frame)).mean(1)
    quiet = energy < max(1e-6, 0.02 * np.median(energy[energy > 0]))
    cuts, run = [0], 0
    for index, silent in enumerate(quiet):
        run = run + 1 if silent else 0
        if run == 15 and (index - 7) * frame - cuts[-1] >= 2 * RATE:
            cuts.append((index - 7) * frame)
    cuts.append(len(samples))
    return [samples[a:b] for a, b in pairwise(cuts) if b - a >= RATE]


def meetings() -> dict[str, dict[str, list[np.ndarray]]]:
    """Real speakers of real meetings: the 30-second excerpts (with who-spoke-when) that the
    pyannote-audio source package tests with, each speaker's clips where only they speak,
    by part of its split ("train" for tuning; "development" and "test", other meetings and
    other people, held out)."""
    folder = CACHE / "pyannote"
    if not folder.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--no-binary", ":all:", "-d", str(CACHE), MEETINGS_PACKAGE],
                       check=True)
        archive = next(CACHE.glob("pyannote_audio-*.tar.gz"))
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers()
                       if ("/tests/data/" in m.name or "/audio/sample/" in m.name)
                       and m.name.endswith((".wav", ".rttm"))]
            tar.extractall(folder, members=members, filter="data")
    data = next(folder.rglob("tests/data"))
    sample = next(folder.rglob("audio/sample/sample.rttm"))
    out: dict[str, dict[str, list[np.ndarray]]] = {}
    for part, rttm in (("train", data / "debug.train.rttm"),
                       ("development", data / "debug.development.rttm"),
                       ("test", data / "debug.test.rttm"), ("sample", sample)):
        speakers: dict[str, list[np.ndarray]] = {}
        for uri, turns in _rttm(rttm).items():
            audio = _read(_wav(rttm.parent, uri))
            for start, end, name in _solo(turns):
                if end - start >= 0.8:
                    speakers.setdefault(name, []).append(
                        audio[int(start * RATE):int(end * RATE)])
        out[part] = {name: clips for name, clips in sorted(speakers.items())
                     if sum(len(c) for c in clips) >= 8 * RATE}
    return out


def _wav(folder: Path, uri: str) -> Path:
    """The recording ``uri`` names (one file's name carries an accent its uri lacks)."""
    import unicodedata

    def plain(name: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", name) if c.isascii())

    return next(p for p in sorted(folder.glob("*.wav")) if plain(p.stem) == uri)


def _rttm(path: Path) -> dict[str, list[tuple[float, float, str]]]:
    turns: dict[str, list[tuple[float, float, str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        field = line.split()
        start, length = float(field[3]), float(field[4])
        turns.setdefault(field[1], []).append((start, start + length, field[7]))
    return turns


def _solo(turns: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """The parts of ``turns`` where no one else speaks."""
    out = []
    for start, end, name in turns:
        pieces = [(start, end)]
        for other_start, other_end, other in turns:
            if other == name:
                continue
            pieces = [part for a, b in pieces for part in
                      ((a, min(b, other_start)), (max(a, other_end), b)) if part[1] > part[0]]
        out += [(a, b, name) for a, b in pieces]
    return out


def meeting_dialogue(seed: int, speakers: dict[str, list[np.ndarray]]
                     ) -> tuple[np.ndarray, list[tuple[float, float, str]], int]:
    """Two to four of ``speakers`` taking turns with their own clips, each clip once (a
    speaker keeps the floor only when the others have run out), 0.2-0.9 s apart (one turn
    in five 0.05 s after the last)."""
    rng = random.Random(seed)
    cast = rng.sample(sorted(speakers), min(len(speakers), 2 + seed % 3))
    left = {name: rng.sample(speakers[name], len(speakers[name])) for name in cast}
    parts, truth, at, previous = [], [], 0.0, None
    while any(left.values()):
        choices = [n for n in cast if left[n] and n != previous] or [n for n in cast if left[n]]
        name = rng.choice(choices)
        clip = left[name].pop()
        clip = clip / max(1e-6, float(np.abs(clip).max())) * 0.5
        pause = 0.05 if rng.random() < 0.2 else rng.uniform(0.2, 0.9)
        gap = np.zeros(int(pause * RATE), dtype=np.float32)
        parts += [gap, clip.astype(np.float32)]
        start = at + len(gap) / RATE
        truth += [(start + a, start + b, name) for a, b in spoken(clip)]
        at, previous = start + len(clip) / RATE, name
    return np.concatenate(parts), truth, len(cast)


def spoken(clip: np.ndarray, frame: int = RATE // 50) -> list[tuple[float, float]]:
    """Where a clean clip of one speaker holds speech, as an annotator marks it: 20 ms
    frames within 35 dB of the clip's loudest (and above -60 dBFS), pauses under 0.3 s
    bridged. The recordings' own pauses (a reader's breath between sentences, a second of
    silence at the end) are no one's speech, so a diarizer is not asked to label them; a
    plain level test, not the diarizer's voice detector, decides it."""
    usable = len(clip) // frame * frame
    level = 10 * np.log10(np.square(clip[:usable].reshape(-1, frame)).mean(axis=1) + 1e-12)
    loud = level > max(level.max() - 35, -60)
    out: list[tuple[float, float]] = []
    for index in np.nonzero(loud)[0]:
        start, end = index * frame / RATE, (index + 1) * frame / RATE
        if out and start - out[-1][1] < 0.3:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _mixed(turns: list[tuple[str, np.ndarray]], rng: random.Random
           ) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """The turns shuffled and joined 0.2-0.9 s apart, each at one level (as a mix evens
    them), with who speaks when."""
    rng.shuffle(turns)
    parts, truth, at = [], [], 0.0
    for name, clip in turns:
        gap = np.zeros(int(rng.uniform(0.2, 0.9) * RATE), dtype=np.float32)
        clip = clip / max(1e-6, float(np.abs(clip).max())) * 0.5
        parts += [gap, clip.astype(np.float32)]
        start = at + len(gap) / RATE
        truth += [(start + a, start + b, name) for a, b in spoken(clip)]
        at = start + len(clip) / RATE
    return np.concatenate(parts), truth


def dialogue(seed: int, real: dict[str, list[np.ndarray]]
             ) -> tuple[np.ndarray, list[tuple[float, float, str]], int]:
    rng = random.Random(seed)
    synthetic = rng.sample(diarization.VOICES, 1 + seed % 2)
    turns: list[tuple[str, np.ndarray]] = [(name, clip) for name, clips in real.items()
                                          for clip in clips]
    pool = diarization.sentences()
    for voice in synthetic:
        for _ in range(4):
            turns.append((voice, diarization.voiced(rng.choice(pool), voice)))
    audio, truth = _mixed(turns, rng)
    return audio, truth, 2 + len(synthetic)


def test_part(least: float = 3.0) -> dict[str, list[np.ndarray]]:
    """The test part's speakers with ``least`` seconds or more alone (their clips): too little
    for the meeting sets, enough to be a guest who says a few words."""
    data = next((CACHE / "pyannote").rglob("tests/data"))
    speakers: dict[str, list[np.ndarray]] = {}
    for uri, turns in _rttm(data / "debug.test.rttm").items():
        audio = _read(_wav(data, uri))
        for start, end, name in _solo(turns):
            if end - start >= 0.8:
                speakers.setdefault(name, []).append(audio[int(start * RATE):int(end * RATE)])
    return {name: clips for name, clips in sorted(speakers.items())
            if sum(len(c) for c in clips) >= least * RATE}


def few_words_dialogue(seed: int, real: dict[str, list[np.ndarray]]
                       ) -> tuple[np.ndarray, list[tuple[float, float, str]], int]:
    """One or two of ``real`` (a few seconds each, every clip once) among one or two of the
    new espeak-ng voices (bench/diarization.py's NEW_VOICES, four sentences each of the
    other texts), in random order, 0.2-0.9 s apart."""
    rng = random.Random(seed)
    people = rng.sample(sorted(real), 1 + seed % 2)
    synthetic = rng.sample(diarization.NEW_VOICES, 1 + (seed // 2) % 2)
    turns = [(name, clip) for name in people for clip in real[name]]
    pool = diarization.other_sentences()
    for voice in synthetic:
        for _ in range(4):
            turns.append((voice, diarization.voiced(rng.choice(pool), voice)))
    audio, truth = _mixed(turns, rng)
    return audio, truth, len(people) + len(synthetic)


def enrolled_naming(part: dict[str, list[np.ndarray]]) -> dict[str, Any]:
    """Each speaker of ``part`` enrolled from every other clip of his, then named in 10
    dialogues of his other clips among the others (seeds 1000, 1002…) and looked for in 10
    without him (1001, 1003…), by each rule: turns named, dialogues without him where he was
    named."""
    from warcast.transcript import speakers

    # the voiceprint alone: an embedding no centroid comes within NAME_SIMILARITY of
    rules = {"embedding alone": lambda v: speakers.Voice(v.embedding),
             "voiceprint alone": lambda v: speakers.Voice(np.zeros(256, np.float32),
                                                          v.voiceprint),
             "either (warcast)": lambda v: v}
    counts = {rule: [0, 0, 0, 0] for rule in rules}
    for target in sorted(part):
        enroll, rest = part[target][0::2], part[target][1::2]
        if not rest:
            continue
        sample = np.concatenate([np.concatenate([c / max(1e-6, float(np.abs(c).max())) * 0.5,
                                                 np.zeros(RATE // 2)]) for c in enroll])
        voice = speakers.voice_of(sample.astype(np.float32))
        for seed in range(1000, 1020):
            present = seed % 2 == 0
            cast = {k: c for k, c in part.items() if k != target}
            if present:
                cast[target] = rest
            samples, truth, _ = meeting_dialogue(seed, cast)
            windows = speakers.voice_windows([samples], keep_audio=True)
            own = [t for t in truth if t[2] == target]
            for rule, enrolled in rules.items():
                found = [(t.start, t.end, t.speaker) for t in
                         speakers.turns_of(windows, {target: enrolled(voice)})]
                if present:
                    counts[rule][0] += sum(diarization._label_at(found, t) == target
                                           for t in own)
                    counts[rule][1] += len(own)
                else:
                    counts[rule][2] += any(f[2] == target for f in found)
                    counts[rule][3] += 1
    return {rule: f"{100 * n / max(1, t):.1f} % of {t} turns named; named in {f} of {a} "
                  f"dialogues without him" for rule, (n, t, f, a) in counts.items()}


def main() -> None:
    from warcast.transcript import speakers

    real, meeting = recordings(), meetings()
    few = test_part()
    sets = {
        "tuning: LibriVox reader + chan3 + espeak-ng (seeds 500-511)":
            [(seed, lambda seed=seed: dialogue(seed, real)) for seed in SEEDS],
        "tuning: meeting speakers, train part (seeds 600-614)":
            [(seed, lambda seed=seed: meeting_dialogue(seed, meeting["train"]))
             for seed in range(600, 615)],
        "held out: meeting speakers, development part (seeds 700-714)":
            [(seed, lambda seed=seed: meeting_dialogue(seed, meeting["development"]))
             for seed in range(700, 715)],
        "held out: development part + the package's sample recording (seeds 800-814)":
            [(seed, lambda seed=seed: meeting_dialogue(
                seed, {**meeting["development"], **meeting["sample"]}))
             for seed in range(800, 815)],
        "held out: test part's few-words speakers + new espeak-ng voices (seeds 900-915)":
            [(seed, lambda seed=seed: few_words_dialogue(seed, few)) for seed in range(900, 916)],
    }
    quality: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name, made in sets.items():
        quality[name] = {method: [] for method in diarization.METHODS}
        for seed, make in made:
            samples, truth, voices = make()
            windows = speakers.voice_windows([samples])
            for method in diarization.METHODS:
                found = [(t.start, t.end, t.speaker)
                         for t in speakers.turns_of(windows, method=method)]
                quality[name][method].append({
                    "seed": seed, "voices": voices, "found": len({s for *_, s in found}),
                    "der": round(diarization.der(truth, found, len(samples) / RATE), 2),
                    "seconds": round(len(samples) / RATE, 1)})
            print(name[:8], {m: quality[name][m][-1] for m in diarization.METHODS}, flush=True)
    results: dict[str, Any] = {**diarization.side_by_side(quality)}
    for part_name, part in (
            ("held out (development + sample)", {**meeting["development"], **meeting["sample"]}),
            ("tuning (train)", meeting["train"])):
        for rule, figure in enrolled_naming(part).items():
            results[f"enrolled speaker named, {part_name}: {rule}"] = figure
    results["rows"] = quality
    print(write_table(diarization.RESULTS, "speakers-real", "Speakers, real speech", results))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    main()
