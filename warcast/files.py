"""Reading source files and writing output files safely.

Source files (TOML) are read with errors that name the file and line; output is written
atomically (temporary file in the same folder, fsync, rename) so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from warcast.errors import SourceError

MAX_SOURCE_BYTES = 1024 * 1024
"""Largest TOML or Markdown source file accepted: anything bigger is a mistake, not a show."""


def read_text(path: Path, *, what: str, limit: int = MAX_SOURCE_BYTES) -> str:
    """Return the UTF-8 text of a source file, refusing missing, huge or non-UTF-8 files."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise SourceError(
                f"{what} is {size:,} bytes, more than the {limit:,} allowed",
                path=path, hint="Check that this is the right file",
            )
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SourceError(f"{what} not found", path=path) from None
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{what} is not UTF-8 text (byte {exc.start})", path=path,
            hint="Save it as UTF-8",
        ) from None
    except IsADirectoryError:
        raise SourceError(f"{what} is a folder, not a file", path=path) from None
    except OSError as exc:
        raise SourceError(f"cannot read {what}: {exc.strerror}", path=path) from None


def read_toml(path: Path, *, what: str) -> dict[str, Any]:
    """Parse a TOML source file; syntax errors name the file and line."""
    text = read_text(path, what=what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(
            f"invalid TOML: {exc}", path=path,
            hint="Fix the syntax (strings need quotes, tables [name], arrays [a, b])",
        ) from None


def read_json_object(path: Path) -> dict | None:
    """The JSON object stored in ``path`` (``{}`` when there is none, or when it holds
    another JSON value); None when it cannot be read as JSON: the caller decides what that
    damage means."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else {}


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode if mode is not None else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def create_exclusive(path: Path, data: bytes) -> None:
    """Write a new file atomically, refusing to replace one that exists (human edits are kept)."""
    if path.exists():
        raise SourceError("already exists", path=path, hint="Choose another name or remove it")
    write_atomic(path, data)


def toml_bytes(entries: list[tuple[str | None, object]]) -> bytes:
    """A TOML document built with tomlkit from ``(key, value)`` pairs in order: a ``None`` key
    makes ``value`` a comment line, ``""`` a blank line; a value made by :func:`noted` carries
    its own end-of-line comment; a list of dicts becomes an array of tables."""
    import tomlkit

    document = tomlkit.document()
    for key, value in entries:
        if key is None:
            document.add(tomlkit.comment(str(value)))
        elif key == "":
            document.add(tomlkit.nl())
        elif isinstance(value, tomlkit.items.Item):
            document.add(key, value)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables = tomlkit.aot()
            for row in value:
                table = tomlkit.table()
                table.update(row)
                tables.append(table)
            document.add(key, tables)
        elif isinstance(value, dict):
            table = tomlkit.table()
            table.update(value)
            document.add(key, table)
        else:
            document.add(key, value)
    return tomlkit.dumps(document).encode("utf-8")


def noted(value: object, note: str) -> object:
    """A TOML value with an end-of-line comment (``note``), for :func:`toml_bytes`; a table
    (a dict) gets it as its first line."""
    import tomlkit

    if isinstance(value, dict):
        table = tomlkit.table()
        table.add(tomlkit.comment(note))
        table.update(value)
        return table
    item = tomlkit.item(value)
    item.comment(note)
    item.trivia.comment_ws = "   "
    return item


def readable(value: str) -> object:
    """A string as a TOML multi-line literal (XML stays readable), or a basic string when it
    cannot be one."""
    import tomlkit

    if "'''" in value or any(ord(c) < 32 and c not in "\n\t" for c in value) or \
            value.endswith("'"):
        return tomlkit.string(value)
    return tomlkit.string(value, literal=True, multiline=True)


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file, read in blocks so an hour of audio is never held at once."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
