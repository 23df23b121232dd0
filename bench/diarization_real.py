"""Speakers on recorded human speech: real clips joined into dialogues with synthetic voices.

Usage: python bench/diarization_real.py

The recordings are the test data of the pocketsphinx source package on PyPI (fetched once
with ``pip download`` into bench/results/cache/): five LibriVox clips of one reader (Sense and
Sensibility, chapter 1; 25 s) and the 21-second recording ``test/regression/chan3.wav``, cut
at its pauses. Dialogues join them, in random order, with one or two espeak-ng voices of
bench/diarization.py, so they hold 2, 3 or 4 voices, two of them real; each real clip is used
once per dialogue, so a dialogue lasts about a minute. Scored as bench/diarization.py scores
(DER with a 0.25 s collar, voices counted). Results: bench/results/speakers-real.{json,md}.
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
    rng.shuffle(turns)
    parts, truth, at = [], [], 0.0
    for name, clip in turns:
        gap = np.zeros(int(rng.uniform(0.2, 0.9) * RATE), dtype=np.float32)
        clip = clip / max(1e-6, float(np.abs(clip).max())) * 0.5   # levels as a mix evens them
        parts += [gap, clip.astype(np.float32)]
        start = at + len(gap) / RATE
        truth.append((start, start + len(clip) / RATE, name))
        at = truth[-1][1]
    return np.concatenate(parts), truth, 2 + len(synthetic)


def main() -> None:
    from warcast import speakers

    real = recordings()
    rows: list[dict[str, Any]] = []
    for seed in SEEDS:
        samples, truth, voices = dialogue(seed, real)
        found = [(t.start, t.end, t.speaker) for t in speakers.diarize(samples)]
        rows.append({"seed": seed, "voices": voices, "found": len({s for *_, s in found}),
                     "der": round(diarization.der(truth, found, len(samples) / RATE), 2),
                     "seconds": round(len(samples) / RATE, 1)})
        print(rows[-1], flush=True)
    results: dict[str, Any] = {**diarization.scores(rows), "rows": rows}
    print(write_table(diarization.RESULTS, "speakers-real", "Speakers, real speech", results))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    main()
