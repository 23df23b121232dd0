"""Numbers said in words, written in digits: Whisper writes "2024", "19th" and "175", a
listener remembers "twenty twenty-four", "the nineteenth century", "one hundred seventy five".
"""

from __future__ import annotations

_UNIT_WORDS = """zero one two three four five six seven eight nine ten eleven twelve thirteen
fourteen fifteen sixteen seventeen eighteen nineteen"""
_TEN_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety"
_TEENTH_WORDS = """tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth
eighteenth nineteenth"""
_TIETH_WORDS = "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth"
_UNITS = {w: n for n, w in enumerate(_UNIT_WORDS.split())}
_TENS = {w: 10 * n for n, w in enumerate(_TEN_WORDS.split(), 2)}
_ORDINALS = ({w: n for n, w in enumerate(_TEENTH_WORDS.split(), 10)}
             | {w: 10 * n for n, w in enumerate(_TIETH_WORDS.split(), 2)})
_SMALL_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
                   "seventh": 7, "eighth": 8, "ninth": 9}
_SCALES = {"hundred": 100, "thousand": 1000}
NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TENS) | frozenset(_ORDINALS) | frozenset(_SCALES)


def is_number_word(word: str) -> bool:
    return word in NUMBER_WORDS


def written(words: list[str] | tuple[str, ...]) -> str | None:
    """The digits Whisper would write for a run of number words ("twenty", "twenty", "four":
    "2024"; "nineteenth": "19th"; "one", "hundred", "seventy", "five": "175"); None when
    the run is not one number, or is a number under ten (said, and written, as a word)."""
    words = list(words)
    ordinal = ""
    if words and words[-1] in _ORDINALS:
        value = _ORDINALS[words.pop()]
        ordinal = _suffix(value)
        words.append(str(value))
    elif len(words) > 1 and words[-1] in _SMALL_ORDINALS and words[-2] in _TENS:
        ordinal = _suffix(_SMALL_ORDINALS[words[-1]])
        words[-1] = str(_SMALL_ORDINALS[words[-1]])
    chunks = _chunks(words)
    if chunks is None:
        return None
    if len(chunks) == 2 and all(10 <= c <= 99 for c in chunks):   # a year: nineteen ninety
        value = 100 * chunks[0] + chunks[1]
    elif len(chunks) == 1:
        value = chunks[0]
    else:
        return None
    return f"{value}{ordinal}" if value >= 10 else None


def _suffix(value: int) -> str:
    if 10 <= value % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")


def _chunks(words: list[str]) -> list[int] | None:
    """The run as numbers said one after another: "twenty twenty four" is [20, 24]."""
    chunks: list[int] = []
    current, open_tens = None, False
    for word in words:
        value = int(word) if word.isdigit() else _UNITS.get(word, _TENS.get(word))
        if word in _SCALES:
            if current is None:
                return None
            current *= _SCALES[word]
            open_tens = False
            continue
        if value is None:
            return None
        if current is not None and open_tens and value < 10:
            current += value          # twenty four
            open_tens = False
        elif current is not None and current >= 100 and current % 100 == 0:
            current += value          # one hundred seventy
            open_tens = value >= 20
        else:
            if current is not None:
                chunks.append(current)
            current, open_tens = value, value >= 20
    if current is not None:
        chunks.append(current)
    return chunks or None
