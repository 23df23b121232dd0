"""Respelling misheard names by their sound: "Hoothis" → "Houthis", "Esse Quibo" → "Essequibo".

Whisper writes a name it does not know as the common words or spellings it sounds like. A word
(or two adjacent words run together) is respelled as a glossary term only when both agree:
its sound key (a small Metaphone-like code: consonant classes, vowels dropped after the first
letter) is within one edit of the term's, and its letters are at least half the same. Common
words are never respelled, and nothing is respelled into a term that is not in the episode's
glossary, so a name that is not plausibly there cannot appear. Nor is a word Whisper has a
single token for: it spelled that word on purpose ("Tehran" is not a near miss of "Geran").
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

from warcast.transcript.model import Word

MIN_KEY = 3           # shorter sound keys ("kn" for Guyana) match too many words
MIN_LETTERS = 0.5     # letter similarity below this is a different word that sounds alike
_EDGE = ".,;:!?\"'()"
# Digraphs first, then single letters; a letter missing here is dropped (vowels, h, w, y).
_SOUNDS = (("sch", "sk"), ("ph", "f"), ("gh", "g"), ("ck", "k"), ("th", "t"), ("dh", "t"),
           ("sh", "x"), ("ch", "x"), ("qu", "k"), ("kh", "k"))
_LETTERS = {"b": "p", "c": "k", "d": "t", "f": "f", "g": "k", "j": "x", "k": "k", "l": "l",
            "m": "m", "n": "n", "p": "p", "q": "k", "r": "r", "s": "s", "t": "t", "v": "f",
            "x": "ks", "z": "s"}
_SOFT_C = re.compile(r"c(?=[eiy])")
_COMMON_TEXT = """
about above after again against also because been before being below between both could does
doing down during each from further have having here into itself more most myself once only
other over same should some such than that their them then there these they this those through
matter mother under until very were what when where which while whom with would your
yours just like
said says year years time people make made many much well back even still want very going
"""
_COMMON = frozenset(_COMMON_TEXT.split())


def sound_key(text: str) -> str:
    """A word's sound as a short code: the first letter, then consonant classes."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text.lower())
                    if "a" <= ch <= "z")
    if not plain:
        return ""
    head = "a" if plain[0] in "aeiouy" else "h" if plain[0] in "hw" else ""
    body = _SOFT_C.sub("s", plain)
    for digraph, sound in _SOUNDS:
        body = body.replace(digraph, sound)
    coded = head + "".join(_LETTERS.get(ch, "") for ch in body)
    return re.sub(r"(.)\1+", r"\1", coded)


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class _Target:
    text: str
    key: str


class Respeller:
    """Respells words as the glossary's single-word names when they sound and look alike."""

    def __init__(self, terms: tuple[str, ...],
                 known: Callable[[str], bool] | None = None) -> None:
        self._known = known or (lambda _word: False)
        tokens = {t for term in terms for t in term.split() if len(t) >= 4}
        self._targets = sorted((_Target(t, sound_key(t)) for t in tokens
                                if len(sound_key(t)) >= MIN_KEY), key=lambda t: t.text)
        self._exact = {t.text.lower() for t in self._targets}

    def match(self, text: str) -> str | None:
        """The glossary word ``text`` is a near miss of, or None."""
        lower = text.lower()
        if len(lower) < 4 or lower in self._exact or lower in _COMMON or self._known(text):
            return None   # a word Whisper has one token for it wrote on purpose ("Tehran")
        # Whisper capitalizes what it takes for a name; a lower-case word must look closer.
        return self._best(text, MIN_LETTERS if text[:1].isupper() else 0.75)

    def _best(self, text: str, least: float) -> str | None:
        lower = text.lower()
        key = sound_key(text)
        best, score = None, 0.0
        for target in self._targets:
            if abs(len(key) - len(target.key)) > 1 or _distance(key, target.key) > 1:
                continue
            letters = difflib.SequenceMatcher(None, lower, target.text.lower()).ratio()
            if key != target.key and letters < 0.7:   # a sound edit needs closer letters
                continue
            if letters >= least and letters > score:
                best, score = target.text, letters
        return best

    def words(self, words: list[Word]) -> list[Word]:
        """The words with near misses respelled; two words may join into one name."""
        if not self._targets:
            return words
        out: list[Word] = []
        i = 0
        while i < len(words):
            word = words[i]
            if i + 1 < len(words):
                joined = self._joined(word, words[i + 1])
                if joined is not None:
                    out.append(joined)
                    i += 2
                    continue
            out.append(self._single(word))
            i += 1
        return out

    def _single(self, word: Word) -> Word:
        core = word.text.strip(_EDGE)
        found = self.match(core)
        if found is None or not core:
            return word
        return replace(word, text=word.text.replace(core, found, 1))   # confidence kept

    def _joined(self, first: Word, second: Word) -> Word | None:
        """"Esse Quibo" as "Essequibo": only when neither word is a name or a common word."""
        a, b = first.text.strip(_EDGE), second.text.strip(_EDGE)
        if not a or not b or first.text != first.text.rstrip(_EDGE) \
                or (not b[0].isupper() and not a[0].isupper()):
            return None
        if a.lower() in _COMMON or b.lower() in _COMMON or len(a) < 2 or len(b) < 3:
            return None
        if a.lower() in self._exact or b.lower() in self._exact:
            return None
        found = self._best(a + b.lower(), 0.75)
        if found is None or sound_key(found) != sound_key(a + b):
            return None
        tail = second.text[len(second.text.rstrip(_EDGE)):]
        known = [w.probability for w in (first, second) if w.probability is not None]
        return Word(first.start, max(first.end, second.end), found + tail,
                    min(known) if known else None)
