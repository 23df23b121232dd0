"""Terms: what text becomes before it is matched, for articles and transcripts alike.

Words are folded to ASCII lowercase, stop words and spoken fillers dropped, and the rest cut to
a light stem (plurals, -ing, -ed, final e) so "sanctioned" meets "sanctions". Proper names in
an article (capitalized words away from a sentence start, tags, the title's capitalized words)
are its *entities*: the specific actors and places that tell one article of a topic cluster
from its neighbours. :func:`sound_key` folds a word to how it sounds, roughly, so a name that
speech recognition spelled wrong can still be found (see :mod:`warcast.links.index`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator

_WORD = re.compile(r"[A-Za-z0-9]+")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n)[\"'“‘(]*$")


def _word_list(text: str) -> list[str]:
    return text.split()


STOP_WORDS = frozenset(_word_list("""
a about above after again against ago all almost also although always am among an and another
any anyone anything anyway are around as at away back be became because become been before
being below between both but by can cannot could did do does doing done down during each
either else enough even ever every few first for from further get gets getting give given go
goes going gone good got great had has have having he her here hers herself him himself his
how however i if in into is it its itself just keep kind know known last least less let like
likely little lot lots made make makes many may maybe me might more most much must my myself
need needs never new next no nobody none nor not nothing now of off often on once one only onto
or other others our ours ourselves out over own part people per perhaps put quite rather
really right s said same say says see seem seems seen several shall she should since so some
someone something sometimes still such sure t take taken tell than that the their theirs them
themselves then there these they thing things think this those though three through thus time
times to today told too took toward two under until up upon us use used very want was way we
week weeks well went were what whatever when where whether which while who whole whom whose why
will with within without would yeah year years yes yet you your yours yourself
okay ok oh um uh hmm mm actually basically course mean means sort guess look looks
"""))
"""Words too common to tell one article from another, in writing or on air."""

CALENDAR = frozenset(_word_list("""
monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december
"""))
"""Capitalized, but never the name an article is about."""

SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ies", "y"), ("sses", "ss"), ("ings", ""), ("ing", ""), ("edly", ""), ("ed", ""),
    ("es", ""), ("s", ""),
)
"""Light stemming, first match wins; a stem keeps at least three letters."""

SOUNDS: tuple[tuple[str, str], ...] = (
    ("ph", "f"), ("ck", "k"), ("qu", "k"), ("q", "k"), ("c", "k"), ("x", "ks"), ("z", "s"),
    ("y", "i"), ("w", "v"), ("dh", "d"), ("th", "t"), ("gh", "g"), ("kh", "k"),
)
"""Spelling to rough sound for :func:`sound_key`, applied in order."""


def fold(text: str) -> str:
    """``text`` without accents (Côte → Cote), so both sides spell names alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The lowercased words of ``text``, stop words included (names span them)."""
    return [word.lower() for word in _WORD.findall(fold(text))]


def stem(word: str) -> str:
    """A light stem of a lowercased word: "sanctioned", "sanctions" → "sanction"."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) + len(replacement) >= 3:
            if suffix == "s" and word.endswith(("ss", "us")):
                continue
            word = word[: len(word) - len(suffix)] + replacement
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # "shipp" (shipping) → "ship"
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def terms(text: str) -> list[str]:
    """The stems of the content words of ``text``, in order."""
    return [stem(word) for word in words(text) if word not in STOP_WORDS and len(word) > 1]


def term_counts(text: str) -> Counter[str]:
    return Counter(terms(text))


def entities(texts: Iterable[str], tags: Iterable[str] = ()) -> frozenset[str]:
    """Stems of the proper names in ``texts`` and ``tags``: capitalized words that do not
    merely start a sentence (a word seen capitalized only there is not trusted)."""
    named: set[str] = set()
    for text in texts:
        named.update(_capitalized(fold(text)))
    for tag in tags:
        named.update(terms(tag) if any(ch.isupper() for ch in tag) else ())
    return frozenset(named)


def _capitalized(text: str) -> Iterator[str]:
    for word, named in spoken_words(text):
        if named:
            yield stem(word)


def spoken_words(text: str) -> Iterator[tuple[str, bool]]:
    """The lowercased content words of ``text``, each with whether it was written as a name:
    capitalized, and not merely because it starts a sentence."""
    text = fold(text)
    for match in _WORD.finditer(text):
        word = match.group()
        lower = word.lower()
        if lower in STOP_WORDS or len(word) < 2:
            continue
        named = word[0].isupper() and not _SENTENCE_START.search(
            text[max(0, match.start() - 4):match.start()])
        yield lower, named and lower not in CALENDAR


def sound_key(word: str) -> str:
    """A rough spelling of how ``word`` sounds: doubled letters and vowel runs collapsed."""
    key = word.lower()
    for spelling, sound in SOUNDS:
        key = key.replace(spelling, sound)
    out: list[str] = []
    for ch in key:
        vowel = ch in "aeiou"
        if out and (out[-1] == ch or (vowel and out[-1] in "aeiou")):
            continue
        out.append(ch)
    return "".join(out)


def trigrams(key: str) -> set[str]:
    """Character trigrams of ``key`` with its ends marked."""
    padded = f"^{key}$"
    return {padded[i:i + 3] for i in range(len(padded) - 2)}
