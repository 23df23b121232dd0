"""The linking set made ready to score: rendered audio, real transcripts, timed labels.

Everything derived lives under ``bench/results/linking/`` (git-ignored) and is reused while
its inputs are unchanged: the show is copied there and voiced by ``scripts/render_sample.sh``
(whose printed paragraph starts are the ground-truth times), then every episode is transcribed
with the real Whisper model, once per transcription setup:

- ``glossary``: what ``warcast transcribe`` does (the show's glossary and the host's and
  guest's names as hotwords, then the episode's title and summary, glossary respelling);
- ``plain``: no glossary, no hotwords and no title or summary, so names come out as Whisper
  hears them (the hard case for misheard names).

There are four sets (:data:`SETS`): ``ours`` (``bench/linking/``: the 54 articles and 8 episodes
the linker was first tuned on, voiced by ``scripts/render_sample.sh``), ``other``
(``bench/linking/other/``: other topics, writers, article lengths and styles, episode styles and
voices, voiced by voices.py) and ``held`` (``bench/linking/held/``: two more topics, written
after the second round of tuning began and never tuned on), and ``held2``
(``bench/linking/held2/``: three more topics, written before the third round's settings were
scored, and scored once). In every set but ``ours`` the
``glossary`` setup gives Whisper what
``warcast transcribe`` would after the articles are imported: the episode's derived glossary
(warcast/transcript/glossary.py), since its show has no hand-made one. Whisper runs on one thread.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from warcast.articles import Article
from warcast.articles.sources import read_source
from warcast.transcript.model import Transcript, Word, cues_from_words

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = ROOT / "bench" / "results" / "linking"
SETUPS = ("glossary", "plain")
SETS = {"ours": HERE, "other": HERE / "other", "held": HERE / "held",
        "held2": HERE / "held2"}
"""Name → folder holding ``articles.jsonl``, ``labels.json`` and ``show/``."""
_PARAGRAPH = re.compile(r"paragraph\s+(\d+)\s+(\w+)\s+start\s+\S+\s+\(\s*([\d.]+) s\)\s+"
                        r"duration\s+([\d.]+) s")
_EPISODE = re.compile(r"^== (\S+) ->")


@dataclass(frozen=True)
class Paragraph:
    index: int
    start: float
    end: float
    grades: dict[str, int]
    """url → grade (1 or 2); empty when the paragraph discusses no article."""


@dataclass(frozen=True)
class EpisodeCase:
    """One episode of the set: its transcript, paragraphs with labels, and what it links."""

    name: str
    topic: str
    """The topic (cluster) the episode is mostly about: what leave-one-topic-out holds out."""
    title: str
    notes: str
    transcript: Transcript
    paragraphs: tuple[Paragraph, ...]
    episode_links: dict[str, tuple[int, float]]
    """url → (grade, time of its first paragraph)."""
    names: tuple[str, ...] = ()
    """The episode's glossary, derived from the articles of both sets (glossary.py)."""


def articles(name: str = "ours") -> tuple[list[Article], dict[str, str]]:
    """A set's articles through warcast's JSON Lines importer, and url → cluster (which
    only the bench reads)."""
    path = SETS[name] / "articles.jsonl"
    batch = read_source(str(path), members_category="Members Only")
    clusters = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        clusters[record["url"]] = record["cluster"]
    return list(batch.articles), clusters


def cases(setup: str, log=print, name: str = "ours") -> list[EpisodeCase]:
    """Every episode of a set with its real transcript (rendering and transcribing when
    needed)."""
    results = _results(name)
    show = results / "show"
    times = render(show, log, name)
    labels = json.loads((SETS[name] / "labels.json").read_text(encoding="utf-8"))
    _, clusters = articles(name)
    return [_case(show, episode, labels[episode], times[episode], setup, log, name, clusters)
            for episode in sorted(labels)]


def _results(name: str) -> Path:
    return RESULTS if name == "ours" else RESULTS / name


def render(show: Path, log=print, name: str = "ours") -> dict[str, list[tuple[float, float]]]:
    """Voice the show (cached by the scripts' hash); each paragraph's (start, end)."""
    source = SETS[name] / "show"
    files = [p for p in source.rglob("*") if p.is_file()]
    if name != "ours":
        files.append(SETS[name] / "voices.json")
    digest = _digest(sorted(p.read_bytes() for p in files))
    results = _results(name)
    results.mkdir(parents=True, exist_ok=True)
    cache = results / "times.json"
    if cache.is_file():
        saved = json.loads(cache.read_text())
        if saved["digest"] == digest and all((show / n / "audio.mp3").is_file()
                                             for n in saved["times"]):
            return saved["times"]
    shutil.copytree(source, show, dirs_exist_ok=True)
    shutil.copy(ROOT / "episodes" / "cover.jpg", show / "cover.jpg")
    log(f"rendering {show}")
    if name == "ours":
        output = subprocess.run([str(ROOT / "scripts" / "render_sample.sh"), str(show)],
                                check=True, capture_output=True, text=True).stdout
        times = _parse_render(output)
        (results / "render.txt").write_text(output)
    else:
        import voices

        times = voices.render(show, SETS[name] / "voices.json")
    cache.write_text(json.dumps({"digest": digest, "times": times}, indent=1))
    return times


def _parse_render(output: str) -> dict[str, list[tuple[float, float]]]:
    times: dict[str, list[tuple[float, float]]] = {}
    current = ""
    for line in output.splitlines():
        if match := _EPISODE.match(line):
            current = match.group(1)
            times[current] = []
        elif match := _PARAGRAPH.search(line):
            start, duration = float(match.group(3)), float(match.group(4))
            times[current].append((start, round(start + duration, 3)))
    return times


def _case(show: Path, name: str, label: dict, times: list[tuple[float, float]], setup: str,
          log, corpus: str, clusters: dict[str, str]) -> EpisodeCase:
    import tomllib

    meta = tomllib.loads((show / name / "episode.toml").read_text(encoding="utf-8"))
    paragraphs = tuple(
        Paragraph(p["paragraph"], *times[p["paragraph"]],
                  {k["url"]: k["grade"] for k in p["links"]})
        for p in label["paragraphs"])
    links = {e["url"]: (e["grade"], times[e["first_paragraph"]][0]) for e in label["episode_links"]}
    words = transcribe(show, name, setup, log, corpus)
    transcript = Transcript(cues_from_words(words), "en")
    notes = " ".join([meta.get("summary", ""), *meta.get("keywords", [])])
    weight = Counter(clusters[e["url"]] for e in label["episode_links"] for _ in range(e["grade"]))
    topic = min(weight, key=lambda c: (-weight[c], c))
    return EpisodeCase(name, topic, meta["title"], notes, transcript, paragraphs, links,
                       glossary(show, name))


def transcribe(show: Path, name: str, setup: str, log=print, corpus: str = "ours"
               ) -> list[Word]:
    """The real model's words for one episode (cached by audio, options and hotwords)."""
    from warcast.show import load_show
    from warcast.transcript.transcribe import context as described
    from warcast.transcript.whisper import transcribe_words

    loaded = load_show(show)
    episode = _episode(loaded, name)
    options = replace(loaded.transcribe, threads=1)
    results = _results(corpus)
    if corpus == "ours":
        hotwords = ("Nora Halvorsen", *_guests(show / name))
    else:
        hotwords = _derived_glossary(loaded, episode, corpus)
    context = described(episode.title, episode.summary)
    if setup == "plain":
        options, hotwords, context = replace(options, glossary=()), (), ""
    audio = show / name / "audio.mp3"
    key = _digest([audio.read_bytes(), repr(options).encode(), repr(hotwords).encode(),
                   context.encode()])
    cache = results / "transcripts" / setup / f"{name}.json"
    if cache.is_file() and json.loads(cache.read_text())["key"] == key:
        return [Word(*w) for w in json.loads(cache.read_text())["words"]]
    log(f"transcribing {name} ({setup})")
    words, _ = transcribe_words(audio, options, hotwords=hotwords, context=context)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"key": key, "words": [[w.start, w.end, w.text] for w in words]}))
    return words


def glossary(folder: Path, name: str) -> tuple[str, ...]:
    """The glossary ``warcast`` derives for an episode when the articles of both sets are
    imported (the show's own glossary terms first, then hosts, guests and the articles'
    names): what the linker may use as evidence."""
    from warcast.show import load_show
    from warcast.transcript.glossary import glossary_for

    show = load_show(folder)
    return glossary_for(show, _episode(show, name), _texts(tuple(SETS))).terms


def _texts(names: tuple[str, ...]) -> list[str]:
    return [" \n".join([a.title, a.dek, a.body, ", ".join(a.tags), ", ".join(a.authors)])
            for name in names for a in articles(name)[0]]


def _episode(show, name: str):
    """The show's episode in folder ``name``."""
    from warcast.episodes import load_episodes

    return next(e for e in load_episodes(show) if e.folder.name == name)


def _derived_glossary(show, episode, corpus: str) -> tuple[str, ...]:
    """The terms ``warcast transcribe`` gives Whisper for an episode of a show whose articles
    were imported and that has no glossary file: hosts, guests, then names from the articles."""
    from warcast.transcript.glossary import glossary_for

    return glossary_for(show, episode, _texts((corpus,))).terms


def _guests(folder: Path) -> tuple[str, ...]:
    import tomllib

    meta = tomllib.loads((folder / "episode.toml").read_text(encoding="utf-8"))
    return tuple(g["name"] for g in meta.get("guests", []))


def _digest(parts: list[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()
