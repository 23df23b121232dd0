"""Search success@3 through the real command line, on interview episodes, the way a listener
searches: known-item queries written from the script, searched in warcast's own transcript.

Usage: python bench/findability.py [--part tuning|held-out|all] [--cli subprocess|runner]

Material. The eight two-voice interview scripts of the linking set (bench/linking/show/, other
topics and another writer than the bench's script) are spoken by espeak-ng sentence by
sentence, so the start of every sentence is known; the host and the guest get different
voices. Episodes 1-4 with the voices of :data:`TUNING` are the tuning part; episodes 5-8 with
other voices, speeds and accents (:data:`HELD_OUT`) are held out: the search is tuned on the
first and measured once on the second. The show keeps its hosts and guests but no glossary,
as a show that has not written one. The audio is transcribed by ``warcast transcribe``
(tiny.en, one thread), indexed by ``warcast index`` and searched by
``warcast search QUERY --json --limit 3``.

Queries. Written from the script, never from the transcript:
- by rule, for every sentence with enough words: a quoted 3-5 word phrase (``phrase``), the
  two or three longest words lower-cased (``keyword``), every capitalised word inside a
  sentence that is not a common word (``name``), and the same name with one letter changed as
  a listener might misspell it (``name-typo``);
- by hand (findability_queries.txt): what a listener would type, a remembered phrase slightly
  off, a question, keywords, a name spelled by ear.
A query succeeds when one of the first three hits starts within 15 s of where the script says
it: the sentence's start plus the words before the query's first word at the sentence's pace
(a name said several times in the episode: within 15 s of any of those places).

Results: bench/results/findability.md and findability.json, per part, per kind, per episode
(each episode has its own pair of voices). Audio and transcripts are cached under
bench/results/findability/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import wave
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SOURCE = BENCH / "linking" / "show"
WORK = BENCH / "results" / "findability"
HAND = BENCH / "findability_queries.txt"
TOLERANCE = 15.0
RATE = 22050
SENTENCE_GAP = 0.25
TURN_GAP = 0.6
# episode number -> (host voice, host speed, guest voice, guest speed)
TUNING = {1: ("en-us", 165, "en-gb-x-rp", 160), 2: ("en-us+f3", 160, "en-gb-scotland", 155),
          3: ("en-us", 165, "en-gb-x-rp", 160), 4: ("en-us+f3", 160, "en-gb-scotland", 155)}
HELD_OUT = {5: ("en-us-nyc", 175, "en-029", 150), 6: ("en-gb+f2", 150, "en-us+m3", 170),
            7: ("en-gb-x-gbcwmd", 160, "en-us+f4", 180), 8: ("en-gb-x-gbclan", 170, "en+m7", 145)}
PARTS = {"tuning": TUNING, "held-out": HELD_OUT}
_COMMON_TEXT = """
a an the and but or so if then than that this these those there here it its i i'm we you
he she they them our your my his her their what when where who why how which yes no not
now well okay ok let's let lets so on in at of to for from with by as about after before
first second third one two three last next new old today tomorrow yesterday hello welcome
thanks thank mr ms dr
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
"""
COMMON = frozenset(_COMMON_TEXT.split())
_NUMBER_TEXT = """eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen
twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion"""
NUMBERS = frozenset(_NUMBER_TEXT.split())   # capitalised, still not names: "War of Eighteen Twelve"


@dataclass(frozen=True)
class Sentence:
    text: str
    start: float
    seconds: float

    def moment(self, index: int) -> float:
        """When word ``index`` of the sentence is said (an even pace within the sentence)."""
        words = self.text.split()
        return self.start + self.seconds * index / max(len(words), 1)


@dataclass(frozen=True)
class Query:
    episode: str
    kind: str
    text: str
    at: float
    source: str     # rule | hand
    also: tuple[float, ...] = ()   # the other places it is said (a name said several times)

    def near(self, start: float) -> bool:
        return any(abs(start - t) <= TOLERANCE for t in (self.at, *self.also))


# --- material -----------------------------------------------------------------------------

def turns(script: str) -> list[tuple[str, str]]:
    """(speaker label, text) of each paragraph of a linking script."""
    out = []
    for block in script.split("\n\n"):
        lines = block.strip().splitlines()
        if lines:
            out.append((lines[0].rstrip(":").strip(), " ".join(" ".join(lines[1:]).split())))
    return out


def sentences_of(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", text) if s.strip()]


def _speak(text: str, voice: str, speed: int) -> Path:
    key = hashlib.sha256(f"{voice}|{speed}|{text}".encode()).hexdigest()[:20]
    target = WORK / "speech" / f"{key}.wav"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".part.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(temporary),
                        "--", text], check=True)
        subprocess.run(["sox", "-R", "-D", str(temporary), "-r", str(RATE), "-c", "1", "-b", "16",
                        str(target)], check=True)
        temporary.unlink()
    return target


def render(folder: Path, number: int, voices: tuple[str, int, str, int]) -> list[Sentence]:
    """Speak the episode's script into ``folder``/audio.mp3; the sentences with their starts."""
    host, host_speed, guest, guest_speed = voices
    script = next(SOURCE.glob(f"{number:04d}-*")) / "script.txt"
    timing = folder / "sentences.json"
    if timing.exists() and (folder / "audio.mp3").exists():
        return [Sentence(**s) for s in json.loads(timing.read_text())]
    frames, out, at = bytearray(), [], 0.0
    for label, text in turns(script.read_text(encoding="utf-8")):
        voice, speed = (host, host_speed) if label == "HOST" else (guest, guest_speed)
        for sentence in sentences_of(text):
            with wave.open(str(_speak(sentence, voice, speed))) as clip:
                data = clip.readframes(clip.getnframes())
            seconds = len(data) / 2 / RATE
            out.append(Sentence(sentence, round(at, 3), round(seconds, 3)))
            frames += data + bytes(2 * int(SENTENCE_GAP * RATE))
            at += seconds + SENTENCE_GAP
        frames += bytes(2 * int((TURN_GAP - SENTENCE_GAP) * RATE))
        at += TURN_GAP - SENTENCE_GAP
    joined = folder / "audio.wav"
    with wave.open(str(joined), "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(RATE)
        target.writeframes(bytes(frames))
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(joined),
                    "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
                    "-codec:a", "libmp3lame", "-b:a", "64k", "-ac", "1", str(folder / "audio.mp3")],
                   check=True)
    joined.unlink()
    timing.write_text(json.dumps([s.__dict__ for s in out], indent=1))
    return out


def show_folder(part: str) -> tuple[Path, dict[str, list[Sentence]]]:
    """The part's show folder, rendered (cached), and each episode's sentences by slug."""
    show = WORK / part
    show.mkdir(parents=True, exist_ok=True)
    settings = (SOURCE / "show.toml").read_text(encoding="utf-8")
    settings = re.sub(r"(?ms)^glossary = \[.*?\]\n", "threads = 1\n", settings)
    (show / "show.toml").write_text(settings, encoding="utf-8")
    cover = ROOT / "episodes" / "cover.jpg"
    if cover.exists() and not (show / "cover.jpg").exists():
        shutil.copy(cover, show / "cover.jpg")
    found = {}
    for number, voices in PARTS[part].items():
        source = next(SOURCE.glob(f"{number:04d}-*"))
        folder = show / source.name
        folder.mkdir(exist_ok=True)
        shutil.copy(source / "episode.toml", folder / "episode.toml")
        found[source.name] = render(folder, number, voices)
    return show, found


CODE = ROOT    # the warcast checkout whose command line is run (--code: another, to compare)


def warcast(show: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "warcast", "--show", str(show), *args],
                          capture_output=True, text=True, cwd=CODE)


# --- queries ------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")


def _clean(token: str) -> str:
    return token.strip(".,;:!?\"'()’‘“”")


def rule_queries(episode: str, sentences: list[Sentence]) -> list[Query]:
    """Phrases, keywords and names from every sentence of six words or more."""

    out = []
    for n, sentence in enumerate(sentences):
        words = [_clean(w) for w in sentence.text.split()]
        if len(words) < 6:
            continue
        size = 3 + n % 3
        begin = (n * 7) % max(1, len(words) - size)
        phrase = " ".join(words[begin:begin + size])
        out.append(Query(episode, "phrase", f'"{phrase}"', sentence.moment(begin), "rule"))
        longest = sorted(range(len(words)), key=lambda i: (-len(words[i]), i))[:2 + n % 2]
        keywords = " ".join(words[i].lower() for i in sorted(longest))
        out.append(Query(episode, "keyword", keywords, sentence.moment(min(longest)), "rule"))
        for i, word in enumerate(words[1:], 1):
            if word[:1].isupper() and word.lower() not in COMMON and len(word) >= 4 \
                    and word.isalpha() and word.lower() not in NUMBERS:
                said = tuple(s.moment(j) for s in sentences
                             for j, w in enumerate(s.text.split()) if _clean(w) == word)
                out.append(Query(episode, "name", word, sentence.moment(i), "rule", said))
                out.append(Query(episode, "name-typo", _misspelt(word), sentence.moment(i),
                                 "rule", said))
    return _first_of_each(out)


def _misspelt(name: str) -> str:
    """A listener's spelling: a doubled letter single, or one vowel changed, lower case."""
    word = name.lower()
    for i in range(1, len(word)):
        if word[i] == word[i - 1]:
            return word[:i] + word[i + 1:]
    vowels = [i for i, ch in enumerate(word) if ch in "aeiou" and i > 0]
    if not vowels:
        return word
    i = vowels[len(vowels) // 2]
    swap = {"a": "e", "e": "a", "i": "e", "o": "a", "u": "o"}[word[i]]
    return word[:i] + swap + word[i + 1:]


def _first_of_each(queries: list[Query]) -> list[Query]:
    """One query per (kind, text) in an episode: the first place it is said."""
    seen, out = set(), []
    for query in queries:
        key = (query.kind, query.text.lower())
        if key not in seen:
            seen.add(key)
            out.append(query)
    return out


def hand_queries(episode: str, sentences: list[Sentence]) -> list[Query]:
    """findability_queries.txt: ``episode | kind | query | words of the script where it is``."""
    out = []
    number = int(episode[:4])
    for line in HAND.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("|")]
        if int(fields[0]) != number:
            continue
        _, kind, text, anchor = fields
        out.append(Query(episode, kind, text, _locate(anchor, sentences), "hand"))
    return out


def _locate(anchor: str, sentences: list[Sentence]) -> float:
    wanted = anchor.lower().split()
    for sentence in sentences:
        words = [w.lower() for w in sentence.text.split()]
        for i in range(len(words) - len(wanted) + 1):
            if [_clean(w) for w in words[i:i + len(wanted)]] == [_clean(w) for w in wanted]:
                return sentence.moment(i)
    raise SystemExit(f"findability_queries.txt: '{anchor}' is not in the script")


# --- measuring ----------------------------------------------------------------------------

def prepare(part: str) -> tuple[Path, dict[str, list[Sentence]]]:
    show, sentences = show_folder(part)
    for step in (("--quiet", "transcribe"), ("--quiet", "index")):
        done = warcast(show, *step)
        if done.returncode:
            raise SystemExit(f"warcast {' '.join(step)} failed:\n{done.stdout}{done.stderr}")
    return show, sentences


def searched(show: Path, queries: list[Query]) -> list[tuple[Query, list[dict], bool]]:
    """Each query through the command line's own entry point (click's test runner, in this
    process: the same code as a shell runs, without 600 interpreter starts)."""
    from click.testing import CliRunner

    from warcast.cli import main
    runner = CliRunner()
    out = []
    for query in queries:
        done = runner.invoke(main, ["--show", str(show), "search", query.text, "--json",
                                    "--limit", "3"])
        hits = json.loads(done.output)["hits"] if done.exit_code == 0 else []
        slug = re.sub(r"^\d+-", "", query.episode)
        ok = any(h["episode"] == slug and query.near(h["start"]) for h in hits)
        out.append((query, hits, ok))
    return out


def _rate(results: list[tuple[Query, list[dict], bool]]) -> str:
    found = sum(ok for _, _, ok in results)
    return f"{found}/{len(results)} ({found / len(results):.2f})" if results else "-"


def report(part: str, results: list[tuple[Query, list[dict], bool]]) -> list[str]:
    scored = [r for r in results if r[0].kind != "name-typo"]
    lines = [f"### {part}", "",
             f"success@3 over phrase, keyword and name queries: {_rate(scored)}; "
             f"misspelt names: {_rate([r for r in results if r[0].kind == 'name-typo'])}", "",
             "| episode (voices) | phrase | keyword | name | name-typo | by hand | all |",
             "|---|---|---|---|---|---|---|"]
    by_episode: dict[str, list] = defaultdict(list)
    for result in results:
        by_episode[result[0].episode].append(result)
    voices = {next(SOURCE.glob(f"{n:04d}-*")).name: v for n, v in PARTS[part].items()}
    for episode, rows in sorted(by_episode.items()):
        host, _, guest, _ = voices[episode]
        cells = [_rate([r for r in rows if r[0].kind == kind and r[0].source == "rule"])
                 for kind in ("phrase", "keyword", "name", "name-typo")]
        hand = _rate([r for r in rows if r[0].source == "hand"])
        every = _rate([r for r in rows if r[0].kind != "name-typo"])
        lines.append(f"| {episode[:4]} ({host} / {guest}) | {' | '.join(cells)} | {hand} | "
                     f"{every} |")
    cells = [_rate([r for r in results if r[0].kind == kind and r[0].source == "rule"])
             for kind in ("phrase", "keyword", "name", "name-typo")]
    lines.append(f"| all | {' | '.join(cells)} | "
                 f"{_rate([r for r in results if r[0].source == 'hand'])} | {_rate(scored)} |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=["tuning", "held-out", "all"], default="all")
    parser.add_argument("--failures", action="store_true",
                        help="List the failed queries with their hits (for the tuning part).")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="Another warcast checkout to search with (e.g. the previous "
                             "release, unpacked by git archive), to compare side by side.")
    arguments = parser.parse_args()
    part = arguments.part
    global CODE
    CODE = arguments.code.resolve()
    sys.path.insert(0, str(CODE))   # before anything imports warcast
    parts = list(PARTS) if part == "all" else [part]
    lines, dump = ["## Search success@3 through `warcast search QUERY --json --limit 3`", ""], {}
    for name in parts:
        show, sentences = prepare(name)
        queries = [q for slug, said in sentences.items()
                   for q in rule_queries(slug, said) + hand_queries(slug, said)]
        results = searched(show, queries)
        lines += report(name, results)
        dump[name] = [{"episode": q.episode, "kind": q.kind, "source": q.source,
                       "query": q.text, "at": round(q.at, 1), "found": ok,
                       "hits": [(h["episode"][:4], h["start"], h["approximate"]) for h in hits]}
                      for q, hits, ok in results]
        if arguments.failures:
            for row in dump[name]:
                if not row["found"]:
                    print(row)
    name = "findability" + ("" if CODE == ROOT else f"-{CODE.name}")
    (BENCH / "results" / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")
    (BENCH / "results" / f"{name}-{part}.json").write_text(json.dumps(dump, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
