"""Word error rate, and how many names a transcript spelled right.

Both texts go through the same normalization before words are compared, so only real
recognition errors count:

1. Unicode accents are dropped and everything is lowercased ("Nicolás" → "nicolas").
2. "%" becomes "percent" and "&" becomes "and"; hyphens, dashes and slashes separate words
   ("shake-up" → "shake up"); apostrophes are removed ("don't" → "dont").
3. Numbers written as digits become words the way espeak-ng says them in US English, without
   "and" ("1" → "one", "1,000,000" → "one million", "250" → "two hundred fifty"). The script
   writes its few numbers as words, so Whisper's digits and the script's words meet here.
   Years, decimals and ordinals are not handled: the script avoids them.
4. Any other character that is not a letter or a digit separates words.

WER = (substitutions + deletions + insertions) / words in the reference, from a word-level
Levenshtein alignment.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
         "ninety"]
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"))
_SYMBOLS = {"%": " percent ", "&": " and ", "-": " ", "–": " ", "—": " ", "/": " "}


def normalize(text: str) -> list[str]:
    """The words of ``text`` in the comparable form described above."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    for symbol, spoken in _SYMBOLS.items():
        text = text.replace(symbol, spoken)
    text = re.sub(r"['’`]", "", text)
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    text = re.sub(r"\d+", lambda match: f" {number_words(int(match.group()))} ", text)
    return re.sub(r"[^a-z0-9]+", " ", text).split()


def number_words(number: int) -> str:
    """A whole number in US English words, without "and" (1205 → one thousand two hundred five)."""
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")
    for size, name in _SCALES:
        if number >= size:
            high, rest = divmod(number, size)
            return f"{number_words(high)} {name}" + (f" {number_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def edits(reference: list[str], hypothesis: list[str]) -> int:
    """Fewest word substitutions, deletions and insertions that turn one list into the other."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of ``hypothesis`` against ``reference`` as a fraction (0.05 = 5 %)."""
    ref = normalize(reference)
    return edits(ref, normalize(hypothesis)) / max(len(ref), 1)


def names_spelled(reference: str, hypothesis: str, names: Iterable[str]) -> tuple[int, int]:
    """How many of the names' occurrences in ``reference`` the hypothesis spelled exactly
    (per name, the smaller of the two counts), and how many occurrences there were."""
    ref, hyp = Counter(normalize(reference)), Counter(normalize(hypothesis))
    keys = [normalize(name)[0] for name in names]
    return sum(min(ref[key], hyp[key]) for key in keys), sum(ref[key] for key in keys)
