"""The producer's transcript editor: ``warcast edit EPISODE`` serves, on 127.0.0.1 only, a page
with the episode's audio and transcript to correct before publishing.

The page (``templates/editor.html`` and ``static/editor.js``) reads the transcript as JSON
(:func:`document`): cues with their speaker and timed words, the show's names and glossary for
suggestions. Saving sends the cues back (:func:`save`): ``transcript.vtt`` is written
atomically, word timings are kept for the words that did not change (the rest are spread over
their cue, as for any hand edit), and since the file is then no longer the machine's, the next
``warcast transcribe`` keeps it. The save and transcribe's final write take the episode's own
lock, so neither can land in the middle of the other.
"""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcast.episodes import Episode, load_episodes, select
from warcast.errors import TranscriptError
from warcast.files import write_atomic
from warcast.lock import episode_lock
from warcast.show import Show, load_show
from warcast.transcript.model import Cue, Transcript, Word, align_words, words_sidecar, write_source
from warcast.transcript.transcribe import _NOTE, SOURCE_FILE, WORDS_FILE, load_transcript
from warcast.transcript.turns import UNNAMED

HOST = "127.0.0.1"
UNSURE_FILE = "transcript.unsure.json"   # machine-kept: the words Whisper was unsure of
UNSURE_PROBABILITY = 0.5    # below this confidence a word is marked for the producer to check
SUGGEST_SIMILARITY = 0.75   # a word this close to a glossary term or name is offered its spelling
MAX_SPEAKER = 80


def document(show: Show, episode: Episode) -> dict[str, Any]:
    """What the editor page shows: the cues with timed words, names and glossary."""
    transcript = _current(show, episode)
    names = _names(show, episode, transcript)
    terms = _terms(show, episode)
    unsure = _unsure(episode.folder)
    cues = [{"start": cue.start, "end": cue.end, "speaker": cue.speaker,
             "words": [{"start": w.start, "end": w.end, "text": w.text,
                        "suggest": suggestion(w.text, terms), "unsure": _is_unsure(w, unsure)}
                       for w in cue.words]}
            for cue in transcript.cues]
    return {"episode": episode.name, "title": episode.title, "names": names,
            "glossary": list(terms), "cues": cues}


def unsure_sidecar(words: list[Word]) -> bytes:
    """The machine file of the words Whisper gave under :data:`UNSURE_PROBABILITY`:
    ``[start, end, text, probability]`` each."""
    rows = [json.dumps([round(w.start, 3), round(w.end, 3), w.text, round(w.probability, 3)],
                       ensure_ascii=False)
            for w in words if w.probability is not None and w.probability < UNSURE_PROBABILITY]
    return ("[\n" + ",\n".join(rows) + "\n]\n" if rows else "[]\n").encode("utf-8")


def _unsure(folder: Path) -> dict[str, list[float]]:
    """Normalized word → the times Whisper was unsure of it (empty without the file)."""
    path = folder / UNSURE_FILE
    try:
        rows = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    except (OSError, ValueError):
        return {}   # machine-kept and only a hint: a damaged file marks nothing
    found: dict[str, list[float]] = {}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, list) and len(row) == 4 and isinstance(row[2], str) \
                and isinstance(row[0], int | float):
            found.setdefault(_norm(row[2]), []).append(float(row[0]))
    return found


def _norm(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _is_unsure(word: Word, unsure: dict[str, list[float]]) -> bool:
    return any(abs(t - word.start) < 0.3 for t in unsure.get(_norm(word.text), ()))


def _current(show: Show, episode: Episode) -> Transcript:
    if episode.transcript is None or not episode.transcript.is_file():
        raise TranscriptError("has no transcript to edit", path=episode.folder,
                              hint="Run 'warcast transcribe' first")
    transcript = load_transcript(episode, show.transcribe.language)
    cues = tuple(cue if cue.words else cue.__class__(
        cue.start, cue.end, cue.text, cue.speaker,
        align_words(cue.text, cue.start, cue.end, ())) for cue in transcript.cues)
    return Transcript(cues, transcript.language)


def _names(show: Show, episode: Episode, transcript: Transcript) -> list[str]:
    """Hosts, guests and every speaker the transcript names: the choices for a turn."""
    found = [p.name for p in (*show.hosts, *episode.guests)]
    found += [cue.speaker for cue in transcript.cues if cue.speaker]
    return list(dict.fromkeys(found))


def _terms(show: Show, episode: Episode) -> tuple[str, ...]:
    names = [p.name for p in (*show.hosts, *episode.guests)]
    return tuple(dict.fromkeys((*show.transcribe.glossary, *names)))


def suggestion(word: str, terms: tuple[str, ...]) -> str | None:
    """A glossary term (or a host's or guest's name) ``word`` is a near miss of, spelled
    right with the word's punctuation; None when it is one already or none is close."""
    core = word.strip(".,;:!?\"'()")
    if len(core) < 4:
        return None
    best, score = None, 0.0
    for token in {t for term in terms for t in term.split()}:
        if len(token) < 4 or token.casefold() == core.casefold():
            if token == core:
                return None
            continue
        ratio = difflib.SequenceMatcher(None, core.casefold(), token.casefold()).ratio()
        if ratio > score:
            best, score = token, ratio
    if best is None or score < SUGGEST_SIMILARITY:
        return None
    return word.replace(core, best, 1)


def save(show: Show, episode: Episode, payload: Any) -> Transcript:
    """Write the edited cues in ``payload`` (``{"cues": [{start, end, speaker, text}]}``) as
    the episode's transcript; words that did not change keep their timings."""
    where = episode.folder / SOURCE_FILE
    edited = _edited_cues(payload, where)
    old = [w for cue in _current(show, episode).cues for w in cue.words]
    cues = tuple(Cue(c.start, c.end, c.text, c.speaker,
                     align_words(c.text, c.start, c.end, _within(old, c.start, c.end)))
                 for c in edited)
    transcript = Transcript(cues, show.transcribe.language)
    with episode_lock(episode.folder, "edit"):
        write_atomic(episode.folder / WORDS_FILE, words_sidecar(transcript))
        write_atomic(where, write_source(transcript, header_note=_NOTE))
    return transcript


@dataclass(frozen=True)
class Voice:
    """One voice of a transcript: its label, how much it speaks, and from when."""

    label: str
    seconds: float
    first: float

    @property
    def unnamed(self) -> bool:
        """A voice the machine found and nobody named yet ("Speaker N")."""
        return UNNAMED.fullmatch(self.label) is not None


def voices(show: Show, episode: Episode) -> list[Voice]:
    """The voices of the episode's transcript, in order of first turn."""
    found: dict[str, Voice] = {}
    for cue in _current(show, episode).cues:
        if cue.speaker:
            was = found.get(cue.speaker, Voice(cue.speaker, 0.0, cue.start))
            found[cue.speaker] = Voice(cue.speaker, was.seconds + cue.end - cue.start,
                                       was.first)
    return list(found.values())


def offers(show: Show, episode: Episode) -> list[str]:
    """The names offered for an unnamed voice: the episode's guests (then the show's hosts)
    that no turn of the transcript carries yet."""
    heard = {voice.label for voice in voices(show, episode)}
    names = [p.name for p in (*episode.guests, *show.hosts)]
    return [name for name in dict.fromkeys(names) if name not in heard]


def name_voice(show: Show, episode: Episode, label: str, name: str) -> int:
    """Give every turn of the voice ``label`` (say "Speaker 2") the host's or guest's
    ``name``, as the producer confirmed it; returns the number of cues renamed. The
    transcript is then the producer's, so later runs of ``transcribe`` keep it."""
    where = episode.folder / SOURCE_FILE
    transcript = _current(show, episode)
    known = [p.name for p in (*show.hosts, *episode.guests)]
    if label not in {cue.speaker for cue in transcript.cues}:
        heard = ", ".join(v.label for v in voices(show, episode)) or "none"
        raise TranscriptError(f"has no voice '{label}' (voices: {heard})", path=where)
    if name not in known:
        raise TranscriptError(f"'{name}' is not a host or guest of {episode.name}",
                              path=episode.folder / "episode.toml",
                              hint="Add the guest under [[guests]] in episode.toml first")
    cues = [{"start": c.start, "end": c.end, "text": c.text,
             "speaker": name if c.speaker == label else c.speaker} for c in transcript.cues]
    save(show, episode, {"cues": cues})
    return sum(1 for c in transcript.cues if c.speaker == label)


def _within(words: list[Word], start: float, end: float) -> list[Word]:
    """The old words whose middle lies in [start, end]."""
    return [w for w in words if start - 0.001 <= (w.start + w.end) / 2 <= end + 0.001]


def _edited_cues(payload: Any, where: Path) -> list[Cue]:
    """The cues the page sent, checked: times in order and not overlapping, text present."""
    rows = payload.get("cues") if isinstance(payload, dict) else None
    if not isinstance(rows, list):
        raise TranscriptError("the edit holds no list of cues", path=where)
    cues: list[Cue] = []
    for number, row in enumerate(rows, 1):
        cue = _cue(row, number, where)
        if cues and cue.start < cues[-1].end - 0.0005:
            raise TranscriptError(f"cue {number} starts before cue {number - 1} ends",
                                  path=where, hint="Keep cues in time order, not overlapping")
        if cue.text:
            cues.append(cue)
    return cues


def _cue(row: Any, number: int, where: Path) -> Cue:
    if not isinstance(row, dict):
        raise TranscriptError(f"cue {number} is not an object", path=where)
    start, end, text, speaker = (row.get(k) for k in ("start", "end", "text", "speaker"))
    if not all(isinstance(t, int | float) and not isinstance(t, bool) and math.isfinite(t)
               for t in (start, end)) or not 0 <= start <= end:
        raise TranscriptError(f"cue {number} has times {start!r} to {end!r}", path=where,
                              hint="Give start and end in seconds, the end after the start")
    if not isinstance(text, str) or not (speaker is None or isinstance(speaker, str)):
        raise TranscriptError(f"cue {number} needs text and a speaker name (or none)",
                              path=where)
    speaker = " ".join((speaker or "").split())[:MAX_SPEAKER] or None
    return Cue(float(start), float(end), " ".join(text.split()), speaker)


def create_app(folder: Path, selector: str) -> Any:
    """The editor's Starlette application for one episode of the show in ``folder``."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    from warcast.errors import WarcastError

    def episode() -> tuple[Show, Episode]:
        show = load_show(folder)
        return show, select(load_episodes(show), (selector,))[0]

    _show, first = episode()
    templates = Environment(loader=PackageLoader("warcast", "site/templates"),
                            autoescape=select_autoescape(default=True))
    page = templates.get_template("editor.html").render(
        title=first.title, episode=first.name, script=_static("editor.js"),
        style=_static("editor.css"))

    def index(_: Request) -> Response:
        return HTMLResponse(page)

    def audio(_: Request) -> Response:
        _show, chosen = episode()
        assert chosen.audio.path is not None
        return FileResponse(chosen.audio.path, media_type=chosen.audio.mime)

    def transcript(_: Request) -> Response:
        try:
            return JSONResponse(document(*episode()))
        except WarcastError as err:
            return JSONResponse({"error": str(err)}, status_code=409)

    async def store(request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "the edit is not JSON"}, status_code=400)
        try:
            show, chosen = episode()
            saved = save(show, chosen, payload)
        except WarcastError as err:
            return JSONResponse({"error": str(err)}, status_code=409)
        return JSONResponse({"saved": len(saved.cues)})

    return Starlette(routes=[Route("/", index), Route("/audio", audio),
                             Route("/api/transcript", transcript, methods=["GET"]),
                             Route("/api/transcript", store, methods=["POST"])])


def _static(name: str) -> str:
    return (Path(__file__).parent / "site" / "static" / name).read_text(encoding="utf-8")


def check(folder: Path, selector: str | None) -> Episode:
    """The episode to edit (the newest when ``selector`` is None), refused (with what to do)
    when it cannot be edited."""
    show = load_show(folder)
    episodes = load_episodes(show)
    if not episodes:
        raise TranscriptError("has no episodes to edit", path=folder,
                              hint="Add one with 'warcast new'")
    chosen = select(episodes, (selector,))[0] if selector else episodes[-1]
    if chosen.audio.path is None:
        raise TranscriptError("has no audio file to play", path=chosen.folder,
                              hint="Run 'warcast import --download-audio' first")
    _current(show, chosen)
    return chosen


def serve(folder: Path, episode: Episode, port: int) -> None:
    """Serve the editor for ``episode`` on 127.0.0.1:``port`` until interrupted."""
    import uvicorn

    uvicorn.run(create_app(folder, episode.name), host=HOST, port=port, log_level="warning")
