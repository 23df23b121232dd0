"""Voice a show folder with espeak-ng, one voice per speaker label and episode (voices.json).

The second linking set (``bench/linking/other/``) has speakers the renderer of the first set
does not know (``COHOST``) and voices unlike the first set's (Scottish, Caribbean, Lancaster,
West Midlands and New York accents, female variants, other pitches and speeds), so it is voiced
here: every paragraph of ``script.txt`` is spoken with its speaker's voice, the paragraphs are
joined with 0.6 s of digital silence, and the result is encoded to ``audio.mp3`` the way
``scripts/render_sample.sh`` does (48 kbit/s mono, no metadata, bit-exact). Each paragraph's
start and end in seconds is returned: the ground-truth times the labels are scored against.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import wave
from pathlib import Path

RATE = 22050
GAP = 0.6


def paragraphs(script: Path) -> list[tuple[str, str]]:
    """(speaker label, text) of every paragraph of a script."""
    found = []
    for block in script.read_text(encoding="utf-8").strip().split("\n\n"):
        label, _, text = block.strip().partition("\n")
        found.append((label.strip().rstrip(":").upper(), " ".join(text.split())))
    return found


def render_episode(folder: Path, voices: dict[str, dict]) -> list[tuple[float, float]]:
    """Voice ``folder/script.txt`` into ``folder/audio.mp3``; each paragraph's (start, end)."""
    times: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as work:
        frames: list[bytes] = []
        gap = b"\0\0" * round(GAP * RATE)
        position = 0.0
        for i, (label, text) in enumerate(paragraphs(folder / "script.txt")):
            voice = voices[label]
            raw, wav = Path(work) / f"{i}.raw.wav", Path(work) / f"{i}.wav"
            subprocess.run(["espeak-ng", "-v", voice["voice"], "-p", str(voice["pitch"]),
                            "-s", str(voice["speed"]), "-w", str(raw), text], check=True)
            subprocess.run(["sox", "-R", "-D", str(raw), "-r", str(RATE), "-c", "1", "-b", "16",
                            str(wav)], check=True)
            with wave.open(str(wav)) as w:
                data = w.readframes(w.getnframes())
            if i:
                frames.append(gap)
                position += GAP
            duration = len(data) / 2 / RATE
            times.append((round(position, 3), round(position + duration, 3)))
            frames.append(data)
            position += duration
        joined = Path(work) / "episode.wav"
        with wave.open(str(joined), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(b"".join(frames))
        subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                        "-i", str(joined), "-map_metadata", "-1", "-fflags", "+bitexact",
                        "-flags:a", "+bitexact", "-codec:a", "libmp3lame", "-b:a", "48k",
                        "-ac", "1", "-ar", str(RATE), str(folder / "audio.mp3")], check=True)
    return times


def render(show: Path, table: Path) -> dict[str, list[tuple[float, float]]]:
    """Voice every episode of ``show`` listed in ``table`` (voices.json)."""
    voices = json.loads(table.read_text(encoding="utf-8"))
    return {name: render_episode(show / name, voices[name]) for name in sorted(voices)}
