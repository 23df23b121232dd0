"""One writer at a time per show: commands that write take the show's lock first.

The lock is ``fcntl.flock`` on ``<show>/.warcast/lock``: the kernel drops it when the process
ends, however it ends, so a killed run never leaves a stale lock behind. A second writer waits
up to ``WAIT_SECONDS`` (or ``WARCAST_LOCK_WAIT``) and then stops with one line naming the
command holding the lock.
Within one process the lock is re-entrant (``publish`` updates the search index under the
lock it already holds).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from warcast.errors import BusyError
from warcast.state import LOCK_FILE, STATE_DIR, migrate

WAIT_SECONDS = 5.0
_held: dict[Path, int] = {}


@contextmanager
def show_lock(folder: Path, command: str, wait: float | None = None) -> Iterator[None]:
    """Hold the show's write lock for the duration of the block."""
    with _flock(folder / LOCK_FILE, folder, command, wait, "this show") as first:
        if first:
            migrate(folder)
        yield


@contextmanager
def episode_lock(episode_folder: Path, command: str,
                 wait: float | None = None) -> Iterator[None]:
    """Hold one episode's lock: whoever writes its transcript (a transcription finishing, the
    editor saving) takes it, so that neither writes over the other. The lock file lives in the
    show's state folder, not in the episode's."""
    path = episode_folder.parent / STATE_DIR / "episodes" / f"{episode_folder.name}.lock"
    with _flock(path, episode_folder, command, wait, "this episode"):
        yield


@contextmanager
def _flock(path: Path, about: Path, command: str, wait: float | None,
           what: str) -> Iterator[bool]:
    """``flock`` on ``path``, re-entrant in this process; yields True when newly taken."""
    import fcntl

    key = Path(os.path.realpath(path))
    if key in _held:
        _held[key] += 1
        try:
            yield False
        finally:
            _held[key] -= 1
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:   # a read-only show folder: nothing can write to it anyway
        yield False
        return
    try:
        if wait is None:
            wait = float(os.environ.get("WARCAST_LOCK_WAIT", WAIT_SECONDS))
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(handle)
                    raise BusyError(f"another warcast command is writing to {what} "
                                    f"({holder})", path=about,
                                    hint="Wait for it to finish, then run this again") from None
                time.sleep(0.1)
        os.ftruncate(handle, 0)
        os.write(handle, f"{command} (process {os.getpid()})".encode())
        _held[key] = 1
        try:
            yield True
        finally:
            del _held[key]
            os.ftruncate(handle, 0)
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def _holder(handle: int) -> str:
    try:
        os.lseek(handle, 0, os.SEEK_SET)
        return os.read(handle, 200).decode("utf-8", "replace").strip() or "unknown"
    except OSError:
        return "unknown"


def locked(command: str):  # type: ignore[no-untyped-def]
    """Decorate a library function whose first argument is the show folder so that it runs
    under the show's lock (generators hold it while they are iterated)."""
    import functools
    import inspect

    def wrap(func):  # type: ignore[no-untyped-def]
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def generator(folder: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
                with show_lock(folder, command):
                    yield from func(folder, *args, **kwargs)
            return generator

        @functools.wraps(func)
        def plain(folder: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            with show_lock(folder, command):
                return func(folder, *args, **kwargs)
        return plain
    return wrap
