"""Transcribing episodes: Whisper's words into the editable source transcript, safely.

For each episode the source transcript is ``transcript.vtt`` (people edit it), with the
machine's word timings in ``transcript.words.json`` and what made them in
``transcript.state.json`` (audio digest, model, settings, and the digest of the VTT as the
machine wrote it). A re-run skips an episode whose audio, model and settings are unchanged,
and never replaces a VTT whose digest differs from the machine's (a person edited it)
unless forced. Files are written atomically, state first, so a kill at any point leaves the
previous transcript in place and the next run starts cleanly.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from warcast.audio.tags import audio_payload_digest
from warcast.episodes import Episode, load_episodes, select
from warcast.errors import TranscriptError
from warcast.files import file_sha256, read_json_object, write_atomic
from warcast.lock import episode_lock, locked
from warcast.publish.cache import remembered_digest
from warcast.show import Show, load_show
from warcast.status import Status
from warcast.transcript.model import (
    Transcript,
    Word,
    cues_from_words,
    read_source,
    read_words_sidecar,
    words_sidecar,
    write_source,
)
from warcast.transcript.speakers import VERSION as SPEAKERS_VERSION
from warcast.transcript.whisper import WhisperOptions, transcribe_words

SOURCE_FILE = "transcript.vtt"
WORDS_FILE = "transcript.words.json"
MAX_TRANSCRIPT_BYTES = 64 * 1024 * 1024   # a 10-hour episode's word timings are about 15 MB
STATE_FILE = "transcript.state.json"
_NOTE = ("Transcript of this episode: correct the words freely, keep the time lines, name "
         "speakers with <v Name>. warcast will not overwrite this file once you edit it "
         "(unless run with --force).")


@dataclass
class TranscriptionResult:
    """What happened to one episode, for the summary line."""

    episode: Episode
    status: Status
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    cues: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def speed(self) -> float:
        """Audio seconds per wall-clock second."""
        return self.audio_seconds / self.wall_seconds if self.wall_seconds else 0.0


@locked("transcribe")
def transcribe_show(folder: Path, selectors: tuple[str, ...] = (), *, model: str | None = None,
                    force: bool = False,
                    progress: Callable[[Episode, float], None] | None = None,
                    fan_out: bool = False, workers: int | None = None,
                    cluster: str | None = None) -> Iterator[TranscriptionResult]:
    """Transcribe the chosen episodes (all when none are named), one result each.

    With ``fan_out`` (or a ``cluster``), episodes go to worker processes (a local pool of
    ``workers``, or the Dask scheduler at ``cluster``); this process writes every transcript.
    """
    show = load_show(folder)
    options = show.transcribe if model is None else replace(show.transcribe, model=model)
    chosen = select(load_episodes(show), selectors)
    cluster = cluster or (show.cluster if fan_out else None)
    if not (fan_out or cluster):
        for episode in chosen:
            report = (lambda done, e=episode: progress(e, done)) if progress else None
            yield transcribe_episode(show, episode, options, force=force, progress=report)
        return
    yield from _transcribe_fanned(show, chosen, options, force, workers, cluster)


def _transcribe_fanned(show: Show, chosen: list[Episode], options: WhisperOptions, force: bool,
                       workers: int | None, cluster: str | None
                       ) -> Iterator[TranscriptionResult]:
    from warcast.transcript.cluster import Job, fan_out

    todo: dict[str, tuple[Episode, _Plan]] = {}
    for episode in chosen:
        plan = _plan(episode, options, force)
        if plan.done is not None:
            yield plan.done
        else:
            todo[episode.name] = (episode, plan)
    jobs = (Job(e.name, e.audio.path.read_bytes(), e.audio.suffix, options,  # type: ignore[union-attr]
                _names(show, e), context(e.title, e.summary)) for e, _ in todo.values())
    started = time.monotonic()
    failures = []
    for done in fan_out(jobs, cluster=cluster, workers=workers):
        episode, plan = todo[done.name]
        if done.error is not None:
            failures.append(done.error)
            continue
        yield _finish(episode, plan, options.language, done.timed_words(), done.seconds,
                      time.monotonic() - started)
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise TranscriptError(f"{failures[0]}{more}")


@dataclass(frozen=True)
class _Plan:
    """What an episode needs: ``done`` when nothing (up to date or edited by hand), else the
    inputs to record and the state file as it is (each read once: hashing audio is slow)."""

    done: TranscriptionResult | None
    inputs: dict
    state: dict
    edited_since: tuple[Path, dict] | None = None  # checked again before writing, unless forced


def _plan(episode: Episode, options: WhisperOptions, force: bool) -> _Plan:
    folder = episode.folder
    if episode.audio.path is None:
        return _Plan(TranscriptionResult(
            episode, "skipped (the audio is only at its URL: run warcast import "
            "--download-audio first)"), {}, {})
    state = _read_state(folder / STATE_FILE)
    if _edited_by_hand(folder / SOURCE_FILE, state) and not force:
        return _Plan(TranscriptionResult(episode, Status.KEPT_EDITED), {}, state)
    inputs = _fingerprint(episode, options)
    if not force and state.get("inputs") == inputs and (folder / SOURCE_FILE).is_file():
        return _Plan(TranscriptionResult(episode, Status.UP_TO_DATE), inputs, state)
    return _Plan(None, inputs, state, None if force else (folder / SOURCE_FILE, state))


def _finish(episode: Episode, plan: _Plan, language: str, words: list[Word], seconds: float,
            wall: float) -> TranscriptionResult:
    """Write the transcript made of ``words``; the result for the summary line."""
    from warcast.transcript.turns import found_turns

    cues = cues_from_words(words, speakers=episode.turns or found_turns(episode))
    transcript = Transcript(cues=cues, language=language)
    with episode_lock(episode.folder, "transcribe"):  # the editor saves under this lock too
        if plan.edited_since is not None and _edited_by_hand(*plan.edited_since):
            # Edited (in warcast edit, say) while Whisper ran: the person's version stays.
            return TranscriptionResult(episode, Status.KEPT_EDITED)
        from warcast.editor import UNSURE_FILE, unsure_sidecar

        write_atomic(episode.folder / UNSURE_FILE, unsure_sidecar(words))
        _write(episode.folder, transcript, plan.inputs, plan.state)
    result = TranscriptionResult(episode, Status.TRANSCRIBED, seconds, wall, len(cues))
    if transcript.is_empty:
        result.warnings.append(f"{episode.audio.path}: no speech found; the transcript is empty")
    return result


def _names(show: Show, episode: Episode) -> tuple[str, ...]:
    """The episode's glossary (hosts, guests, names from the articles): hotwords and the
    respelling pass's targets, so that they come out spelled right."""
    from warcast.transcript.glossary import glossary_for

    return glossary_for(show, episode).terms


def context(title: str, summary: str = "") -> str:
    """What the producer wrote about an episode that Whisper reads before its speech: the
    title and the summary, each ending a sentence."""
    parts = (part.strip() for part in (title, summary))
    return " ".join(part if part.endswith((".", "?", "!")) else f"{part}." for part in parts
                    if part)


def transcribe_episode(show: Show, episode: Episode, options: WhisperOptions, *,
                       force: bool = False,
                       progress: Callable[[float], None] | None = None) -> TranscriptionResult:
    """Make ``transcript.vtt`` for one episode unless it is up to date or edited by hand."""
    plan = _plan(episode, options, force)
    if plan.done is not None:
        return plan.done
    started = time.monotonic()
    assert episode.audio.path is not None   # _plan skips remote-only audio
    words, seconds = transcribe_words(episode.audio.path, options, progress,
                                      hotwords=_names(show, episode),
                                      context=context(episode.title, episode.summary))
    return _finish(episode, plan, options.language, words, seconds, time.monotonic() - started)


def _fingerprint(episode: Episode, options: WhisperOptions) -> dict[str, object]:
    """What the transcript depends on, in its JSON form (as the state file stores it)."""
    inputs = {"audio": _audio_digest(episode), "options": asdict(options),
              "turns": [list(turn) for turn in episode.turns]}
    if not episode.turns:  # the turns are found in the audio
        inputs["speakers"] = SPEAKERS_VERSION
    return json.loads(json.dumps(inputs))


def _audio_digest(episode: Episode) -> str:
    """The sound itself: tagging MP3/M4A must not make a transcript look out of date.
    Remembered by file stamp, so an unchanged back catalog is not read again on every run."""
    compute = audio_payload_digest if episode.audio.kind in ("mp3", "m4a") else file_sha256
    assert episode.audio.path is not None
    return remembered_digest(episode.folder.parent, episode.audio.path, compute)



def _read_state(path: Path) -> dict:
    data = read_json_object(path)
    if data is None:
        raise TranscriptError("is damaged", path=path,
                              hint="Delete it; the next transcribe run rebuilds it")
    return data


def _edited_by_hand(source: Path, state: dict) -> bool:
    """A source VTT whose bytes are none the machine wrote was edited by a person."""
    if not source.is_file():
        return False
    machine = {state.get("source"), state.get("pending")} - {None}
    # A VTT the machine has no record of writing was made by a person (or another tool).
    return not machine or file_sha256(source) not in machine


def _write(folder: Path, transcript: Transcript, inputs: dict, state: dict) -> None:
    """Write words, then state naming the new VTT as pending, then the VTT, then final state."""
    source = write_source(transcript, header_note=_NOTE)
    digest = hashlib.sha256(source).hexdigest()
    write_atomic(folder / WORDS_FILE, words_sidecar(transcript))
    pending = {"inputs": inputs, "source": state.get("source"), "pending": digest}
    write_atomic(folder / STATE_FILE, _json(pending))
    write_atomic(folder / SOURCE_FILE, source)
    write_atomic(folder / STATE_FILE, _json({"inputs": inputs, "source": digest}))


def _json(data: dict) -> bytes:
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8")


def load_transcript(episode: Episode, language: str) -> Transcript:
    """The episode's source transcript as a person left it, with the machine's word timings."""
    assert episode.transcript is not None
    words_path = episode.folder / WORDS_FILE
    words = None
    if words_path.is_file():
        words = read_words_sidecar(_bounded(words_path), path=words_path)
    return read_source(_bounded(episode.transcript), path=episode.transcript, words=words,
                       language=language)


def _bounded(path: Path) -> bytes:
    """A transcript file's bytes; one far larger than any episode's is refused, not read."""
    size = path.stat().st_size
    if size > MAX_TRANSCRIPT_BYTES:
        raise TranscriptError(f"is {size:,} bytes, more than the {MAX_TRANSCRIPT_BYTES:,} "
                              "a transcript can be", path=path,
                              hint="Check that this is the transcript; run 'warcast transcribe "
                                   "--force' to make it again")
    return path.read_bytes()
