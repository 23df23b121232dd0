"""How loud an audio file is, measured as ITU-R BS.1770-4 and EBU R128 define it.

ffmpeg's ``ebur128`` filter does the measuring: K-weighted, gated integrated loudness (the
absolute gate at -70 LUFS, the relative one 10 LU below), loudness range (EBU Tech 3342) and
the true peak of a 4x (or more) oversampled signal. ``astats`` counts how often the signal
sits at its sample peak, which is how a clipped master shows itself. Figures are measured
once per file content: a show keeps them in ``.warcast/cache/loudness.json`` keyed by SHA-256.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import subprocess
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from warcast.errors import AudioError

#: What BS.1770's absolute gate leaves of silence: a file this quiet has no programme at all.
SILENT_LUFS = -69.9
#: A sample peak this close to full scale, reached this many times, is a clipped master.
CLIP_DBFS = -0.1
CLIP_OCCASIONS = 50
_FFMPEG_HINT = "Install ffmpeg (apt-get install ffmpeg) and try again"
_CACHE_LOCK = threading.Lock()   # publish measures episodes side by side
_BROKEN_HINT = "Check that it is complete, playable audio (try: ffmpeg -v error -i FILE -f null -)"


@dataclass(frozen=True)
class Loudness:
    """The BS.1770-4 figures of one file (or of one signal chain applied to it)."""

    integrated: float  # LUFS, gated; -70.0 for silence
    range: float  # LU (EBU Tech 3342)
    true_peak: float  # dBTP, 4x oversampled
    sample_peak: float  # dBFS
    peak_count: int = 0  # times the signal reached its sample peak

    @property
    def silent(self) -> bool:
        """No sound above the absolute gate."""
        return self.integrated <= SILENT_LUFS

    @property
    def clipped(self) -> bool:
        """At full scale over and over: the master was clipped before it reached us."""
        return self.sample_peak >= CLIP_DBFS and self.peak_count >= CLIP_OCCASIONS

    def describe(self) -> str:
        """One line of figures, as ``warcast loudness`` prints them."""
        if self.silent:
            return "silent (no sound above -70 LUFS)"
        return (f"{self.integrated:.1f} LUFS, range {self.range:.1f} LU, "
                f"true peak {self.true_peak:.1f} dBTP")


def measure(path: Path, chain: str = "", *, cache: Path | None = None,
            key: str | None = None, true_peak: bool = True,
            reading: tuple[str, ...] = ()) -> Loudness:
    """The loudness of ``path`` after the ffmpeg filter ``chain`` (none: the file as it is).

    With a ``cache`` file and a ``key`` (the file's digest and the chain), a figure measured
    before is read back instead of decoding the file again. Without ``true_peak`` (three
    times faster: no oversampling) the true peak reported is the sample peak.
    """
    if cache is not None and key is not None:
        known = _read_cache(cache).get(key)
        if known is not None:
            return known
    stderr = run_ffmpeg(path, ["-filter_complex", _graph(chain, true_peak), "-f", "null", "-"],
                        reading=reading)
    result = parse_summary(stderr, path)
    if cache is not None and key is not None:
        remember(cache, key, result)
    return result


def _graph(chain: str, true_peak: bool = True) -> str:
    before = f"{chain}," if chain else ""
    peaks = "true+sample" if true_peak else "sample"
    return (f"[0:a:0]{before}ebur128=peak={peaks}:framelog=verbose,"
            "astats=measure_perchannel=none:measure_overall=Peak_count")


def run_ffmpeg(path: Path, arguments: list[str], *, timeout: float | None = None,
               reading: tuple[str, ...] = ()) -> str:
    """Run ffmpeg on ``path`` (opened with the input options ``reading``) with
    ``arguments``; its log (stderr) on success, else an AudioError naming the file."""
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info",
               *reading, "-i", str(path), *arguments]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise AudioError("cannot be measured or encoded: ffmpeg is not installed", path=path,
                         hint=_FFMPEG_HINT) from None
    except subprocess.TimeoutExpired:
        raise AudioError(f"took ffmpeg more than {timeout:.0f} s", path=path) from None
    log = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        last = next((line.strip() for line in reversed(log.splitlines()) if line.strip()),
                    f"exit status {done.returncode}")
        raise AudioError(f"ffmpeg cannot read it ({last})", path=path, hint=_BROKEN_HINT)
    return log


_FIGURES = {
    "integrated": re.compile(r"Integrated loudness:\s+I:\s+(-?[\d.]+|-inf|nan) LUFS"),
    "range": re.compile(r"Loudness range:\s+LRA:\s+(-?[\d.]+|nan) LU"),
    "true_peak": re.compile(r"(?:True|Sample) peak:\s+Peak:\s+(-?[\d.]+|-inf|inf|nan) dBFS"),
    "sample_peak": re.compile(r"Sample peak:\s+Peak:\s+(-?[\d.]+|-inf|inf|nan) dBFS"),
}
_PEAK_COUNT = re.compile(r"Peak count: ([\d.]+)")


def parse_summary(log: str, path: Path) -> Loudness:
    """The figures of the last ebur128 summary (and astats peak count) in an ffmpeg log."""
    summary = log[log.rfind("Summary:"):] if "Summary:" in log else ""
    values: dict[str, float] = {}
    for name, pattern in _FIGURES.items():
        match = pattern.search(summary)
        if match is None:
            raise AudioError("ffmpeg measured no loudness for it", path=path, hint=_BROKEN_HINT)
        values[name] = _number(match.group(1))
    counts = _PEAK_COUNT.findall(log)
    return Loudness(values["integrated"], values["range"], values["true_peak"],
                    values["sample_peak"], int(float(counts[-1])) if counts else 0)


def _number(text: str) -> float:
    value = float(text)
    if math.isnan(value):
        return 0.0
    return max(-120.0, min(value, 30.0))   # -inf (digital silence) as a finite floor


def _read_cache(cache: Path) -> dict[str, Loudness]:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        return {key: Loudness(**value) for key, value in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def remember(cache: Path, key: str, result: Loudness) -> None:
    """Keep ``result`` under ``key`` in the ``cache`` file (written atomically)."""
    from warcast.files import write_atomic

    with _CACHE_LOCK, contextlib.suppress(OSError):
        known = {k: asdict(v) for k, v in _read_cache(cache).items()}
        known[key] = asdict(result)
        write_atomic(cache, (json.dumps(known, sort_keys=True, indent=1) + "\n").encode())
