"""Where warcast keeps what it derives from a show: one hidden folder, ``<show>/.warcast/``.

Everything else in a show folder is source (written by people, committed). What warcast
derives (the render cache, the search indexes, the members' bundle, the article store that
``articles import`` fills, the write lock) lives under :data:`STATE_DIR`, so one ignore line
keeps it out of git, a copy of the source is the folder without it, and deleting it loses
nothing that a run cannot rebuild. The members store (``members.sqlite``) is not derived and
stays beside ``show.toml``.

Paths here are relative to the show folder. Shows written by warcast 0.1 kept the same files
at the top of the folder; :func:`migrate` moves them in (under the show's lock).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

STATE_DIR = ".warcast"
CACHE_DIR = f"{STATE_DIR}/cache"
BUNDLE_DIR = f"{STATE_DIR}/private"      # the members' bundle (a release, see releases.py)
LOCK_FILE = f"{STATE_DIR}/lock"
ARTICLES_STORE = f"{STATE_DIR}/articles.sqlite"
SEARCH_INDEX = f"{STATE_DIR}/search.sqlite"
MEMBERS_SEARCH_INDEX = f"{STATE_DIR}/search-members.sqlite"
_SQLITE_SIDES = ("", "-wal", "-shm", "-journal")
# Derived files of warcast 0.1 at the top of a show folder: moved (the article store, which
# only an import rebuilds) or removed (rebuilt by the next run) by ``migrate``.
_LEGACY_MOVED = {f"articles.sqlite{side}": f"{ARTICLES_STORE}{side}" for side in _SQLITE_SIDES}
_LEGACY_REMOVED = (".cache", ".private", ".private.d", ".private.next", ".warcast.lock",
                   *(f"{name}{side}" for name in ("search.sqlite", "search-members.sqlite")
                     for side in _SQLITE_SIDES))
LEGACY = (*_LEGACY_MOVED, *_LEGACY_REMOVED)


def state_folder(show_folder: Path) -> Path:
    """The show's state folder, made if missing."""
    folder = show_folder / STATE_DIR
    folder.mkdir(exist_ok=True)
    return folder


def is_derived(relative: str) -> bool:
    """True for a path (relative to the show folder, POSIX) that warcast made itself."""
    top = relative.split("/", 1)[0]
    return top == STATE_DIR or top in LEGACY


def migrate(show_folder: Path) -> None:
    """Move a warcast 0.1 show's derived files into the state folder (the article store) or
    remove them (caches, indexes and the members' bundle, which the next run rebuilds)."""
    for old, new in _LEGACY_MOVED.items():
        source = show_folder / old
        if source.is_file() and not (show_folder / new).exists():
            state_folder(show_folder)
            os.replace(source, show_folder / new)
    for name in _LEGACY_REMOVED:
        path = show_folder / name
        with contextlib.suppress(OSError):
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)


def copy_source(show_folder: Path, target: Path, *, leave_out: tuple[str, ...] = ()) -> Path:
    """Copy a show's source to ``target`` (a new folder): everything but warcast's state, and
    but the top-level entries named in ``leave_out`` (glob patterns). Links are followed."""
    skip = shutil.ignore_patterns(*leave_out)

    def ignore(folder: str, names: list[str]) -> set[str]:
        left = set(skip(folder, names))
        if Path(folder) == show_folder:
            left |= {name for name in names if is_derived(name)}
        return left

    shutil.copytree(show_folder, target, ignore=ignore)
    return target
