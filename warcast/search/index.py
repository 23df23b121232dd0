"""The search index: SQLite FTS5 over transcript passages and episode text, updated per episode.

Layout. ``passages`` is an FTS5 table (porter stemming over unicode61 without diacritics) whose
rowid encodes when and where a passage is: ``day << 32 | slot << 16 | n``, the episode's
publication day, a slot that tells apart episodes of one day, and the passage number. That
makes the filters cheap (an episode or a date range is a rowid range, which FTS5 honours
without reading other rows) and gives recency for free: a larger rowid is a newer episode.
``spans`` holds each passage's times, speaker and the start of every cue inside it, so a hit
lands on the cue where the matched words are spoken. ``terms`` counts the real (unstemmed)
words for spelling suggestions. Each episode row keeps a key of everything indexed from it, so
an unchanged episode is skipped and a changed one is replaced alone.

Ranking. BM25 (title, show notes and chapter titles count with the transcript), then a small
boost for recent episodes, then at most :data:`PER_EPISODE` hits per episode. A query matching
more than :data:`CANDIDATES` passages (very common words) is ranked among the newest
:data:`CANDIDATES` matches, which keeps the worst case bounded on a large catalog.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import json
import math
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from html import escape, unescape
from pathlib import Path

from warcast.database import Database
from warcast.errors import SearchError
from warcast.search.query import (
    STOP_WORDS,
    Query,
    Term,
    any_of,
    approximate,
    normalize,
    parse,
    parts,
)
from warcast.transcript.respelling import MIN_KEY, sound_key

SCHEMA_VERSION = 2
PER_EPISODE = 3
CANDIDATES = 2000
RECENCY_BOOST = 0.15        # the newest episode's score x 1.15, a year-old one's x 1.075
SNIPPET_WORDS = 24
RUN_WORDS = 12              # a run of query words: within this many words (about 4 s)
MAX_VARIANTS = 6            # misheard spellings tried per word
COMMON_WORD = 2000          # occurrences past which a word is not loosened

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS episodes (
    slug TEXT PRIMARY KEY, base INTEGER NOT NULL UNIQUE, title TEXT NOT NULL,
    published TEXT NOT NULL, page_url TEXT NOT NULL, audio_url TEXT NOT NULL,
    key TEXT NOT NULL, passages INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS spans (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, start REAL NOT NULL, end REAL NOT NULL,
    speaker TEXT NOT NULL, marks TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS terms (
    term TEXT PRIMARY KEY, display TEXT NOT NULL, count INTEGER NOT NULL,
    head TEXT NOT NULL, tail TEXT NOT NULL, size INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS terms_head ON terms (head, size);
CREATE INDEX IF NOT EXISTS terms_tail ON terms (tail, size);
CREATE TABLE IF NOT EXISTS sounds (sound TEXT NOT NULL, term TEXT NOT NULL,
    PRIMARY KEY (sound, term)) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS passages USING fts5(
    body, tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3');
"""


@dataclass(frozen=True)
class Passage:
    """A searchable stretch: transcript speech, or an episode's title, notes, guests, chapter."""

    kind: str                 # transcript | title | notes | chapter
    start: float
    end: float
    text: str
    speaker: str = ""
    marks: tuple[tuple[int, float], ...] = ()   # (character offset, start) of each cue


@dataclass(frozen=True)
class IndexedEpisode:
    """Everything the index holds about one episode."""

    slug: str
    title: str
    published: dt.date
    page_url: str
    audio_url: str
    passages: tuple[Passage, ...]

    def key(self) -> str:
        """A digest of everything indexed from the episode."""
        data = json.dumps([self.title, self.published.isoformat(), self.page_url,
                           self.audio_url, [list(p.__dict__.values()) for p in self.passages]],
                          ensure_ascii=False, default=list)
        return hashlib.sha256(data.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Source:
    """An episode as the index sees it before reading it: ``key`` is a digest of its inputs,
    and ``build`` reads it, called only when the key differs from the indexed one."""

    slug: str
    key: str
    build: Callable[[], IndexedEpisode]

    @classmethod
    def of(cls, episode: IndexedEpisode) -> Source:
        return cls(episode.slug, episode.key(), lambda: episode)


@dataclass(frozen=True)
class Hit:
    """One place where the query matched."""

    episode: str
    title: str
    start: float
    end: float
    speaker: str
    snippet: str       # HTML: escaped text with the matches in <mark>
    url: str           # the episode page at the moment
    audio_url: str     # the audio at the moment (media fragment)
    score: float
    kind: str
    approximate: bool = False   # found through misheard words, not the words typed

    @property
    def plain_snippet(self) -> str:
        """The snippet for a terminal: the matches in *asterisks*, text unescaped."""
        return unescape(re.sub(r"</?mark>", "*", self.snippet))

    def as_json(self) -> dict[str, object]:
        return {"episode": self.episode, "title": self.title, "start": self.start,
                "end": self.end, "speaker": self.speaker, "snippet": self.snippet,
                "url": self.url, "audio_url": self.audio_url, "approximate": self.approximate}


@dataclass
class SearchResult:
    """Hits best first, and the spelling suggestions used when the query found nothing."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    note: str = ""

    def as_json(self) -> dict[str, object]:
        return {"query": self.query, "hits": [h.as_json() for h in self.hits],
                "suggestions": self.suggestions}


@dataclass
class UpdateReport:
    """What an index update did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


@functools.lru_cache(maxsize=1)
def check_fts5() -> None:
    """Fail clearly when this Python's SQLite was built without FTS5."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    except sqlite3.OperationalError:
        raise SearchError(f"this Python's SQLite {sqlite3.sqlite_version} has no FTS5",
                          hint="Use a Python whose sqlite3 module includes FTS5 "
                               "(python.org and Debian builds do)") from None
    finally:
        connection.close()


class SearchIndex(Database):
    """One index file; open it, update it with episodes, search it."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        if not create and not path.is_file():
            raise SearchError("no search index yet", path=path,
                              hint="Run 'warcast index' (or 'warcast publish') first")
        check_fts5()
        try:
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.create_function("sound_key", 1, sound_key, deterministic=True)
            self.db.executescript(_SCHEMA) if create else None
            self._check_version(create)
        except sqlite3.DatabaseError as exc:
            raise SearchError(f"not a usable search index ({exc})", path=path,
                              hint="Delete it and run 'warcast index' to rebuild it") from None

    def _check_version(self, create: bool) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None and create:
            self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif row is None or row[0] != str(SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"schema {row[0] if row else 'missing'}, "
                                        f"expected {SCHEMA_VERSION}")

    # --- updating ---------------------------------------------------------------------------

    def update(self, episodes: Iterable[IndexedEpisode | Source], *,
               prune: bool = True) -> UpdateReport:
        """Bring the index in line with ``episodes``: unchanged ones are not read or touched;
        with ``prune``, episodes not given are removed."""
        report = UpdateReport()
        known = {slug: key for slug, key in self.db.execute("SELECT slug, key FROM episodes")}
        seen = set()
        for item in episodes:
            source = item if isinstance(item, Source) else Source.of(item)
            seen.add(source.slug)
            key = f"{SCHEMA_VERSION}:{source.key}"
            if known.get(source.slug) == key:
                report.unchanged += 1
                continue
            episode = source.build()
            with self._transaction():
                if episode.slug in known:
                    self._remove(episode.slug)
                    report.updated += 1
                else:
                    report.added += 1
                self._add(episode, key)
        if prune:
            for slug in sorted(set(known) - seen):
                with self._transaction():
                    self._remove(slug)
                report.removed += 1
        unkeyed = self.db.execute("SELECT NOT EXISTS (SELECT 1 FROM sounds) AND EXISTS "
                                  "(SELECT 1 FROM terms)").fetchone()[0]
        if report.added or report.updated or unkeyed:   # unkeyed: made before sound keys
            with self._transaction():   # once per update: the new words' sound keys
                self.db.execute(
                    "INSERT OR IGNORE INTO sounds SELECT sound_key(term), term FROM terms "
                    "WHERE size >= 4 AND term NOT IN (SELECT term FROM sounds)")
        return report

    def _transaction(self):  # type: ignore[no-untyped-def]
        return _Transaction(self.db)

    def _add(self, episode: IndexedEpisode, key: str) -> None:
        base = self._free_base(episode.published)
        count = min(len(episode.passages), 1 << 16)
        rows = [(base + n, p) for n, p in enumerate(episode.passages[:count])]
        self.db.executemany("INSERT INTO passages (rowid, body) VALUES (?, ?)",
                            [(rowid, p.text) for rowid, p in rows])
        self.db.executemany("INSERT INTO spans VALUES (?, ?, ?, ?, ?, ?)",
                            [(rowid, p.kind, p.start, p.end, p.speaker, json.dumps(p.marks))
                             for rowid, p in rows])
        self.db.execute("INSERT INTO episodes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (episode.slug, base, episode.title, episode.published.isoformat(),
                         episode.page_url, episode.audio_url, key, count))
        self._count_terms((p.text for _, p in rows), +1)

    def _remove(self, slug: str) -> None:
        base, count = self.db.execute("SELECT base, passages FROM episodes WHERE slug = ?",
                                      (slug,)).fetchone()
        texts = [t for (t,) in self.db.execute(
            "SELECT body FROM passages WHERE rowid BETWEEN ? AND ?", (base, base + count - 1))]
        self._count_terms(texts, -1)
        self.db.execute("DELETE FROM passages WHERE rowid BETWEEN ? AND ?",
                        (base, base + count - 1))
        self.db.execute("DELETE FROM spans WHERE id BETWEEN ? AND ?", (base, base + count - 1))
        self.db.execute("DELETE FROM episodes WHERE slug = ?", (slug,))

    def _free_base(self, published: dt.date) -> int:
        day = published.toordinal() << 32
        used = {b for (b,) in self.db.execute(
            "SELECT base FROM episodes WHERE base BETWEEN ? AND ?", (day, day + (1 << 32) - 1))}
        for slot in range(1 << 16):
            if day + (slot << 16) not in used:
                return day + (slot << 16)
        raise SearchError(f"more than 65,536 episodes on {published}", path=self.path)

    def _count_terms(self, texts: Iterable[str], sign: int) -> None:
        counts: Counter[str] = Counter()
        display: dict[str, str] = {}
        for text in texts:
            for raw in _SURFACE.findall(text):
                term = raw.lower() if raw.isascii() else normalize(raw)
                counts[term] += 1
                if sign > 0 and (term not in display or raw[:1].isupper()):
                    display[term] = raw
        if sign > 0:
            self.db.executemany(
                "INSERT INTO terms VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(term) DO UPDATE SET "
                "count = count + excluded.count, display = excluded.display",
                [(t, display[t], n, t[:2], t[-2:], len(t)) for t, n in counts.items()])
        else:
            self.db.executemany("UPDATE terms SET count = count - ? WHERE term = ?",
                                [(n, t) for t, n in counts.items()])
            self.db.execute("DELETE FROM sounds WHERE term IN "
                            "(SELECT term FROM terms WHERE count <= 0)")
            self.db.execute("DELETE FROM terms WHERE count <= 0")

    # --- searching --------------------------------------------------------------------------

    def search(self, text: str, *, limit: int = 10, episode: str | None = None,
               since: dt.date | None = None, until: dt.date | None = None,
               speaker: str | None = None, suggest: bool = True) -> SearchResult:
        """Ranked hits for what a person typed; never raises on odd input."""
        query = parse(text)
        result = SearchResult(query=text)
        if query.is_empty:
            result.note = ("only very common words: put them in quotes for an exact phrase"
                           if query.only_stop_words else "nothing to search for")
            return result
        bounds = self._bounds(episode, since, until)
        if bounds is None:
            return result
        result.hits = self._ranked(query, bounds, limit, speaker, grouped=episode is None)
        if not result.hits and suggest:
            fixes = self.suggest(query.plain_words())
            if fixes:
                result.suggestions = sorted(set(fixes.values()), key=list(fixes.values()).index)
                respelled = query.respelled({k: normalize(v) for k, v in fixes.items()})
                result.hits = [replace(hit, approximate=True) for hit in self._ranked(
                    respelled, bounds, limit, speaker, grouped=episode is None)]
        if len(result.hits) < limit and suggest:
            self._add_approximate(result, query, bounds, limit, speaker, episode is None)
        return result

    def _add_approximate(self, result: SearchResult, query: Query, bounds: tuple[int, int],
                         limit: int, speaker: str | None, grouped: bool) -> None:
        """Passages that match with misheard words (sound-alike or one-edit index words, a
        name split or joined, or a phrase with one word wrong), then passages that hold most
        of the query's parts, fewer and fewer of them (a word misheard past recognition, a
        question's wording, a phrase cut by a passage boundary): after the exact hits, marked
        approximate."""
        seen = {(h.episode, h.start) for h in result.hits}
        loose = approximate(query, self.variants, self.rare, self.joined)
        if loose is not None:
            self._append(result, loose, loose, seen, bounds, limit, speaker, grouped)
        plain = parts(query)
        if plain.groups == query.groups:
            split = loose or query
        else:
            split = approximate(plain, self.variants, self.rare, self.joined) or plain
            if len(plain.groups) == 1 and len(result.hits) < limit:   # a phrase's one word
                self._append(result, split, split, seen, bounds, limit, speaker, grouped)
        count = len(split.groups)
        least = 1 if count <= 3 else (count + 1) // 2   # any word of three; half of more
        for keep in range(count - 1, least - 1, -1):
            if len(result.hits) >= limit:
                break
            fewer = any_of(split, keep, self._common)
            if fewer is not None:
                self._append(result, fewer, split, seen, bounds, limit, speaker, grouped)

    def _common(self, group: tuple[Term, ...]) -> bool:
        """Whether every alternative of ``group`` is a common word (or a phrase of them): a
        passage holding only such words of the query is no evidence, and a long search."""
        return all(not t.expression and not any(self.rare(w) for w in t.words) for t in group)

    def _append(self, result: SearchResult, query: Query, shown: Query, seen: set,
                bounds: tuple[int, int], limit: int, speaker: str | None,
                grouped: bool) -> None:
        for hit in self._ranked(query, bounds, limit, speaker, grouped=grouped, shown=shown):
            if (hit.episode, hit.start) not in seen and len(result.hits) < limit:
                seen.add((hit.episode, hit.start))
                result.hits.append(replace(hit, approximate=True))

    def rare(self, word: str) -> bool:
        """Whether ``word`` is rare enough to search loosely (see :data:`COMMON_WORD`)."""
        return self.count(word) <= COMMON_WORD

    def joined(self, first: str, second: str) -> bool:
        """Whether the two words written as one are an indexed word ("zam zam": Zamzam)."""
        return len(first) + len(second) >= 5 and 0 < self.count(first + second) <= COMMON_WORD

    def variants(self, word: str) -> list[tuple[str, ...]]:
        """How Whisper may have written ``word``: indexed words that sound like it (the same
        sound key, at most two edits away), the most frequent first, then the word split in
        two indexed words ("Essequibo": "Esse Quibo"); :data:`MAX_VARIANTS` at most. None for
        a common word: its exact matches are plenty, and loosening it would cost a long
        posting list."""
        if len(word) < 4 or self.count(word) > COMMON_WORD:
            return []
        found: dict[str, int] = {}
        if len(sound_key(word)) >= MIN_KEY:
            reach = 1 if len(word) <= 5 else 2
            try:
                rows = self.db.execute(
                    "SELECT terms.term, terms.count FROM sounds JOIN terms USING (term) "
                    "WHERE sounds.sound = ? AND terms.count <= ?",
                    (sound_key(word), COMMON_WORD)).fetchall()
            except sqlite3.OperationalError:   # an index made before sound keys were kept
                rows = []
            found = {term: count for term, count in rows
                     if term != word and _edit_distance(word, term, reach) <= reach}
        alike: list[tuple[str, ...]] = [(t,) for t in sorted(found, key=lambda t: (-found[t], t))]
        return (alike + self._splits(word))[:MAX_VARIANTS]

    def _splits(self, word: str) -> list[tuple[str, ...]]:
        """``word`` cut in two indexed words of three letters or more, not common ones."""
        if len(word) < 7:
            return []
        out = []
        for cut in range(3, len(word) - 2):
            head, tail = word[:cut], word[cut:]
            if head not in STOP_WORDS and tail not in STOP_WORDS \
                    and self.count(head) and self.count(tail):
                out.append((head, tail))
        return out

    def count(self, word: str) -> int:
        """How often ``word`` occurs in the index (0 when it does not)."""
        row = self.db.execute("SELECT count FROM terms WHERE term = ?", (word,)).fetchone()
        return int(row[0]) if row else 0

    def _bounds(self, episode: str | None, since: dt.date | None,
                until: dt.date | None) -> tuple[int, int] | None:
        low, high = 0, (1 << 62)
        if episode is not None:
            row = self.db.execute("SELECT base, passages FROM episodes WHERE slug = ?",
                                  (episode,)).fetchone()
            if row is None:
                return None
            low, high = row[0], row[0] + max(row[1], 1) - 1
        if since is not None:
            low = max(low, since.toordinal() << 32)
        if until is not None:
            high = min(high, ((until.toordinal() + 1) << 32) - 1)
        return (low, high) if low <= high else None

    def _ranked(self, query: Query, bounds: tuple[int, int], limit: int, speaker: str | None,
                *, grouped: bool, shown: Query | None = None) -> list[Hit]:
        """The hits of ``query``, best first; ``shown`` is what to mark in the snippets when
        it is not the query itself."""
        expression = query.fts()
        low, high = bounds
        limit = max(1, min(limit, 100))
        wanted = limit * (PER_EPISODE + 2) + 20 if grouped else limit
        try:
            # The newest CANDIDATES matches with their BM25 (all of them, for all but the
            # commonest words), ranked here: one pass over the index instead of two.
            if speaker:   # only the passages of that speaker
                found = self.db.execute(
                    "SELECT passages.rowid, bm25(passages) FROM passages JOIN spans "
                    "ON spans.id = passages.rowid WHERE passages MATCH ? AND passages.rowid "
                    "BETWEEN ? AND ? AND spans.speaker = ? COLLATE NOCASE "
                    "ORDER BY passages.rowid DESC LIMIT ?",
                    (expression, low, high, speaker.strip(), CANDIDATES)).fetchall()
            else:
                found = self.db.execute(
                    "SELECT rowid, bm25(passages) FROM passages WHERE passages MATCH ? "
                    "AND rowid BETWEEN ? AND ? ORDER BY rowid DESC LIMIT ?",
                    (expression, low, high, CANDIDATES)).fetchall()
            ranked = sorted(found, key=lambda row: (row[1], -row[0]))[:wanted]
            if not ranked:
                return []
            ids = [rowid for rowid, _ in ranked]
            marks = ",".join("?" * len(ids))
            bodies = dict(self.db.execute(
                f"SELECT rowid, body FROM passages WHERE rowid IN ({marks})", ids))
            spans = {row[0]: row[1:] for row in self.db.execute(
                f"SELECT id, kind, start, end, speaker, marks FROM spans WHERE id IN ({marks})",
                ids)}
        except sqlite3.OperationalError as exc:   # a query the parser let through: report, no trace
            raise SearchError(f"the search failed ({exc})", path=self.path,
                              hint="Simplify the query") from None
        matcher = _Matcher(shown or query)
        rows = [(rowid, score, bodies[rowid], *spans[rowid], matcher) for rowid, score in ranked
                if rowid in bodies and rowid in spans]
        return self._hits(rows, limit, grouped)

    def _hits(self, rows: Sequence[tuple], limit: int, grouped: bool) -> list[Hit]:
        """Rescore with the recency boost, group by episode, then make snippets for the hits
        kept (only those: snippets are the costly part)."""
        if not rows:
            return []
        episodes = self._episodes_for({row[0] for row in rows})
        newest = max(e[3] for e in episodes.values())
        scored = []
        for row in rows:
            ordinal = episodes[row[0] >> 16][3]
            age_years = max(0.0, (newest - ordinal) / 365.25)
            scored.append((-row[1] * (1 + RECENCY_BOOST * math.pow(0.5, age_years)), row))
        scored.sort(key=lambda item: (-item[0], -item[1][0]))
        hits: list[Hit] = []
        per_episode: Counter[int] = Counter()
        for score, (rowid, _, body, kind, start, end, speaker, marks, matcher) in scored:
            if grouped and per_episode[rowid >> 16] >= PER_EPISODE:
                continue
            per_episode[rowid >> 16] += 1
            slug, title, _published, _ordinal, page_url, audio_url = episodes[rowid >> 16]
            snippet, first = matcher.snippet(body)
            at = _moment(first, json.loads(marks), start)
            hits.append(Hit(
                episode=slug, title=title, start=round(at, 3), end=round(end, 3),
                speaker=speaker, snippet=snippet, url=_at(page_url, at, "?t="),
                audio_url=_at(audio_url, at, "#t="), score=round(score, 4), kind=kind))
            if len(hits) == limit:
                break
        return hits

    def _episodes_for(self, rowids: set[int]) -> dict[int, tuple]:
        bases = sorted({rowid >> 16 << 16 for rowid in rowids})
        found = {}
        for chunk in range(0, len(bases), 500):
            part = bases[chunk:chunk + 500]
            marks = ",".join("?" * len(part))
            for slug, base, title, published, page_url, audio_url in self.db.execute(
                    "SELECT slug, base, title, published, page_url, audio_url FROM episodes "
                    f"WHERE base IN ({marks})", part):
                ordinal = dt.date.fromisoformat(published).toordinal()
                found[base >> 16] = (slug, title, published, ordinal, page_url, audio_url)
        return found

    def suggest(self, words: Sequence[str]) -> dict[str, str]:
        """For each word the index does not hold, the nearest indexed word, if one is close:
        Damerau-Levenshtein distance 1 (2 past five letters), sharing its first or last two
        letters (where most typos are not), the most frequent first."""
        fixes = {}
        for word in words:
            if len(word) < 3 or self.db.execute("SELECT 1 FROM terms WHERE term = ?",
                                                (word,)).fetchone():
                continue
            reach = 1 if len(word) <= 5 else 2
            letters = set(word)
            best = None
            for term, display, count in self.db.execute(
                    "SELECT term, display, count FROM terms WHERE head = ? AND size BETWEEN ? "
                    "AND ? UNION SELECT term, display, count FROM terms WHERE tail = ? AND size "
                    "BETWEEN ? AND ?", (word[:2], len(word) - reach, len(word) + reach,
                                        word[-2:], len(word) - reach, len(word) + reach)):
                if len(letters.symmetric_difference(term)) > 2 * reach:
                    continue
                distance = _edit_distance(word, term, reach)
                if distance <= reach:
                    rank = (distance, -count, term)
                    if best is None or rank < best[0]:
                        best = (rank, display)
            if best is not None:
                fixes[word] = best[1]
        return fixes

    def stats(self) -> dict[str, int]:
        episodes, passages = self.db.execute(
            "SELECT count(*), coalesce(sum(passages), 0) FROM episodes").fetchone()
        return {"episodes": episodes, "passages": passages}


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type | None, *_: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


_SURFACE = re.compile(r"[^\W_]+")


def _moment(first: int, marks: list[list[float]], start: float) -> float:
    """The start of the cue holding the character at ``first`` (the passage start if none)."""
    if first < 0 or not marks:
        return start
    offsets = [int(m[0]) for m in marks]
    index = bisect.bisect_right(offsets, first) - 1
    return float(marks[max(index, 0)][1])


class _Matcher:
    """Finds the query's words in a passage for the snippet, as the index would: exact words,
    prefixes, and shared stems (a common start of all but the last two letters, four at least:
    "sanction" marks "sanctions", "insurer" marks "insurers")."""

    def __init__(self, query: Query) -> None:
        terms = [t for g in query.groups for t in g if not t.expression]
        self.words = {w for t in terms for w in (t.words[:-1] if t.prefix else t.words)}
        self.prefixes = tuple(t.words[-1] for t in terms if t.prefix)

    def matches(self, token: str) -> bool:
        return self.which(token) is not None

    def which(self, token: str) -> str | None:
        """The query word (or prefix) that ``token`` matches, None when none does."""
        if token in self.words:
            return token
        if self.prefixes and token.startswith(self.prefixes):
            return next(p for p in self.prefixes if token.startswith(p))
        for word in sorted(self.words):
            if len(word) >= 4 and len(token) >= 4 and token[:4] == word[:4]:
                common = next((i for i, (a, b) in enumerate(zip(token, word, strict=False))
                               if a != b), min(len(token), len(word)))
                if common >= max(4, min(len(token), len(word)) - 2):
                    return word
        return None

    @staticmethod
    def densest(found: list[tuple[int, str]]) -> int:
        """Of the matched tokens (position, query word), the one that starts the run holding
        the most different query words within :data:`RUN_WORDS` tokens (common words count
        only to break ties): where the passage says what was searched, not the first place a
        word of it occurs."""
        best, at = (-1, 0), 0
        for n, (position, _) in enumerate(found):
            run = {word for place, word in found[n:] if place - position < RUN_WORDS}
            rank = (sum(w not in STOP_WORDS for w in run), len(run))
            if rank > best:
                best, at = rank, n
        return at

    def snippet(self, text: str, size: int = SNIPPET_WORDS) -> tuple[str, int]:
        """HTML: about ``size`` words around the first match, matches in ``<mark>``, the rest
        escaped; and the character offset of the densest run of matches (-1 when none is
        found)."""
        tokens = [(m.start(), m.end(), m.group()) for m in _SURFACE.finditer(text)]
        found = [(i, word) for i, (_, _, raw) in enumerate(tokens)
                 if (word := self.which(raw.lower() if raw.isascii() else normalize(raw)))]
        hits = [i for i, _ in found]
        if not tokens:
            return escape(" ".join(text.split()), quote=False), -1
        first = found[self.densest(found)][0] if found else 0
        begin = max(0, min(first - size // 4, len(tokens) - size))
        window = tokens[begin:begin + size]
        marked = set(hits)
        out = ["…" if begin > 0 else ""]
        cursor = 0 if begin == 0 else window[0][0]
        for i, (left, right, _raw) in enumerate(window, begin):
            out.append(escape(text[cursor:left], quote=False))
            piece = escape(text[left:right], quote=False)
            out.append(f"<mark>{piece}</mark>" if i in marked else piece)
            cursor = right
        end = window[-1][1]
        tail = text[end] if end < len(text) and not text[end].isspace() else ""
        out.append(escape(tail, quote=False) + ("…" if begin + size < len(tokens) else ""))
        return " ".join("".join(out).split()), (tokens[first][0] if hits else -1)


def _at(url: str, seconds: float, marker: str) -> str:
    return f"{url}{marker}{int(seconds)}"


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count one), stopping past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
