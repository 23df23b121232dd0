"""Published audio from masters: speed, accuracy, the cache, and the optional filters.

Usage: python bench/sound.py [--minutes N]

Masters are bench/script.txt spoken by espeak-ng in each voice (about five minutes each, or
cut to ``--minutes``), as 48 kHz stereo 24-bit WAV, alternately quiet (-30 LUFS) and hot
(-8 LUFS: compressed and soft-clipped). Side by side in one run, on every core:

* warcast: ``published_audio`` on a cold cache (measure, normalize, limit where needed,
  encode to 128 kbit/s MP3, measure again, tag), then again on the warm cache;
* peer: plain ``ffmpeg -i master -c:a libmp3lame -b:a 128k`` of the same masters, as many at
  a time, which neither measures nor normalizes.

Reported into bench/results/sound.{json,md}: real-time factors (audio seconds per wall
second, and per CPU second of every process), the ratio to the peer, the spread of the
published files' loudness around the target and their highest true peak (ffmpeg ebur128),
how many files the warm run encoded, and, on a two-speaker master whose guest is 10 dB
quieter than the host, the loudness gap between them without and with ``leveler``, and the
rumble left below 60 Hz without and with ``highpass = 80``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
CACHE = RESULTS / "cache"
sys.path.insert(0, str(BENCH))

import speech  # noqa: E402
from report import write_table  # noqa: E402

from warcast.audio.loudness import measure  # noqa: E402
from warcast.state import CACHE_DIR  # noqa: E402

SPEED_TARGET = 50.0     # x real time, on every core of the machine
HOT = "acompressor=threshold=-24dB:ratio=6:attack=3:release=80,volume={gain}dB,asoftclip"


def master(text: str, voice: str, level: float, seconds: float | None, folder: Path) -> Path:
    """``text`` spoken in ``voice`` as a 48 kHz stereo 24-bit WAV at about ``level`` LUFS."""
    wav = folder / f"{voice.replace('+', '_')}-plain.wav"
    if not wav.exists():
        script = folder / "text.txt"
        script.write_text(text, encoding="utf-8")
        run("espeak-ng", "-v", voice, "-s", str(speech.WORDS_PER_MINUTE), "-f", str(script),
            "-w", str(wav))
    plain = measure(wav).integrated
    chain = HOT.format(gain=level + 33.5) if level > -14 else f"volume={level - plain:.2f}dB"
    target = folder / f"{voice.replace('+', '_')}{level:+.0f}.wav"
    run("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-af", chain,
        *(["-t", str(seconds)] if seconds else []), "-ar", "48000", "-ac", "2",
        "-c:a", "pcm_s24le", str(target))
    return target


def run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"bench: {command[0]} failed: {done.stderr.strip()[-400:]}")


def make_show(folder: Path, masters: list[Path], extra: str = "") -> Path:
    show = folder / "show"
    run(sys.executable, "-m", "warcast", "init", str(show), "--title", "Sound bench",
        "--base-url", "https://pod.example.org")
    if extra:
        with (show / "show.toml").open("a", encoding="utf-8") as handle:
            handle.write(f"\n[audio]\n{extra}\n")
    for number, path in enumerate(masters, 1):
        run(sys.executable, "-m", "warcast", "--show", str(show), "new", str(path), "--title",
            f"Episode {number}", "--published", f"2026-01-{number:02d}T09:00:00+00:00",
            "--quiet")
    return show


def timed(work) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """Wall seconds and CPU seconds (this process and its children) of ``work()``."""
    before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                  resource.RUSAGE_CHILDREN)]
    started = time.perf_counter()
    result = work()
    wall = time.perf_counter() - started
    after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                 resource.RUSAGE_CHILDREN)]
    cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime
              for a, b in zip(after, before, strict=True))
    return wall, cpu, result


def derive_all(show_folder: Path):  # type: ignore[no-untyped-def]
    from warcast.audio.masters import published_audio
    from warcast.episodes import load_episodes
    from warcast.show import load_show

    show = load_show(show_folder)
    return published_audio(show, load_episodes(show))[1]


def peer(masters: list[Path], folder: Path) -> None:
    def encode(path: Path) -> None:
        run("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(path), "-ar", "44100",
            "-c:a", "libmp3lame", "-b:a", "128k", str(folder / f"{path.stem}.mp3"))

    with ThreadPoolExecutor(max_workers=min(len(masters), os.cpu_count() or 1)) as pool:
        list(pool.map(encode, masters))


def two_speakers(folder: Path) -> tuple[Path, list[tuple[float, float, str]]]:
    """Host (en-us) and a guest 10 dB quieter (en-gb-x-rp) taking turns, with 40 Hz rumble;
    returns the master and its (start, end, speaker) turns."""
    sentences = [s.strip() + "." for s in " ".join(speech.paragraphs(2)).split(".")
                 if s.strip()][:8]
    clips, turns, position = [], [], 0.0
    for index, sentence in enumerate(sentences):
        voice, gain = ("en-us", 0.0) if index % 2 == 0 else ("en-gb-x-rp", -10.0)
        clip = folder / f"turn{index}.wav"
        run("espeak-ng", "-v", voice, "-s", str(speech.WORDS_PER_MINUTE), "-w", str(clip),
            sentence)
        level = folder / f"turn{index}-level.wav"
        run("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(clip), "-af",
            f"volume={gain}dB", "-ar", "48000", "-ac", "2", "-c:a", "pcm_s24le", str(level))
        length = speech.duration(level)
        turns.append((position, position + length, "host" if gain == 0 else "guest"))
        clips.append(level)
        position += length
    joined = folder / "joined.wav"
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    run("ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex",
        f"concat=n={len(clips)}:v=0:a=1", "-c:a", "pcm_s24le", str(joined))
    target = folder / "two-speakers.wav"
    run("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(joined), "-f", "lavfi", "-i",
        f"sine=frequency=40:sample_rate=48000:duration={position}", "-filter_complex",
        "[1:a]volume=-30dB,aformat=channel_layouts=stereo[hum];"
        "[0:a][hum]amix=inputs=2:normalize=0:duration=first", "-c:a", "pcm_s24le", str(target))
    return target, turns


def speaker_gap(path: Path, turns: list[tuple[float, float, str]]) -> float:
    """Host loudness minus guest loudness (LU), each measured over their own turns."""
    levels: dict[str, list[float]] = {}
    for start, end, who in turns:
        figure = measure(path, f"atrim=start={start + 0.05:.3f}:end={end - 0.05:.3f}")
        levels.setdefault(who, []).append(figure.integrated)
    return statistics.mean(levels["host"]) - statistics.mean(levels["guest"])


def rumble(path: Path) -> float:
    """dB of energy below 60 Hz relative to the whole signal."""
    import numpy as np

    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-ar",
                          "44100", "-f", "f32le", "-"], capture_output=True, check=True).stdout
    samples = np.frombuffer(raw, dtype="<f4")
    power = np.abs(np.fft.rfft(samples)) ** 2
    frequencies = np.fft.rfftfreq(len(samples), 1 / 44100)
    return float(10 * np.log10(power[frequencies < 60].sum() / power.sum()))


def filters(folder: Path) -> dict[str, float]:
    folder.mkdir(parents=True, exist_ok=True)
    source, turns = two_speakers(folder)
    out: dict[str, float] = {"master_speaker_gap_lu": round(speaker_gap(source, turns), 1),
                             "master_rumble_db": round(rumble(source), 1)}
    for name, extra in (("plain", ""), ("leveler", "leveler = true"),
                        ("highpass", "highpass = 80")):
        show = make_show(folder / name, [source], extra)
        (made,) = derive_all(show).values()
        out[f"{name}_speaker_gap_lu"] = round(speaker_gap(made.audio.path, turns), 1)
        out[f"{name}_rumble_db"] = round(rumble(made.audio.path), 1)
        out[f"{name}_loudness_lufs"] = made.published.integrated
        out[f"{name}_range_lu"] = made.published.range
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, help="cut each master to this length")
    seconds = parser.parse_args().minutes
    seconds = seconds * 60 if seconds else None
    speech.require_tools()
    text = " ".join(speech.paragraphs())
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        voices = list(speech.VOICES)
        masters = [master(text, voice, -30.0 if i % 2 == 0 else -8.0, seconds, folder)
                   for i, voice in enumerate(voices)]
        audio = sum(speech.duration(m) for m in masters)
        show = make_show(folder / "speed", masters)
        shutil.rmtree(show / CACHE_DIR)   # `new` measured the masters: time a cold cache
        (folder / "peer").mkdir()
        peer_wall, peer_cpu, _ = timed(lambda: peer(masters, folder / "peer"))
        cold_wall, cold_cpu, made = timed(lambda: derive_all(show))
        warm_wall, _, again = timed(lambda: derive_all(show))
        peer_wall2, _, _ = timed(lambda: peer(masters, folder / "peer"))
        published = [d.published for d in made.values()]   # type: ignore[union-attr]
        misses = [abs(p.integrated - -16.0) for p in published]
        results: dict[str, object] = {
            "masters": len(masters), "audio_seconds": round(audio, 1),
            "cores": os.cpu_count(),
            "warcast_x_real_time": round(audio / cold_wall, 1),
            "warcast_x_real_time_per_cpu_second": round(audio / cold_cpu, 1),
            "peer_x_real_time": round(audio / statistics.mean([peer_wall, peer_wall2]), 1),
            "peer_x_real_time_per_cpu_second": round(audio / peer_cpu, 1),
            "warcast_over_peer_wall": round(
                cold_wall / statistics.mean([peer_wall, peer_wall2]), 2),
            "target_x_real_time": SPEED_TARGET,
            "speed_passed": audio / cold_wall >= SPEED_TARGET,
            "loudness_miss_lu_mean": round(statistics.mean(misses), 2),
            "loudness_miss_lu_max": round(max(misses), 2),
            "true_peak_dbtp_max": max(p.true_peak for p in published),
            "limited": sum(d.limited for d in made.values()),   # type: ignore[union-attr]
            "warm_run_seconds": round(warm_wall, 2),
            "warm_run_encoded": sum(d.encoded for d in again.values()),  # type: ignore[union-attr]
            "published": [{"episode": k, "gain": d.gain, "loudness": d.published.integrated,
                           "true_peak": d.published.true_peak, "limited": d.limited}
                          for k, d in made.items()],  # type: ignore[union-attr]
        }
        results.update(filters(folder / "filters"))
        shutil.rmtree(folder / "speed", ignore_errors=True)
    print(write_table(RESULTS, "sound", "Published audio from masters", results))


if __name__ == "__main__":
    main()
