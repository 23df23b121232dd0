"""The query language people already know, turned into a safe SQLite FTS5 expression.

``words`` (all must match), ``"exact phrases"``, ``prefix*``, ``a OR b``, ``-exclude``. Every
piece of user text ends up inside an FTS5 string literal, so no input (a stray quote, a
parenthesis, ``AND``, ``NEAR(``, a lone ``*``, control characters, 10 kB of text) can raise an
FTS syntax error or change the meaning of the expression.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

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
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

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

    def fts(self) -> str:
        """This term as an FTS5 string literal (a phrase when it holds several words)."""
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


def _without_stop_words(text: str, groups: list[list[Term]], excluded: list[Term]) -> Query:
    meaningful = [g for g in groups if not all(t.is_stop_word for t in g)]
    if meaningful:
        return Query(text, tuple(tuple(g) for g in meaningful), tuple(excluded))
    words = [t.words[0] for g in groups for t in g]
    if len(words) >= 2:   # "to be or not to be": only the exact phrase means anything
        return Query(text, ((Term(tuple(words[:MAX_TERMS]), phrase=True),),), tuple(excluded),
                     only_stop_words=True)
    return Query(text, (), tuple(excluded), only_stop_words=bool(words))


def approximate(query: Query, variants: Callable[[str], list[str]],
                rare: Callable[[str], bool]) -> Query | None:
    """The query loosened for misheard words: each word may also be one of its
    ``variants`` (index words that sound alike), and a phrase may have one word replaced by a
    variant or, from three words on, one word missing (when a ``rare`` word remains to keep
    that search short). None when nothing could be loosened."""
    loosened = False
    groups = []
    for group in query.groups:
        alternatives = list(group)
        for term in group:
            extra = _loose(term, variants, rare)
            loosened = loosened or bool(extra)
            alternatives.extend(extra)
        groups.append(tuple(dict.fromkeys(alternatives)))
    if not loosened:
        return None
    return Query(query.text, tuple(groups), query.excluded, query.only_stop_words)


def _loose(term: Term, variants: Callable[[str], list[str]],
           rare: Callable[[str], bool]) -> list[Term]:
    if term.prefix or term.is_stop_word or term.near:
        return []
    if not term.phrase:
        return [Term((v,)) for v in variants(term.words[0])]
    out = []
    for i, word in enumerate(term.words):
        if word in STOP_WORDS:
            continue
        out.extend(Term((*term.words[:i], v, *term.words[i + 1:]), phrase=True)
                   for v in variants(word)[:3])
        rest = term.words[:i] + term.words[i + 1:]
        if len(term.words) >= 3 and any(w not in STOP_WORDS and rare(w) for w in rest):
            out.append(Term(rest, near=True))
    return out[:MAX_TERMS]
