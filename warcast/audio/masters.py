"""The producer's master (WAV, FLAC, AIFF) and the audio published from it.

Publishing never serves a master: it derives the episode's audio from it. The master is
measured (BS.1770-4, :mod:`warcast.audio.loudness`), brought to the show's target loudness with
one gain, held under the true-peak ceiling by a look-ahead limiter only where the gain
would push peaks over it, encoded (MP3, or AAC in M4A), measured again and, when the encoded
file misses the target, made once more with the gain and ceiling corrected by what was
measured. The result is tagged like any episode audio.

Derived files are cached in ``<show>/.warcast/cache/audio/``, keyed by the master's SHA-256 and the
settings, so an unchanged show is never encoded twice; masters are only ever read.
Already-encoded episodes (MP3, M4A…) are published as they are unless ``[audio]
normalize_encoded = true``. The settings are the ``[audio]`` table of show.toml.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from warcast.audio.loudness import Loudness, measure, run_ffmpeg
from warcast.audio.probe import LOSSLESS_KINDS, AudioInfo, probe
from warcast.errors import AudioError
from warcast.files import file_sha256
from warcast.lock import locked
from warcast.publish.cache import CACHE_DIR, digest, remembered_digest
from warcast.timecode import clock

if TYPE_CHECKING:
    from warcast.episodes import Episode
    from warcast.show import Show
    from warcast.source import SourceTable
    from warcast.validation import Finding

#: Containers a master comes in: lossless, never published as they are.
LOSSLESS = LOSSLESS_KINDS
#: Published format -> (file extension, ffmpeg muxer and encoder arguments).
ENCODINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "mp3": (".mp3", ("-c:a", "libmp3lame", "-id3v2_version", "0", "-f", "mp3")),
    "aac": (".m4a", ("-c:a", "aac", "-movflags", "+faststart", "-f", "ipod")),
}
CHANNELS = ("auto", "mono", "stereo")
#: Apple's and the industry's targets: -16 LUFS for stereo, -19 for mono, at most -1 dBTP.
DEFAULT_LOUDNESS = {1: -19.0, 2: -16.0}
DEFAULT_BITRATE = {1: 64, 2: 128}   # kbps
OUTPUT_RATE = 44100
#: Ceiling the limiter starts with, below the true-peak target: encoding adds a little.
LIMITER_MARGIN = 1.0
EXCERPT_SECONDS = 60   # of a long master, encoded first to learn what the encoder takes away
TOLERANCE = 0.3   # LU a published file may miss the target before it is made again
ATTEMPTS = 3
#: Masters that are probably a mistake (they are still published, with a warning).
LOW_RATE = 32000
LONG_MASTER = 2 * 3600
LOUD_GAIN = 20.0   # dB of gain that lifts a master's noise with its speech
CACHE_FOLDER = "audio"
SCHEMA = 1
_EXPORT = "Export the master again at 44.1 or 48 kHz"


@dataclass(frozen=True)
class AudioSettings:
    """``[audio]`` in show.toml: what published audio should sound like."""

    loudness: float | None = None   # LUFS; None: -16 stereo, -19 mono
    true_peak: float = -1.0         # dBTP
    format: str = "mp3"             # key of ENCODINGS
    bitrate: int | None = None      # kbps; None: 128 stereo, 64 mono
    channels: str = "auto"          # auto (the master's, at most two) | mono | stereo
    normalize_encoded: bool = False  # also re-encode episodes that came as MP3/M4A
    leveler: bool = False           # even out loud and quiet speakers
    highpass: int = 0               # Hz; 0: off (80 takes out rumble and handling noise)


DEFAULT_AUDIO = AudioSettings()
_KEYS = {"loudness", "true_peak", "format", "bitrate", "channels", "normalize_encoded",
         "leveler", "highpass"}


def audio_settings(table: SourceTable | None) -> AudioSettings:
    """The ``[audio]`` table, validated (absent: the defaults)."""
    if table is None:
        return AudioSettings()
    table.reject_unknown(_KEYS)
    loudness = _decibels(table, "loudness", None, -36.0, -9.0)
    true_peak = _decibels(table, "true_peak", -1.0, -9.0, 0.0)
    bitrate = table.integer("bitrate", None, minimum=32)
    if bitrate is not None and bitrate > 320:
        raise table.error("bitrate", f"must be at most 320 kbps, not {bitrate}")
    highpass = table.integer("highpass", 0)
    if highpass > 300:
        raise table.error("highpass", f"{highpass} Hz would cut into voices",
                          "Use 60 to 120, or 0 for none")
    return AudioSettings(loudness, true_peak, table.choice("format", tuple(ENCODINGS), "mp3"),
                         bitrate, table.choice("channels", CHANNELS, "auto"),
                         table.boolean("normalize_encoded", False),
                         table.boolean("leveler", False), highpass)


def _decibels(table: SourceTable, key: str, default: float | None, low: float,
              high: float) -> float | None:
    value = table.data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise table.error(key, f"must be a number, not {type(value).__name__}")
    if not low <= value <= high:
        raise table.error(key, f"must be between {low:g} and {high:g}, not {value:g}",
                          "Apple asks for -16 LUFS (stereo), -19 (mono), -1 dBTP")
    return float(value)


@dataclass(frozen=True)
class Target:
    """The settings resolved for one episode: its channel count decides the defaults."""

    channels: int
    loudness: float
    true_peak: float
    format: str
    bitrate: int
    leveler: bool
    highpass: int

    @property
    def suffix(self) -> str:
        return ENCODINGS[self.format][0]

    def chain(self) -> str:
        """The ffmpeg filters applied before the gain: rate, channels, then the options."""
        layout = "mono" if self.channels == 1 else "stereo"
        filters = [f"aformat=sample_fmts=flt:sample_rates={OUTPUT_RATE}:channel_layouts={layout}"]
        if self.highpass:
            filters.append(f"highpass=f={self.highpass}:poles=2")
        if self.leveler:
            filters.append(LEVELER)
        return ",".join(filters)

    def describe(self) -> str:
        return f"{self.loudness:g} LUFS, {self.true_peak:g} dBTP"


#: Leveling: gain that follows the speech level over under three seconds (0.25 s frames, an
#: 11-frame window), at most 10 dB up, so a quiet guest meets a loud host. Measured on a
#: guest 10 dB under the host (bench/sound.py), longer windows barely helped: 0.5 s x 31
#: left 8.6 of the 9.4 LU gap, 0.3 s x 15 left 4.6; this one leaves about 3.
LEVELER = "dynaudnorm=f=250:g=11:p=0.9:m=10"


def target_for(settings: AudioSettings, source_channels: int) -> Target:
    """What one episode is published as, given its source's channel count."""
    if settings.channels == "auto":
        channels = 1 if source_channels == 1 else 2
    else:
        channels = 1 if settings.channels == "mono" else 2
    return Target(channels,
                  settings.loudness if settings.loudness is not None
                  else DEFAULT_LOUDNESS[channels],
                  settings.true_peak, settings.format,
                  settings.bitrate or DEFAULT_BITRATE[channels], settings.leveler,
                  settings.highpass)


def is_master(audio: AudioInfo) -> bool:
    """A local lossless file: a master to derive the published audio from."""
    return audio.path is not None and audio.url is None and audio.kind in LOSSLESS


def derives(audio: AudioInfo, settings: AudioSettings) -> bool:
    """Whether publishing derives this audio rather than serving the file as it is."""
    if audio.path is None or audio.url is not None:
        return False
    return is_master(audio) or settings.normalize_encoded


# --- what a master is ------------------------------------------------------------------------


@dataclass(frozen=True)
class Format:
    """What a file's header says: sample rate, channels, duration."""

    rate: int
    channels: int
    duration: float


def read_format(path: Path) -> Format:
    """Sample rate, channels and duration from the file's header (nothing decoded)."""
    import mutagen

    try:
        info = mutagen.File(path).info  # type: ignore[union-attr]
    except Exception as exc:   # mutagen raises many kinds; all mean "not readable audio"
        raise AudioError(f"is not readable audio ({exc})", path=path) from None
    return Format(int(getattr(info, "sample_rate", 0) or 0), int(getattr(info, "channels", 0)
                                                                  or 0), float(info.length))


def header_warnings(path: Path, form: Format) -> list[str]:
    """What the header alone shows to be probably wrong with a master."""
    warnings = []
    if form.rate and form.rate < LOW_RATE:
        warnings.append(f"{path}: sampled at {form.rate} Hz, so it will sound muffled "
                        f"(published at {OUTPUT_RATE} Hz). {_EXPORT}.")
    if form.channels > 2:
        warnings.append(f"{path}: has {form.channels} channels; it is published mixed down "
                        "to stereo. Export a stereo or mono master to choose the mix yourself.")
    if form.duration > LONG_MASTER:
        warnings.append(f"{path}: runs {clock(form.duration)}; check that it is one episode "
                        "(it is published whole).")
    return warnings


def sound_warnings(path: Path, loudness: Loudness) -> list[str]:
    """What measuring a master shows; AudioError for one with no sound at all."""
    if loudness.silent:
        raise AudioError("is silent (nothing above -70 LUFS)", path=path,
                         hint="Export the master again; check the mute and the track chosen")
    warnings = []
    if loudness.clipped:
        warnings.append(f"{path}: is clipped ({loudness.peak_count} times at full scale); "
                        "normalizing cannot restore it. Export the master again with "
                        "less gain.")
    return warnings


def check_master(path: Path, show_folder: Path | None = None) -> list[str]:
    """Warnings about a master, from its header and from measuring it (``new`` prints
    them); AudioError when it is silent. Other audio is not checked: it is published as is.
    With the show's folder the figures are kept in its cache, for publish to reuse."""
    if probe(path).kind not in LOSSLESS:
        return []
    loudness = AudioCache(show_folder).measure(path, true_peak=False) if show_folder \
        else measure(path, true_peak=False)
    return [*header_warnings(path, read_format(path)), *sound_warnings(path, loudness)]


# --- deriving the published file -------------------------------------------------------------


@dataclass(frozen=True)
class Derived:
    """The published audio of one episode, and how it came from its source."""

    audio: AudioInfo          # the tagged file in the cache
    target: Target
    source: Loudness          # the master as it is (its true peak is the sample peak)
    published: Loudness       # the file apps get
    gain: float               # dB applied
    limited: bool             # whether the limiter was in the chain
    encoded: bool             # False when the cache already held it
    warnings: tuple[str, ...] = ()


class AudioCache:
    """``<show>/.warcast/cache/audio/``: derived audio and what was measured, all rebuildable."""

    def __init__(self, show_folder: Path) -> None:
        self.show_folder = show_folder
        self.folder = show_folder / CACHE_DIR / CACHE_FOLDER
        self.loudness = show_folder / CACHE_DIR / "loudness.json"
        self.used: set[str] = set()

    def file(self, name: str) -> Path:
        self.used.add(name)
        return self.folder / name

    def source_digest(self, path: Path) -> str:
        return remembered_digest(self.show_folder, path, file_sha256)

    def measure(self, path: Path, chain: str = "", *, true_peak: bool = True) -> Loudness:
        """``path``'s loudness after ``chain``, measured once per content."""
        key = digest("loudness", SCHEMA, self.source_digest(path), chain, true_peak)[:32]
        return measure(path, chain, cache=self.loudness, key=key, true_peak=true_peak)

    def remember(self, path: Path, loudness: Loudness) -> None:
        """Record what was measured of a file just made (so it is not decoded again)."""
        from warcast.audio.loudness import remember

        remember(self.loudness,
                 digest("loudness", SCHEMA, self.source_digest(path), "", True)[:32], loudness)

    def prune(self) -> None:
        """Drop derived files no episode uses any more (the live site keeps its own links)."""
        if not self.folder.is_dir():
            return
        for entry in self.folder.iterdir():
            if entry.name not in self.used and not entry.name.startswith("."):
                entry.unlink(missing_ok=True)


def derive(show: Show, episode: Episode, cache: AudioCache, tags: object) -> Derived:
    """The published audio of ``episode`` from its source, made or taken from the cache."""
    assert episode.audio.path is not None
    source = episode.audio.path
    form = read_format(source)
    target = target_for(show.audio, form.channels)
    # The sample peak is enough to tell whether the gain needs the limiter (the encoded file's
    # true peak is measured, and acted on, after), at a third of the cost of oversampling.
    raw = cache.measure(source, true_peak=False)
    warnings = [*header_warnings(source, form), *sound_warnings(source, raw)] \
        if is_master(episode.audio) else sound_warnings(source, raw)
    key = digest("derived", SCHEMA, cache.source_digest(source), dataclasses.astuple(target),
                 target.chain(), LIMITER_MARGIN, TOLERANCE, ffmpeg_version())[:24]
    encoded = cache.file(f"{key}{target.suffix}")
    made = not encoded.is_file()
    if made:
        plain = form.channels == target.channels and not (target.highpass or target.leveler)
        before = raw if plain else cache.measure(source, target.chain(), true_peak=False)
        cache.remember(encoded, _encode(source, target, before, encoded))
    published = cache.measure(encoded)
    gain_note = cache.file(f"{key}.gain")
    gain, limited = _read_gain(gain_note)
    warnings += _result_warnings(source, target, published, gain)
    tag_key = digest("tagged", key, _tag_bytes(tags))[:16]
    final = cache.file(f"{episode.slug}-{tag_key}{target.suffix}")
    if not final.is_file():
        _tagged_copy(encoded, final, tags)
    audio = dataclasses.replace(probe(final), url=None)
    return Derived(audio, target, raw, published, gain, limited, made, tuple(warnings))


def _encode(source: Path, target: Target, before: Loudness, out: Path) -> Loudness:
    """Make ``out`` from ``source`` at the target: gain, limiter where needed, encode,
    measure, and again with corrections while it misses (at most ATTEMPTS times)."""
    gain = target.loudness - before.integrated
    ceiling = None
    if before.true_peak + gain > target.true_peak - LIMITER_MARGIN:
        ceiling = target.true_peak - LIMITER_MARGIN
        gain = _limited_gain(source, target, gain, ceiling)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".", suffix=target.suffix, dir=out.parent)
    os.close(handle)
    attempt = Path(name)
    try:
        duration = read_format(source).duration
        if duration >= 3 * EXCERPT_SECONDS:
            gain += _encoder_loss(source, target, gain, ceiling, duration, attempt)
        result = before
        for _ in range(ATTEMPTS):
            _run_encoder(source, target, gain, ceiling, attempt)
            result = measure(attempt)
            miss = target.loudness - result.integrated
            over = result.true_peak - target.true_peak
            if abs(miss) <= TOLERANCE and over <= 0:
                break
            gain += miss
            if over > 0 or ceiling is not None:
                start = ceiling if ceiling is not None else target.true_peak - LIMITER_MARGIN
                ceiling = start - max(over, 0.0) - (0.2 if over > 0 else 0.0)
        _write_gain(out.with_suffix(".gain"), gain, ceiling is not None)
        os.chmod(attempt, 0o644)
        os.replace(attempt, out)
        return result
    finally:
        attempt.unlink(missing_ok=True)


def _limited_gain(source: Path, target: Target, gain: float, ceiling: float) -> float:
    """The gain that reaches the target through the limiter, which takes some loudness
    away: found by measuring the chain without encoding (a third of the cost of encoding)."""
    for _ in range(ATTEMPTS):
        level = measure(source, _filters(target, gain, ceiling), true_peak=False)
        miss = target.loudness - level.integrated
        if abs(miss) <= TOLERANCE / 2:
            break
        gain += miss
    return gain


def _encoder_loss(source: Path, target: Target, gain: float, ceiling: float | None,
                  duration: float, scratch: Path) -> float:
    """LU the encoder takes away (LAME drops faint high partials, which K-weighting counts),
    measured on an excerpt from the middle, so that one full encoding usually suffices."""
    excerpt = ("-ss", f"{duration / 2 - EXCERPT_SECONDS / 2:.3f}", "-t", str(EXCERPT_SECONDS))
    chain = _filters(target, gain, ceiling)
    plain = measure(source, chain, true_peak=False, reading=excerpt)
    _run_encoder(source, target, gain, ceiling, scratch, reading=excerpt)
    encoded = measure(scratch, true_peak=False)
    loss = plain.integrated - encoded.integrated
    return loss if abs(loss) <= 1.0 else 0.0   # more would not be the encoder: leave it


def _filters(target: Target, gain: float, ceiling: float | None) -> str:
    filters = [target.chain(), f"volume={gain:.3f}dB"]
    if ceiling is not None:
        limit = max(0.0625, 10 ** (ceiling / 20))
        filters.append(f"alimiter=limit={limit:.5f}:attack=5:release=50:level=false:latency=true")
    return ",".join(filters)


def _run_encoder(source: Path, target: Target, gain: float, ceiling: float | None,
                 out: Path, reading: tuple[str, ...] = ()) -> None:
    _extension, codec = ENCODINGS[target.format]
    run_ffmpeg(source, ["-map", "0:a:0", "-af", _filters(target, gain, ceiling),
                        "-map_metadata", "-1",
                        "-fflags", "+bitexact", "-flags:a", "+bitexact",
                        "-ar", str(OUTPUT_RATE), "-ac", str(target.channels),
                        "-b:a", f"{target.bitrate}k", *codec, "-y", str(out)],
               reading=reading)


def _write_gain(path: Path, gain: float, limited: bool) -> None:
    from warcast.files import write_atomic

    write_atomic(path, f"{gain:.3f} {int(limited)}\n".encode())


def _read_gain(path: Path) -> tuple[float, bool]:
    try:
        gain, limited = path.read_text(encoding="ascii").split()
        return float(gain), limited == "1"
    except (OSError, ValueError):
        return 0.0, False


def _result_warnings(source: Path, target: Target, published: Loudness,
                     gain: float) -> list[str]:
    warnings = []
    if gain > LOUD_GAIN:
        warnings.append(f"{source}: is very quiet; it was raised {gain:.0f} dB, and its noise "
                        "with it. Record or export it louder.")
    if abs(published.integrated - target.loudness) > 0.5 or \
            published.true_peak > target.true_peak:
        warnings.append(f"{source}: published at {published.describe()}, off the target "
                        f"({target.describe()}).")
    return warnings


def _tag_bytes(tags: object) -> bytes:
    import pickle

    return pickle.dumps(tags, protocol=5)


def _tagged_copy(encoded: Path, final: Path, tags: object) -> None:
    """Tag a copy of ``encoded`` and move it to ``final`` (readers never see it half done)."""
    import shutil

    from warcast.audio.tags import write_tags

    handle, name = tempfile.mkstemp(prefix=".", suffix=final.suffix, dir=final.parent)
    os.close(handle)
    copy = Path(name)
    try:
        shutil.copyfile(encoded, copy)
        write_tags(copy, tags)  # type: ignore[arg-type]
        os.chmod(copy, 0o644)
        os.replace(copy, final)
    finally:
        copy.unlink(missing_ok=True)


@functools.lru_cache(maxsize=1)
def ffmpeg_version() -> str:
    """ffmpeg's version line: a new encoder makes new files."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(["ffmpeg", "-version"], capture_output=True, check=False)
        return done.stdout.decode("utf-8", "replace").splitlines()[0]
    return "ffmpeg"


# --- the whole show --------------------------------------------------------------------------


def published_audio(show: Show, episodes: list[Episode], *, prune: bool = True
                    ) -> tuple[list[Episode], dict[str, Derived]]:
    """The episodes with the audio apps will get: each master (and, when asked, each encoded
    file) replaced by its derived file. Episodes are derived side by side, one per core."""
    from warcast.audio.tagging import cover_artwork, episode_tags
    from warcast.publish.layout import Layout

    chosen = [e for e in episodes if derives(e.audio, show.audio)]
    cache = AudioCache(show.folder)
    if not chosen:
        if prune:
            cache.prune()
        return episodes, {}
    layout = Layout(show)
    cover = cover_artwork(show)
    workers = max(1, min(len(chosen), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(lambda e: derive(show, e, cache,
                                              episode_tags(show, e, layout, cover)), chosen))
    derived = {e.name: d for e, d in zip(chosen, done, strict=True)}
    if prune:
        cache.prune()
    return [dataclasses.replace(e, audio=derived[e.name].audio) if e.name in derived else e
            for e in episodes], derived


# --- reporting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoundReport:
    """One episode's loudness: its source, and the file apps get when that is another."""

    episode: Episode
    target: Target
    source: Loudness | None           # None: no local file (served from elsewhere)
    derived: Derived | None = None    # None: published as it is
    warnings: tuple[str, ...] = ()

    @property
    def off_target(self) -> float | None:
        """LU between what apps get and the target (positive: louder)."""
        heard = self.derived.published if self.derived else self.source
        return None if heard is None else heard.integrated - self.target.loudness


def sound_reports(show: Show, episodes: list[Episode]) -> list[SoundReport]:
    """The loudness of each episode's source and published audio, deriving what publish
    would (into the cache, so the next publish reuses it)."""
    _, derived = published_audio(show, episodes, prune=False)
    cache = AudioCache(show.folder)
    reports = []
    for episode in episodes:
        if episode.name in derived:
            made = derived[episode.name]
            source = cache.measure(episode.audio.path)  # type: ignore[arg-type]
            reports.append(SoundReport(episode, made.target, source, made, made.warnings))
        elif episode.audio.path is None or episode.audio.url is not None:
            reports.append(SoundReport(episode, target_for(show.audio, 2), None))
        else:
            path = episode.audio.path
            source = cache.measure(path)
            target = target_for(show.audio, read_format(path).channels)
            reports.append(SoundReport(episode, target, source, None,
                                       tuple(sound_warnings(path, source))))
    return reports


def enclosure_warnings(enclosures: list[tuple[str, Path]], settings: AudioSettings,
                       cache: AudioCache | None = None) -> list[tuple[str, str]]:
    """(where, message) for each local enclosure more than 1 LU off the target or with true
    peaks over the ceiling (``warcast validate``)."""
    found = []
    for where, path in enclosures:
        try:
            loudness = cache.measure(path) if cache is not None else measure(path)
            target = target_for(settings, read_format(path).channels)
        except AudioError as exc:
            found.append((where, f"cannot measure the enclosure's loudness: {exc}"))
            continue
        if loudness.silent:
            found.append((where, f"enclosure {path.name} is silent"))
            continue
        off = loudness.integrated - target.loudness
        if abs(off) > 1.0:
            found.append((where, f"enclosure {path.name} is {loudness.integrated:.1f} LUFS, "
                          f"{abs(off):.1f} LU {'over' if off > 0 else 'under'} the "
                          f"{target.loudness:g} LUFS apps expect; publish it from a master or "
                          "set [audio] normalize_encoded = true"))
        if loudness.true_peak > target.true_peak:
            found.append((where, f"enclosure {path.name} peaks at {loudness.true_peak:.1f} "
                          f"dBTP, over {target.true_peak:g} dBTP: players may distort it"))
    return found


@locked("loudness")
def measure_show(folder: Path, selectors: tuple[str, ...] = ()) -> list[SoundReport]:
    """``warcast loudness``: the chosen episodes of the show in ``folder`` (all when none)."""
    from warcast.episodes import load_episodes, select
    from warcast.show import load_show

    show = load_show(folder)
    return sound_reports(show, select(load_episodes(show), selectors))


def feed_loudness(data: bytes, source: str, locate: Callable[[str], Path | None],
                  show_folder: Path | None = None) -> list[Finding]:
    """Warnings about the loudness of a feed's local enclosures, against the target of the
    show in ``show_folder`` when it has one (else Apple's defaults)."""
    from warcast.validation import parse_feed
    from warcast.validation.findings import warning

    settings, cache = AudioSettings(), None
    if show_folder is not None and (show_folder / "show.toml").is_file():
        from warcast.show import load_show

        settings, cache = load_show(show_folder).audio, AudioCache(show_folder)
    enclosures = []
    for index, item in enumerate(parse_feed(data, source=source).iterfind("channel/item"), 1):
        enclosure = item.find("enclosure")
        url = (enclosure.get("url") or "").strip() if enclosure is not None else ""
        path = locate(url) if url else None
        if path is not None and path.is_file():
            title = (item.findtext("title") or "").strip()
            enclosures.append((f"item {index} '{title}'" if title else f"item {index}", path))
    return [warning(where, "apple", message)
            for where, message in enclosure_warnings(enclosures, settings, cache)]
