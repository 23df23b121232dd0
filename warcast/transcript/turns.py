"""Turns: who speaks when in each episode, found from its audio and written into its transcript.

``warcast transcribe`` calls :func:`found_turns` for an episode without ``[[turns]]``;
``warcast speakers find`` labels again an existing machine transcript from its word timings
(after a voice was enrolled, or from one file per speaker), and ``warcast speakers enroll``
learns a voice from a sample or from an episode whose transcript names its speakers. What
people wrote wins: hand-entered ``[[turns]]`` in ``episode.toml`` and transcripts edited by
hand are never relabelled without ``--force``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from warcast.episodes import Episode, load_episodes, select
from warcast.errors import AudioError, TranscriptError
from warcast.lock import episode_lock, locked, show_lock
from warcast.show import load_show
from warcast.status import Status
from warcast.transcript import speakers


def found_turns(episode: Episode) -> tuple[tuple[float, str], ...]:
    """``(start, name)`` of each turn found in the episode's audio, named from the show's
    enrolled voices; empty for one unknown voice, no speech, or audio only at its URL."""
    if episode.audio.path is None:
        return ()
    voices = speakers.read_voices(episode.folder.parent)
    return tuple((turn.start, turn.speaker)
                 for turn in speakers.diarize_file(episode.audio.path, voices))


def voices_heard(episode: Episode, language: str) -> tuple[str, ...]:
    """The named speakers of the episode's transcript, in order of first turn ("Speaker N",
    a voice nobody named yet, is left out): ``podcast:person`` for the voices heard."""
    from warcast.transcript.transcribe import load_transcript

    if episode.transcript is None or not episode.transcript.is_file():
        return ()
    names = (cue.speaker for cue in load_transcript(episode, language).cues if cue.speaker)
    return tuple(n for n in dict.fromkeys(names) if not UNNAMED.fullmatch(n))


UNNAMED = re.compile(r"Speaker \d+")


def track_turns(tracks: Mapping[str, Path]) -> tuple[tuple[float, str], ...]:
    """Exact turns from a multitrack recording: speaker name → that speaker's own file."""
    import numpy as np

    from warcast.transcript.whisper import pcm_pieces

    decoded = {}
    for name, path in tracks.items():
        if not path.is_file():
            raise AudioError("track not found", path=path,
                             hint="Give each speaker's track as NAME=FILE")
        decoded[name] = np.concatenate([*pcm_pieces(path, speakers.PIECE_SECONDS),
                                        np.zeros(0, dtype=np.float32)])
    return tuple((turn.start, turn.speaker) for turn in speakers.turns_from_tracks(decoded))


@dataclass
class SpeakersResult:
    """What happened to one episode's speakers, for the summary line."""

    episode: Episode
    status: Status
    voices: tuple[str, ...] = ()


@locked("speakers")
def find_speakers(folder: Path, selectors: tuple[str, ...] = (), *,
                  tracks: Mapping[str, Path] | None = None,
                  force: bool = False) -> Iterator[SpeakersResult]:
    """Label the speakers of the chosen episodes' machine transcripts again, from the audio
    (or from ``tracks``, one file per speaker) and the show's enrolled voices."""
    from warcast.transcript.transcribe import (
        SOURCE_FILE,
        STATE_FILE,
        WORDS_FILE,
        _edited_by_hand,
        _read_state,
    )

    show = load_show(folder)
    for episode in select(load_episodes(show), selectors):
        source, state = episode.folder / SOURCE_FILE, _read_state(episode.folder / STATE_FILE)
        if not source.is_file() or not (episode.folder / WORDS_FILE).is_file():
            yield SpeakersResult(episode, "skipped (no transcript yet: run warcast "
                                          "transcribe first)")
        elif episode.turns and not tracks:
            yield SpeakersResult(episode, Status.KEPT_TURNS)
        elif _edited_by_hand(source, state) and not force:
            yield SpeakersResult(episode, Status.KEPT_EDITED_FORCE)
        else:
            turns = track_turns(tracks) if tracks else found_turns(episode)
            with episode_lock(episode.folder, "speakers"):  # as the editor's save does
                edited = _edited_by_hand(source, state) and not force  # meanwhile
                if not edited:
                    _rewrite(episode, turns, state, show.transcribe.language)
            yield SpeakersResult(episode, Status.KEPT_EDITED_FORCE) \
                if edited else SpeakersResult(episode, Status.LABELLED,
                                              tuple(dict.fromkeys(n for _, n in turns)))


def _rewrite(episode: Episode, turns: tuple[tuple[float, str], ...], state: dict,
             language: str) -> None:
    """The transcript made again from the machine's word timings with ``turns``."""
    from warcast.transcript.model import Transcript, cues_from_words, read_words_sidecar
    from warcast.transcript.transcribe import WORDS_FILE, _bounded, _write

    path = episode.folder / WORDS_FILE
    words = [w for row in read_words_sidecar(_bounded(path), path=path) for w in row]
    cues = cues_from_words(words, speakers=turns)
    _write(episode.folder, Transcript(cues, language), state.get("inputs", {}), state)


def enroll(folder: Path, name: str, *, sample: Path | None = None,
           episode: str | None = None) -> int:
    """Learn ``name``'s voice from a ``sample`` of it alone, or from the turns a transcript
    names ``name`` in (``episode``); returns the seconds of speech it was learnt from."""
    from warcast.transcript.transcribe import load_transcript
    from warcast.transcript.whisper import pcm_pieces

    show = load_show(folder)
    if (sample is None) == (episode is None):
        raise TranscriptError("give either a voice sample or an episode to learn from")
    spans = None
    if sample is not None:
        if not sample.is_file():
            raise AudioError("voice sample not found", path=sample)
        audio, source = sample, sample.name
    else:
        chosen = select(load_episodes(show), (str(episode),))[0]
        if chosen.transcript is None or chosen.audio.path is None:
            raise TranscriptError("has no transcript and audio to learn a voice from",
                                  path=chosen.folder, hint="Run warcast transcribe first")
        transcript = load_transcript(chosen, show.transcribe.language)
        spans = [(cue.start, cue.end) for cue in transcript.cues if cue.speaker == name]
        if not spans:
            raise TranscriptError(f"names no speaker '{name}'", path=chosen.transcript,
                                  hint="Label the turns first (warcast edit), or check the "
                                       "spelling")
        audio, source = chosen.audio.path, chosen.name
    import numpy as np

    samples = np.concatenate([*pcm_pieces(audio, speakers.PIECE_SECONDS),
                              np.zeros(0, dtype=np.float32)])
    try:
        voice = speakers.voice_of(samples, spans)
    except TranscriptError as err:
        raise TranscriptError(err.message, path=audio) from None
    with show_lock(folder, "speakers enroll"):
        speakers.write_voice(folder, name, voice, source)
    seconds = sum(e - s for s, e in spans) if spans else len(samples) / speakers.SAMPLE_RATE
    return round(seconds)
