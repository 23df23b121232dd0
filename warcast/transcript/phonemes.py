"""Words as the sounds they stand for, and how far two such sound strings are apart.

Whisper writes a name it does not know as common words that sound like it: "mail fascia" for
El Fasher, "cartoon" for Khartoum. Letters hide that, phonemes show it. espeak-ng (a system
package, the same one the tests use to make speech) converts the words to phonemes, all of
one transcript's words in one call, remembered for the rest of the run; spans of words are
then compared with the glossary's names by an edit distance that charges little for what
speech blurs (one vowel for another, a voiced consonant for its voiceless twin, a lost h or
r). Without espeak-ng nothing here runs and respelling keeps to its letter-based key.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable

ESPEAK = "espeak-ng"
VOICE = "en"        # British: no r after a vowel, so "Hafta" and "Haftar" sound the same
MAX_CACHED = 200_000
MAX_SIMILAR = 50_000   # remembered similarities (about 10 MB)
_CACHE: dict[str, tuple[str, ...]] = {}
_SIMILAR: dict[tuple[tuple[str, ...], tuple[str, ...], float], float] = {}
_LETTERS = re.compile(r"[^a-z' -]")
_MARKS = re.compile(r"\([a-z-]+\)|[ˈˌ‿ ̃-]")   # language switches, stress, ties, hyphens

# Vowels by where they are said, front to back (the last group central); within a group a
# substitution costs little, between neighbours a little more.
_VOWEL_GROUPS = ("iɪyᵻ", "eɛæ", "aɑʌɐ", "ɒɔo", "uʊ", "əɜɚ")
_CENTRAL = len(_VOWEL_GROUPS) - 1
_VOWEL = {v: n for n, group in enumerate(_VOWEL_GROUPS) for v in group}
_PAIRS = {frozenset(p): 0.3 for p in ("pb", "td", "kɡ", "fv", "θð", "sz", "ʃʒ")}
_PAIRS.update({frozenset(p): c for p, c in (("θt", 0.4), ("ðd", 0.4), ("tɾ", 0.2),
                                            ("dɾ", 0.2), ("sʃ", 0.5), ("zʒ", 0.5),
                                            ("mn", 0.5), ("nŋ", 0.4), ("kx", 0.3),
                                            ("hx", 0.4), ("lɹ", 0.7), ("wv", 0.6),
                                            ("ɡx", 0.5), ("tʔ", 0.3), ("ɹw", 0.6))})
_CHEAP_GAPS = {"ə": 0.3, "ɪ": 0.4, "h": 0.4, "ɹ": 0.5, "j": 0.5, "w": 0.5, "ʔ": 0.1}


def available() -> bool:
    """Whether espeak-ng can be run here."""
    return shutil.which(ESPEAK) is not None


def plain(word: str) -> str:
    """A word as espeak-ng gets it: lower case, accents dropped, letters, ' and - only."""
    folded = unicodedata.normalize("NFKD", word.lower().replace("’", "'"))
    return _LETTERS.sub("", "".join(ch for ch in folded if not unicodedata.combining(ch)))


def phonemes(words: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each word's phonemes (one symbol a phoneme, length marks dropped), from one espeak-ng
    call for every word not seen before in this process. Empty when espeak-ng is missing."""
    wanted = {w: plain(w) for w in words}
    new = sorted({p for p in wanted.values() if p.strip(" '-") and p not in _CACHE})
    if new and available():
        _CACHE.update(_run(new))
    return {w: _CACHE.get(p, ()) for w, p in wanted.items()}


def _run(words: list[str]) -> dict[str, tuple[str, ...]]:
    try:
        result = subprocess.run([ESPEAK, "-q", "--ipa", "-v", VOICE],
                                input="".join(f"{w}.\n" for w in words), capture_output=True,
                                text=True, timeout=60 + len(words) / 100, check=True)
    except (OSError, subprocess.SubprocessError):
        return {}
    lines = result.stdout.splitlines()
    if len(lines) != len(words):    # one line a word is what espeak-ng gives; else trust none
        return {}
    if len(_CACHE) + len(words) > MAX_CACHED:
        _CACHE.clear()
    return {word: symbols(line) for word, line in zip(words, lines, strict=True)}


def symbols(ipa: str) -> tuple[str, ...]:
    """espeak-ng's IPA as single symbols: stress, length and ties dropped, r as ɹ."""
    text = _MARKS.sub("", ipa).replace("ː", "").replace("r", "ɹ").replace("g", "ɡ")
    return tuple(ch for ch in text if not ch.isspace())


def _substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    va, vb = _VOWEL.get(a), _VOWEL.get(b)
    if va is not None and vb is not None:
        if va == vb:
            return 0.15
        return 0.3 if _CENTRAL in (va, vb) or abs(va - vb) == 1 else 0.5
    if va is not None or vb is not None:
        return 1.0
    return _PAIRS.get(frozenset((a, b)), 1.0)


class _Costs(dict[str, float]):
    """One phoneme's substitution cost for each other phoneme, filled as they are met."""

    def __init__(self, symbol: str) -> None:
        super().__init__()
        self._symbol = symbol

    def __missing__(self, other: str) -> float:
        self[other] = cost = _substitution(self._symbol, other)
        return cost


class _Table(dict[str, _Costs]):
    def __missing__(self, symbol: str) -> _Costs:
        self[symbol] = costs = _Costs(symbol)
        return costs


_SUBSTITUTIONS = _Table()


@functools.lru_cache(maxsize=256)
def _gap(a: str) -> float:
    return _CHEAP_GAPS.get(a, 0.5 if a in _VOWEL else 1.0)


def distance(a: tuple[str, ...], b: tuple[str, ...], limit: float = float("inf")) -> float:
    """The weighted edit distance between two phoneme strings; above ``limit`` as soon as
    every alignment costs more (then some value over ``limit``).

    The innermost loop of respelling by sound (a transcript's runs of words against every
    name), so written for speed: costs looked up in per-phoneme tables, the row walked with
    ``zip``; each cell sums the same costs in the same order as the plain recurrence."""
    gaps_b = [_gap(y) for y in b]
    previous = [0.0]
    for gap in gaps_b:
        previous.append(previous[-1] + gap)
    steps = list(zip(b, gaps_b, strict=True))
    for x in a:
        gap_x = _gap(x)
        costs = _SUBSTITUTIONS[x]
        left = previous[0] + gap_x
        current = [left]
        lowest = left
        for (y, gap_y), diagonal, above in zip(steps, previous, previous[1:], strict=False):
            left += gap_y
            if (up := above + gap_x) < left:
                left = up
            if (diagonal := diagonal + costs[y]) < left:
                left = diagonal
            current.append(left)
            if left < lowest:
                lowest = left
        if lowest > limit:
            return limit + 1.0
        previous = current
    return previous[-1]


def similarity(a: tuple[str, ...], b: tuple[str, ...], least: float = 0.0) -> float:
    """1 minus the distance over the longer string's length; 0 below ``least``. Remembered
    for the rest of the run: the same sounds ("of the") come back in every transcript."""
    key = (a, b, least)
    found = _SIMILAR.get(key)
    if found is None:
        if len(_SIMILAR) >= MAX_SIMILAR:
            _SIMILAR.clear()
        found = _SIMILAR[key] = _similarity(a, b, least)
    return found


def _similarity(a: tuple[str, ...], b: tuple[str, ...], least: float) -> float:
    longest = max(len(a), len(b))
    if not longest:
        return 0.0
    limit = (1.0 - least) * longest
    found = distance(a, b, limit)
    return 0.0 if found > limit else 1.0 - found / longest
