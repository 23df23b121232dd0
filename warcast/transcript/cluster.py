"""Transcription fanned out: episodes to worker processes, on this machine or on a cluster.

A :class:`Job` carries everything a worker needs (the audio's bytes, the settings, the names to
spell right), so workers need no access to the show folder; they send back timed words, and
the submitting process writes every transcript (atomically, as a one-machine run does).

- Locally, a process pool sized to the machine, each worker with ``cores // workers`` threads
  so the cores are not oversubscribed.
- With ``cluster`` (``--cluster tcp://scheduler:8786`` or ``[transcribe] cluster``), the same
  jobs go to a Dask distributed scheduler (the optional ``cluster`` extra, imported only
  then). Dask retries a job whose worker died, and ``retries`` more times one that failed.

At most ``2 x workers`` jobs are in flight, so a thousand-episode back catalog does not sit in
memory at once. Results come back as they finish; each is the same a local run would give
(same model, settings and thread count per job).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path

from warcast.errors import TranscriptError
from warcast.transcript.model import Word
from warcast.transcript.whisper import WhisperOptions, transcribe_words

RETRIES = 2


@dataclass(frozen=True)
class Job:
    """One episode to transcribe, self-contained."""

    name: str
    audio: bytes
    suffix: str
    options: WhisperOptions
    hotwords: tuple[str, ...] = ()
    context: str = ""


@dataclass(frozen=True)
class Done:
    """A finished job: timed words with Whisper's confidence in each (kept so the editor can
    mark unsure words of fanned-out runs too), and the audio's length (or the error)."""

    name: str
    words: tuple[tuple[float, float, str, float | None], ...] = ()
    seconds: float = 0.0
    error: str | None = None

    def timed_words(self) -> list[Word]:
        return [Word(start, end, text, probability)
                for start, end, text, probability in self.words]


def run_job(job: Job) -> Done:
    """What a worker does (a top-level function, so it pickles)."""
    with tempfile.TemporaryDirectory(prefix="warcast-job-") as folder:
        path = Path(folder) / f"audio{job.suffix}"
        path.write_bytes(job.audio)
        try:
            words, seconds = transcribe_words(path, job.options, hotwords=job.hotwords,
                                              context=job.context)
        except TranscriptError as exc:   # e.g. damaged audio: reported, not retried
            return Done(job.name, error=str(exc).replace(str(path), job.name))
    return Done(job.name, tuple((w.start, w.end, w.text, w.probability) for w in words),
                seconds)


def local_workers(cores: int | None = None) -> int:
    """Worker processes for this machine: one per two cores, at least one, at most four."""
    cores = cores or os.cpu_count() or 1
    return max(1, min(4, cores // 2)) if cores > 2 else min(cores, 2)


def fan_out(jobs: Iterable[Job], *, cluster: str | None = None,
            workers: int | None = None) -> Iterator[Done]:
    """Run the jobs on workers; yield each result as it finishes (any order)."""
    if cluster:
        yield from _on_cluster(jobs, cluster)
        return
    count = workers or local_workers()
    threads = max(1, (os.cpu_count() or 1) // count)
    prepared = (replace(j, options=replace(j.options, threads=threads)) for j in jobs)
    with ProcessPoolExecutor(max_workers=count) as pool:
        yield from _bounded(prepared, pool.submit, 2 * count)


def _bounded(jobs: Iterable[Job], submit, limit: int) -> Iterator[Done]:  # type: ignore[no-untyped-def]
    pending: set[Future] = set()
    for job in jobs:
        if len(pending) >= limit:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in finished)
        pending.add(submit(run_job, job))
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        yield from (f.result() for f in finished)


def _on_cluster(jobs: Iterable[Job], address: str) -> Iterator[Done]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise TranscriptError("transcribing on a cluster needs Dask",
                              hint="pip install 'warcast[cluster]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise TranscriptError(f"cannot reach the Dask scheduler at {address} ({exc})",
                              hint="Check the address (tcp://host:8786) and that the "
                                   "scheduler is running") from None
    with client:
        found = client.scheduler_info().get("workers", {})
        workers = max(1, len(found))
        threads = max(1, min((int(w.get("nthreads", 1)) for w in found.values()), default=1))
        queue = as_completed()
        source = iter(jobs)

        def submit_next() -> bool:
            job = next(source, None)
            if job is None:
                return False
            job = replace(job, options=replace(job.options, threads=threads))
            queue.add(client.submit(run_job, job, retries=RETRIES, pure=False))
            return True

        for _ in range(2 * workers):
            if not submit_next():
                break
        for future in queue:
            yield future.result()
            future.release()
            submit_next()
