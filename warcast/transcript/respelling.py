"""Respelling misheard names by their sound: "mail fascia" → "El Fasher", "cartoon" → "Khartoum".

Whisper writes a name it does not know as the common words or spellings it sounds like. The
words and the episode's glossary names are turned into phonemes (espeak-ng, see
:mod:`warcast.transcript.phonemes`), and a run of one to three words is respelled as a name
when their phonemes are close to the name's: a weighted edit distance (a vowel for a
neighbouring vowel, a voiced consonant for its voiceless twin and a lost h or r cost little)
at most 22 % of the longer string's length. Guards keep common phrases from being
respelled into names: only names of the episode's glossary are targets (acronyms are not:
Whisper writes letters it hears), a run that holds a glossary name's word as it is stays (it
was heard), a run of words the model has as single tokens must sound closer (85 %) and not be
words Whisper was all but sure of, and the phoneme strings must be of like length. The best
match wins where runs overlap; the new word spans the run's time.

Without espeak-ng, a word (or two adjacent words run together) is respelled when both agree:
its sound key (a small Metaphone-like code: consonant classes, vowels dropped after the first
letter) is within one edit of the term's, and its letters are at least half the same. Common
words are never respelled, nor a word Whisper has a single token for: it spelled that word
on purpose ("Tehran" is not a near miss of "Geran").
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

from warcast.transcript import phonemes
from warcast.transcript.model import Word

MIN_KEY = 3           # shorter sound keys ("kn" for Guyana) match too many words
MIN_LETTERS = 0.5     # letter similarity below this is a different word that sounds alike
# By sound: the phoneme similarity a run of words needs (bench/accuracy.py, tuning part: the
# lowest at which another topic's glossary gets no more names written than the letter key's)…
MIN_SOUND = 0.78
MIN_SOUND_KNOWN = 0.85   # …when every word of it is one of the model's whole-word tokens…
SURE = 0.95              # …which it may not all be written with at least this probability
MAX_RUN = 3              # words respelled as one name ("mail fascia", "ham and tea")
MIN_PHONEMES = 4         # shorter names ("Lai") sound like too many words
LENGTH_RATIO = 0.6       # the shorter phoneme string at least this share of the longer
WHOLE_NAME = 0.65        # a part of a name found ("fascia" → Fasher) takes the words around
                         # it for the whole name ("mail fascia" → El Fasher) at this much
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
                 known: Callable[[str], bool] | None = None, *,
                 by_sound: bool | None = None) -> None:
        self._known = known or (lambda _word: False)
        self._by_sound = phonemes.available() if by_sound is None else by_sound
        self._sound = _SoundTargets(terms, self._known)
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
        """The words with near misses respelled: by sound (one to three words into one
        name) where espeak-ng is installed, else by the letters' sound key."""
        if self._by_sound:
            found = self._sound.words(words)
            if found is not None:
                return found
        return self.by_letters(words)   # espeak-ng missing, or it failed on these words

    def by_letters(self, words: list[Word]) -> list[Word]:
        """The words with near misses respelled by key; two words may join into one name."""
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


_POSSESSIVE = re.compile(r"['’]s$")
_CLAUSE_END = tuple(".,;:!?")


def _core(text: str) -> str:
    """A word without the punctuation around it and a possessive 's."""
    return _POSSESSIVE.sub("", text.strip(_EDGE + "“”‘’"))


class _SoundTargets:
    """The glossary names as phonemes, and the runs of words that sound like them."""

    def __init__(self, terms: tuple[str, ...], known: Callable[[str], bool]) -> None:
        self._known = known
        self._heard = {part for term in terms for part in re.split(r"[\s-]+", term.lower())}
        names: list[str] = []
        for term in terms:
            parts = re.split(r"[\s-]+", term)
            if term.upper() == term or all(known(p) for p in parts):
                continue   # acronyms, and words Whisper spells whenever it hears them
            names.append(term)
            names.extend(w for w in term.split() if len(w) >= 4 and not known(w)
                         and len(term.split()) > 1)
        self._names = tuple(dict.fromkeys(names))
        self._parted: dict[str, list[str]] = {}
        for term in self._names:
            if len(term.split()) > 1:
                for part in term.split():
                    self._parted.setdefault(part.lower(), []).append(term)
        # the best name for a run's sounds at a bar (the same sounds come back: "of the")
        self._seen: dict[tuple[tuple[str, ...], float], tuple[float, str] | None] = {}
        self._wholes = {part: (term, index) for term in reversed(self._names)
                        if len(term.split()) > 1
                        for index, part in enumerate(term.split()) if part in self._names}

    def _heard_as_is(self, core: str) -> bool:
        lower = core.lower()
        return lower in self._heard or any(p in self._heard for p in re.split(r"[\s-]+", lower))

    def words(self, words: list[Word]) -> list[Word] | None:
        """The words with runs that sound like a name respelled; None when espeak-ng gave
        no phonemes."""
        if not self._names or not words:
            return words
        cores = [_core(w.text) for w in words]
        sounds = phonemes.phonemes([*cores, *(w for n in self._names for w in n.split())])
        if not any(sounds.values()):
            return None
        names = {n: s for n in self._names
                 if len(s := tuple(p for w in n.split() for p in sounds[w])) >= MIN_PHONEMES}
        if not names:
            return words
        found = []
        for i in range(len(words)):
            for j in range(i + 1, min(i + MAX_RUN, len(words)) + 1):
                if not cores[j - 1] or self._heard_as_is(cores[j - 1]):
                    break
                if j - i > 1 and words[j - 2].text.endswith(_CLAUSE_END):
                    break
                match = self._best(words[i:j], cores[i:j], sounds, names)
                if match is not None:
                    found.append((match[0], j - i, i, match[1]))
        # the closest first; of two alike, the longer run and the longer name
        found.sort(key=lambda f: (-f[0], -f[1], -len(f[3]), f[2], f[3]))
        taken: set[int] = set()
        chosen: dict[int, tuple[int, str]] = {}
        for _score, size, start, name in found:
            if taken.isdisjoint(range(start, start + size)):
                taken.update(range(start, start + size))
                chosen[start] = (size, name)
        for start, (size, name) in sorted(chosen.items()):
            whole = self._whole(words, cores, sounds, start, size, name, taken)
            if whole is not None:
                del chosen[start]
                chosen[whole[0]] = whole[1:]
                taken.update(range(whole[0], whole[0] + whole[1]))
        for start, size, term in self._completed(words, cores, sounds, taken):
            chosen[start] = (size, term)
            taken.update(range(start, start + size))
        out: list[Word] = []
        i = 0
        while i < len(words):
            if i not in chosen:
                out.append(words[i])
                i += 1
                continue
            size, name = chosen[i]
            out.append(_spoken_as(words[i:i + size], name))
            i += size
        return out

    def _whole(self, words: list[Word], cores: list[str], sounds: dict[str, tuple[str, ...]],
               start: int, size: int, part: str,
               taken: set[int]) -> tuple[int, int, str] | None:
        """The run widened to the whole name ``part`` belongs to, when the words around it
        sound like the rest of that name."""
        if part not in self._wholes:
            return None
        term, index = self._wholes[part]
        count = len(term.split())
        first, last = start - index, start + size + count - index - 1
        extra = [*range(first, start), *range(start + size, last)]
        if any(k in taken for k in extra) \
                or not self._fits(words, cores, sounds, first, last, term, extra, WHOLE_NAME):
            return None
        return first, last - first, term

    def _fits(self, words: list[Word], cores: list[str], sounds: dict[str, tuple[str, ...]],
              first: int, last: int, term: str, free: list[int], least: float, *,
              sure_stays: bool = False) -> bool:
        """Whether ``words[first:last]`` may be respelled as ``term``: the run lies inside
        the words, its ``free`` words (those no part of the name was found in) are neither
        empty nor a glossary word as it is (nor, with ``sure_stays``, a whole-token word
        Whisper was sure of), no clause ends inside it, and it sounds like the name at
        ``least``."""
        if first < 0 or last > len(words):
            return False
        if any(not cores[k] or self._heard_as_is(cores[k])
               or (sure_stays and self._known(cores[k].lower())
                   and (words[k].probability or 0) >= SURE) for k in free) \
                or any(words[k].text.endswith(_CLAUSE_END) for k in range(first, last - 1)):
            return False
        heard = tuple(p for core in cores[first:last] for p in sounds.get(core, ()))
        sound = tuple(p for w in term.split() for p in sounds.get(w, ()))
        return phonemes.similarity(heard, sound, least) >= least

    def _completed(self, words: list[Word], cores: list[str],
                   sounds: dict[str, tuple[str, ...]],
                   taken: set[int]) -> list[tuple[int, int, str]]:
        """Names heard in part ("Mael Fasher" for El Fasher): a word spelled as one part of a
        glossary name takes the words where the rest of the name belongs, when the whole run
        sounds like the name (MIN_SOUND) and none of those words is another of its parts, a
        glossary word as it is, or a common word Whisper was sure of."""
        found: list[tuple[int, int, str]] = []
        used = set(taken)
        for k, core in enumerate(cores):
            for term in self._parted.get(core.lower(), ()) if len(core) >= 3 else ():
                parts = term.split()
                index = [p.lower() for p in parts].index(core.lower())
                first, last = k - index, k - index + len(parts)
                if not used.isdisjoint(range(first, last)):
                    continue
                others = [m for m in range(first, last) if m != k]
                if self._fits(words, cores, sounds, first, last, term, others, MIN_SOUND,
                              sure_stays=True):
                    found.append((first, last - first, term))
                    used.update(range(first, last))
                    break
        return found

    def _best(self, run: list[Word], cores: list[str], sounds: dict[str, tuple[str, ...]],
              names: dict[str, tuple[str, ...]]) -> tuple[float, str] | None:
        heard = tuple(p for core in cores for p in sounds.get(core, ()))
        if not heard:
            return None
        least = MIN_SOUND
        if all(self._known(c) or self._known(c.lower()) for c in cores):
            sure = [w.probability for w in run if w.probability is not None]
            if sure and min(sure) >= SURE:
                return None   # common words Whisper was sure of
            least = MIN_SOUND_KNOWN
        if (heard, least) in self._seen:   # the same sounds again ("of the"): same answer
            return self._seen[heard, least]
        best: tuple[float, str] | None = None
        for name, sound in names.items():
            if min(len(sound), len(heard)) < LENGTH_RATIO * max(len(sound), len(heard)):
                continue
            score = phonemes.similarity(heard, sound, least)
            if score >= least and (best is None or score > best[0]):
                best = (score, name)
        self._seen[heard, least] = best
        return best


def _spoken_as(run: list[Word], name: str) -> Word:
    """One word for ``name`` over the run's time, keeping the punctuation around it."""
    first, last = run[0], run[-1]
    lead = first.text[:len(first.text) - len(first.text.lstrip(_EDGE + "“‘"))]
    core = _core(last.text)
    tail = last.text[last.text.rfind(core) + len(core):] if core else ""
    known = [w.probability for w in run if w.probability is not None]
    return Word(first.start, max(w.end for w in run), lead + name + tail,
                min(known) if known else None)
