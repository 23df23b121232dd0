"""Test speech for the benchmarks: known prose (script.txt) spoken by espeak-ng, encoded as a
podcast would be (MP3, 64 kbit/s mono), and looped into hour-long episodes.

Everything is cached under ``bench/results/cache/`` by a hash of what made it, so a second run
reuses the clips; the long episodes are built when needed and deleted after use.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).with_name("script.txt")
# espeak-ng voice → label in the results; a US and a British male voice, a female variant,
# and a regional accent.
VOICES = {
    "en-us": "US male",
    "en-gb-x-rp": "British RP male",
    "en-us+f3": "US female",
    "en-gb-scotland": "Scottish male",
}
WORDS_PER_MINUTE = 150       # the whole script lasts about five minutes at this pace
GAP_SECONDS = 3.0            # silence between clips in a long episode
MP3 = ("-codec:a", "libmp3lame", "-b:a", "64k", "-ac", "1")
# No metadata, no encoder version: the same inputs give the same bytes.
BITEXACT = ("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact")
TOOLS = ("espeak-ng", "ffmpeg", "ffprobe")


def require_tools() -> None:
    """Stop with a clear message when a tool the benchmarks need is missing."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"bench: missing {', '.join(missing)}; install them first "
                         "(make system-packages, or apt-get install espeak-ng ffmpeg)")


def paragraphs(count: int | None = None) -> list[str]:
    """The script's paragraphs, the first ``count`` of them when given."""
    text = SCRIPT.read_text(encoding="utf-8")
    found = [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]
    return found[:count] if count else found


def spoken(text: str, voice: str, cache: Path) -> Path:
    """``text`` spoken by espeak-ng in ``voice``, as MP3 (built once, then cached)."""
    key = _key("clip", voice, str(WORDS_PER_MINUTE), text, *MP3)
    target = cache / f"{voice.replace('+', '_')}-{key}.mp3"
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        wav = target.with_suffix(".wav")
        source = target.with_suffix(".txt")
        source.write_text(text, encoding="utf-8")
        _run("espeak-ng", "-v", voice, "-s", str(WORDS_PER_MINUTE), "-f", str(source),
             "-w", str(wav))
        _encode(["-i", str(wav)], target)
        wav.unlink()
        source.unlink()
    return target


def joined(clips: list[Path], cache: Path) -> Path:
    """The clips one after another, each followed by ``GAP_SECONDS`` of silence (cached)."""
    key = _key("joined", str(GAP_SECONDS), *(clip.name for clip in clips))
    target = cache / f"joined-{key}.mp3"
    if not target.exists():
        inputs = [arg for clip in clips for arg in ("-i", str(clip))]
        pads = ";".join(f"[{i}:a]apad=pad_dur={GAP_SECONDS}[a{i}]" for i in range(len(clips)))
        chain = "".join(f"[a{i}]" for i in range(len(clips)))
        graph = f"{pads};{chain}concat=n={len(clips)}:v=0:a=1[out]"
        _encode([*inputs, "-filter_complex", graph, "-map", "[out]"], target)
    return target


def looped(unit: Path, minutes: int, folder: Path) -> Path:
    """An episode of exactly ``minutes`` made by repeating ``unit`` (MP3 frames copied)."""
    target = folder / f"episode-{minutes}min.mp3"
    _run("ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(unit),
         "-t", str(60 * minutes), "-c", "copy", *BITEXACT, str(target))
    return target


def duration(path: Path) -> float:
    """Length of an audio file in seconds, as ffprobe reads it."""
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                          "-of", "default=noprint_wrappers=1:nokey=1", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip())


def _encode(inputs: list[str], target: Path) -> None:
    partial = target.with_name(f".{target.name}.partial.mp3")
    _run("ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, *BITEXACT, *MP3, str(partial))
    partial.replace(target)


def _run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"bench: {command[0]} failed: {result.stderr.strip()[-500:]}")


def _key(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:12]
