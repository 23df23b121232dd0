"""The render cache: what publishing made from an episode, kept by a digest of its inputs.

Rendering an episode (five transcript formats, its page, its search source page) costs far more
than checking whether its inputs changed, so publish keys each episode's rendered files by a
digest of everything they depend on (the episode's files, the show's settings, its links, the
templates and static files, warcast itself) and renders only what is new. The cache is derived
data in ``<show>/.warcast/cache/render.sqlite``: deleting it only makes the next publish slower.
Entries not used by a publish are dropped at its end, so the cache holds one catalog.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import pickle
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

from warcast.state import CACHE_DIR

SCHEMA = 1


class RenderCache:
    """Rendered files by key; a broken or missing cache is an empty one, never an error."""

    def __init__(self, show_folder: Path) -> None:
        self.path = show_folder / CACHE_DIR / "render.sqlite"
        self.used: set[str] = set()
        self.db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, "
                            "files BLOB NOT NULL) WITHOUT ROWID")
        except (OSError, sqlite3.Error):
            self.db = None

    def get(self, key: str) -> dict[str, bytes] | None:
        self.used.add(key)
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT files FROM entries WHERE key = ?", (key,)).fetchone()
            return pickle.loads(row[0]) if row else None   # our own data, in our own folder
        except (sqlite3.Error, pickle.PickleError, EOFError, ValueError):
            return None

    def put(self, key: str, files: dict[str, bytes]) -> None:
        self.used.add(key)
        if self.db is None:
            return
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?)",
                            (key, pickle.dumps(files, protocol=5)))

    def through(self, key: str, make: Callable[[], dict[str, bytes]]) -> dict[str, bytes]:
        """The files cached under ``key``, else ``make()``'s, cached for next time."""
        files = self.get(key)
        if files is None:
            files = make()
            self.put(key, files)
        return files

    def close(self, *, prune: bool = True) -> None:
        """Drop the entries this publish did not use, then close."""
        if self.db is None:
            return
        try:
            if prune:
                keep = sorted(self.used)
                self.db.execute("BEGIN")
                self.db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
                self.db.execute("DELETE FROM used")
                self.db.executemany("INSERT OR IGNORE INTO used VALUES (?)",
                                    [(k,) for k in keep])
                self.db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM used)")
                self.db.execute("COMMIT")
        except sqlite3.Error:
            pass
        finally:
            self.db.close()
            self.db = None


def digest(*parts: object) -> str:
    """A key over strings, bytes and file stamps."""
    h = hashlib.sha256(f"render-cache {SCHEMA}".encode())
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode()
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def stamps(paths: Iterable[Path | None], root: Path | None = None
           ) -> list[tuple[str, int, int]]:
    """(name, size, mtime) of each existing file: what tells whether it changed. Names are
    relative to ``root`` when given, else the file names."""
    out = []
    for path in paths:
        if path is not None and path.is_file():
            stat = path.stat()
            name = path.relative_to(root).as_posix() if root else path.name
            out.append((name, stat.st_size, stat.st_mtime_ns))
    return out


def tree_stamps(root: Path, skip: tuple[str, ...] = ()) -> list[tuple[str, int, int]]:
    """Stamps of every file under ``root`` (sorted), leaving out ``__pycache__`` and the
    top-level entries whose names start with one of ``skip``."""
    return stamps((p for p in sorted(root.rglob("*"))
                   if "__pycache__" not in p.parts
                   and not (skip and p.relative_to(root).parts[0].startswith(skip))), root)


@functools.lru_cache(maxsize=1)
def code_stamps() -> tuple[tuple[str, int, int], ...]:
    """warcast's own files (code, templates, static files), once per process: a new version
    renders everything anew."""
    import warcast

    return (("version", 0, 0), (warcast.__version__, 0, 0),
            *tree_stamps(Path(warcast.__file__).parent))


def remembered_digest(show_folder: Path, path: Path, compute: Callable[[Path], str]) -> str:
    """``compute(path)`` (a digest of a large file, such as an hour of audio), done again only
    when the file's size or mtime changed since it was last computed."""
    import json

    from warcast.files import write_atomic

    record = show_folder / CACHE_DIR / "digests.json"
    try:
        known = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict):
        known = {}
    stat = path.stat()
    key = path.relative_to(show_folder).as_posix() if path.is_relative_to(show_folder) \
        else str(path)
    stamp = [stat.st_size, stat.st_mtime_ns]
    entry = known.get(key)
    if isinstance(entry, list) and len(entry) == 3 and entry[:2] == stamp:
        return str(entry[2])
    value = compute(path)
    known[key] = [*stamp, value]
    with contextlib.suppress(OSError):
        record.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(record, (json.dumps(known, sort_keys=True) + "\n").encode())
    return value
