"""The query language people already know, turned into a safe SQLite FTS5 expression.

``words`` (all must match), ``"exact phrases"``, ``prefix*``, ``a OR b``, ``-exclude``. Every
piece of user text ends up inside an FTS5 string literal, so no input (a stray quote, a
parenthesis, ``AND``, ``NEAR(``, a lone ``*``, control characters, 10 kB of text) can raise an
FTS syntax error or change the meaning of the expression.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from warcast.search.numbers import is_number_word, written

MAX_QUERY_CHARS = 1000
MAX_TERMS = 24
MIN_PREFIX_CHARS = 2

# Words too common to narrow a search down; dropped unless the query has nothing else.
_STOP_TEXT = """
a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers herself him himself his how i if in into is
it its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them themselves
then there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours yourself yourselves
say said says talk talked talking mention mentioned discuss discussed
"""
# (The last line: what a listener's question wraps around the subject, "what did they say
# about drone costs": words that narrow nothing down in a spoken transcript.)
STOP_WORDS = frozenset(_STOP_TEXT.split())
MOST_GROUPS = 6             # the relaxed pass drops words only from queries this short

_ITEM = re.compile(r'(?P<neg>-?)"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+)')
_PIECE = re.compile(r"[^\W_]+")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"',
                         "\u00bb": '"'})


@dataclass(frozen=True)
class Term:
    """One thing the query looks for: a word, a phrase of words, or a word prefix."""

    words: tuple[str, ...]
    prefix: bool = False
    phrase: bool = False
    near: bool = False      # the words close together in any order (a phrase, one word off)
    expression: bool = False   # words[0] is an FTS expression built here from other terms

    def fts(self) -> str:
        """This term as an FTS5 string literal (a phrase when it holds several words)."""
        if self.expression:
            return f"({self.words[0]})"
        if self.near:
            quoted = " ".join('"' + w.replace('"', '""') + '"' for w in self.words)
            return f"NEAR({quoted}, {len(self.words) + 1})"
        body = '"' + " ".join(self.words).replace('"', '""') + '"'
        return body + "*" if self.prefix else body

    @property
    def is_stop_word(self) -> bool:
        return (not self.phrase and not self.prefix and len(self.words) == 1
                and self.words[0] in STOP_WORDS)


@dataclass(frozen=True)
class Query:
    """A parsed query: groups that must all match (each an OR of terms), and exclusions."""

    text: str
    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()
    only_stop_words: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def fts(self) -> str:
        """The FTS5 MATCH expression (empty when there is nothing to look for)."""
        if not self.groups:
            return ""
        parts = []
        for group in self.groups:
            alternatives = " OR ".join(term.fts() for term in group)
            parts.append(f"({alternatives})" if len(group) > 1 else alternatives)
        expression = " AND ".join(parts)
        for term in self.excluded:
            expression = f"({expression}) NOT {term.fts()}"
        return expression

    def plain_words(self) -> list[str]:
        """The single words looked for (not phrases or prefixes): what spelling hints fix."""
        return [t.words[0] for g in self.groups for t in g
                if len(t.words) == 1 and not t.prefix and not t.phrase]

    def respelled(self, fixes: dict[str, str]) -> Query:
        """The same query with some single words replaced (typo corrections)."""
        def fix(term: Term) -> Term:
            if len(term.words) == 1 and not term.prefix and not term.phrase \
                    and term.words[0] in fixes:
                return Term((fixes[term.words[0]],))
            return term
        return Query(self.text, tuple(tuple(fix(t) for t in g) for g in self.groups),
                     self.excluded, self.only_stop_words)


def normalize(text: str) -> str:
    """Lower case without diacritics or control characters, as the index tokenizer sees it."""
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(ch))
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text).lower()


def words_of(text: str) -> list[str]:
    """The index's words in ``text`` (letters and digits; everything else separates)."""
    return _PIECE.findall(normalize(text))


def parse(text: str) -> Query:
    """Parse what a person typed; never fails, whatever the input."""
    clean = "".join(" " if unicodedata.category(ch)[0] == "C" else ch
                    for ch in text[:MAX_QUERY_CHARS]).translate(_QUOTES)
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for match in _ITEM.finditer(clean):
        if match.group("word") == "OR":
            join_next = bool(groups)
            continue
        term, negative = _term(match)
        if term is None:
            continue
        if negative:
            excluded.append(term)
        elif join_next and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
        if len(groups) + len(excluded) >= MAX_TERMS:
            break
    return _without_stop_words(text, groups, excluded)


def _term(match: re.Match[str]) -> tuple[Term | None, bool]:
    if match.group("word") is None:
        words = tuple(words_of(match.group("phrase")))
        return (Term(words, phrase=len(words) > 1) if words else None), bool(match.group("neg"))
    raw = match.group("word")
    negative = raw.startswith("-") and len(raw) > 1
    raw = raw.lstrip("-")
    prefix = raw.endswith("*")
    words = tuple(words_of(raw))
    if not words:
        return None, False
    if prefix and len(words[-1]) < MIN_PREFIX_CHARS:
        prefix = False
    return Term(words, prefix=prefix, phrase=len(words) > 1), negative


def _with_numbers(groups: list[list[Term]]) -> list[list[Term]]:
    """Numbers said in words may also be found written in digits, as Whisper writes them:
    typed words in a row that make a number become one group, the words as a phrase OR the
    digits; a phrase holding a number gets the same phrase with the digits as an alternative."""
    out: list[list[Term]] = []
    run: list[list[Term]] = []

    def flush() -> None:
        words = tuple(w for g in run for w in g[0].words)
        digits = written(words) if words else None
        if digits:
            out.append([Term(words, phrase=len(words) > 1), Term((digits,))])
        else:
            out.extend(run)
        run.clear()

    for group in groups:
        term = group[0]
        if len(group) == 1 and not term.prefix and all(map(is_number_word, term.words)):
            run.append(group)
            continue
        flush()
        out.append(group + _numbers_in(term) if len(group) == 1 and term.phrase else group)
    flush()
    return out


def _numbers_in(term: Term) -> list[Term]:
    """The phrase with its number (the first run of number words) in digits, if it has one."""
    words = term.words
    begin = next((i for i, w in enumerate(words) if is_number_word(w)), None)
    if begin is None:
        return []
    end = begin
    while end < len(words) and is_number_word(words[end]):
        end += 1
    digits = written(words[begin:end])
    if digits is None:
        return []
    rest = (*words[:begin], digits, *words[end:])
    return [Term(rest, phrase=len(rest) > 1)]


def _without_stop_words(text: str, groups: list[list[Term]], excluded: list[Term]) -> Query:
    groups = _with_numbers(groups)
    meaningful = [g for g in groups if not all(t.is_stop_word for t in g)]
    if meaningful:
        return Query(text, tuple(tuple(g) for g in meaningful), tuple(excluded))
    words = [t.words[0] for g in groups for t in g]
    if len(words) >= 2:   # "to be or not to be": only the exact phrase means anything
        return Query(text, ((Term(tuple(words[:MAX_TERMS]), phrase=True),),), tuple(excluded),
                     only_stop_words=True)
    return Query(text, (), tuple(excluded), only_stop_words=bool(words))


Variants = Callable[[str], list[tuple[str, ...]]]


def approximate(query: Query, variants: Variants, rare: Callable[[str], bool],
                joined: Callable[[str, str], bool] = lambda a, b: False) -> Query | None:
    """The query loosened for misheard words: each word may also be one of its
    ``variants`` (index words that sound alike, or the word split in two as Whisper writes
    an unknown name: "Esse Quibo"), two words one ``joined`` index word ("zam zam" finds
    "Zamzam"), and a phrase may have one word replaced by a variant, its words close together
    with one more between them, or, from three words on, one word missing (when a ``rare``
    word remains to keep that search short). None when nothing could be loosened."""
    loosened = False
    groups = []
    for n, group in enumerate(query.groups):
        alternatives = list(group)
        for term in group:
            extra = _loose(term, variants, rare, joined)
            loosened = loosened or bool(extra)
            alternatives.extend(extra)
        for m in (n - 1, n + 1):   # the neighbours, in the order typed
            if not 0 <= m < len(query.groups):
                continue
            pair = _joined_pair(*((query.groups[m], group) if m < n else (group, query.groups[m])))
            if pair and joined(*pair):
                alternatives.append(Term(("".join(pair),)))
                loosened = True
        groups.append(tuple(dict.fromkeys(alternatives)))
    if not loosened:
        return None
    return Query(query.text, tuple(groups), query.excluded, query.only_stop_words)


def _joined_pair(first: tuple[Term, ...], second: tuple[Term, ...]) -> tuple[str, str] | None:
    a, b = first[0], second[0]
    if len(first) == len(second) == 1 and len(a.words) == len(b.words) == 1 \
            and not (a.prefix or b.prefix or a.is_stop_word or b.is_stop_word):
        return a.words[0], b.words[0]
    return None


def _loose(term: Term, variants: Variants, rare: Callable[[str], bool],
           joined: Callable[[str, str], bool]) -> list[Term]:
    if term.prefix or term.is_stop_word or term.near:
        return []
    if not term.phrase:
        return [Term(v, phrase=len(v) > 1) for v in variants(term.words[0])]
    out = []
    if any(w not in STOP_WORDS and rare(w) for w in term.words):   # one more word between
        out.append(Term(term.words, near=True))
    for i, word in enumerate(term.words):
        if i + 1 < len(term.words) and joined(word, term.words[i + 1]):
            out.append(Term((*term.words[:i], word + term.words[i + 1], *term.words[i + 2:]),
                            phrase=len(term.words) > 2))
        if word in STOP_WORDS:
            continue
        out.extend(Term((*term.words[:i], *v, *term.words[i + 1:]), phrase=True)
                   for v in variants(word)[:3])
        rest = term.words[:i] + term.words[i + 1:]
        if len(term.words) >= 3 and any(w not in STOP_WORDS and rare(w) for w in rest):
            out.append(Term(rest, near=True))
    return out[:MAX_TERMS]


def parts(query: Query) -> Query:
    """The query as separate parts to count: a lone phrase split into its words (not the
    common ones), so a phrase cut by a passage boundary is found by its larger part."""
    out: list[tuple[Term, ...]] = []
    for group in query.groups:
        if all(t.phrase for t in group):   # a phrase (with its number in digits)
            words = [[Term((w,))] for w in group[0].words if w not in STOP_WORDS]
            out.extend(tuple(g) for g in _with_numbers(words))
        else:
            out.append(group)
    return Query(query.text, tuple(dict.fromkeys(out)), query.excluded, query.only_stop_words)


def any_of(query: Query, keep: int,
           common: Callable[[tuple[Term, ...]], bool] = lambda group: False) -> Query | None:
    """The query with only ``keep`` of its groups required (any ``keep`` of them, but never
    ``common`` groups alone), for when a word was misheard beyond recognition or is not said
    in that passage. None when there is nothing to drop, or too many groups to combine
    cheaply, or no combination has an uncommon group."""
    if not 1 <= keep < len(query.groups) or len(query.groups) > MOST_GROUPS:
        return None
    chosen = tuple(Term((Query("", c).fts(),), expression=True)
                   for c in itertools.combinations(query.groups, keep)
                   if not all(map(common, c)))
    return Query(query.text, (chosen,), query.excluded, query.only_stop_words) if chosen \
        else None
