"""Releases: a published folder that switches from the old site to the new one in one step.

The output path (``public``) is a symbolic link to a generation folder beside it
(``.public.d/000007``). A release builds the next generation completely: files that did not
change are hard links to the live generation's (no copy, same bytes, same mtime), changed
files are written, the feed is validated there, and then one ``rename`` of a new link over the
output path switches every reader from the complete old site to the complete new one. A kill
at any moment leaves the old site live and whole; the next run removes the half-built
generation and starts again. The previous generation is kept (a quick rollback); older ones
are removed. A publish with nothing changed creates nothing and touches no file.

An output folder from an earlier warcast (a real folder with a manifest) is moved into the
generations folder on its first release, the only moment the output path is briefly absent.
So is a real folder at an output only warcast writes (``owned``: the members' bundle in the
show's state folder), which is what a copy that follows links makes of a release.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from warcast.errors import PublishError
from warcast.files import file_sha256

MANIFEST = ".warcast-manifest.json"
KEEP = 2                       # generations kept: the live one and the one before
FAULT_ENV = "WARCAST_FAULT_KILL_AFTER"   # tests: SIGKILL this process after N file operations


@dataclass(frozen=True)
class CopyOf:
    """An output file that is a copy of a source file (audio, artwork)."""

    path: Path


Content = bytes | CopyOf


@dataclass
class ReleaseReport:
    """What a release changed."""

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def generations(out: Path) -> Path:
    return out.parent / f".{out.name.lstrip('.')}.d"


def live(out: Path) -> Path | None:
    """The folder now served at ``out``: a generation, an older warcast's real folder, or none."""
    if out.is_symlink():
        target = out.resolve()
        return target if target.is_dir() else None
    return out if out.is_dir() else None


def release(planned: dict[str, Content], out: Path,
            check: Callable[[Path], object] = lambda folder: None, *,
            owned: bool = False) -> ReleaseReport:
    """Make ``out`` serve exactly ``planned`` (output path → content). ``check`` is called with
    the complete new generation before it goes live; an exception there stops the release.
    ``owned``: nobody but warcast writes at ``out``, so a real folder there is replaced too."""
    _check_output(out, owned)
    current = live(out)
    manifest = _load_manifest(current) if current else {}
    report = ReleaseReport()
    same = {rel: digest for rel, content in planned.items()
            if (digest := _same_as_published(rel, content, current, manifest))}
    report.unchanged = len(same)
    report.written = sorted(set(planned) - set(same))
    report.removed = sorted(set(manifest) - set(planned))
    if current is not None and out.is_symlink() and not report.written and not report.removed:
        return report
    try:
        new = _build(planned, same, current, out)
        try:
            check(new)
        except BaseException:
            shutil.rmtree(new, ignore_errors=True)
            raise
        _swap(out, new)
        _prune(out, keep=new)
    except OSError as exc:
        raise PublishError(f"cannot write the site: {exc.strerror or exc}",
                           path=Path(exc.filename or out),
                           hint="Check free space and permissions; the previous site is intact")\
            from None
    return report


def _build(planned: dict[str, Content], same: dict[str, str], current: Path | None,
           out: Path) -> Path:
    """The next generation, complete, beside the live one."""
    folder = generations(out)
    folder.mkdir(parents=True, exist_ok=True)
    _clear_unreleased(folder, current)
    new = folder / f"{_next_number(folder):06d}"
    new.mkdir()
    digests = {}
    for rel, content in sorted(planned.items()):
        target = new / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in same and current is not None:
            _link_or_copy(current / rel, target)
            digests[rel] = same[rel]
        elif isinstance(content, bytes):
            target.write_bytes(content)
            digests[rel] = hashlib.sha256(content).hexdigest()
        else:
            shutil.copyfile(content.path, target)
            digests[rel] = file_sha256(content.path)
        fault_point()
    _write_manifest(planned, digests, new)
    fault_point()
    return new


def _swap(out: Path, new: Path) -> None:
    """Point ``out`` at ``new`` with one rename (readers see the old site or the new one)."""
    link = out.parent / f".{out.name.lstrip('.')}.next"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(new, out.parent), link)
    if out.is_dir() and not out.is_symlink():   # an older warcast's real folder, or a copy's
        retired = generations(out) / "000000"
        if retired.is_dir():
            shutil.rmtree(retired)
        os.rename(out, retired)
        legacy = retired / MANIFEST
        if legacy.is_file():
            os.replace(legacy, manifest_path(generations(out) / "000000"))
    fault_point()
    os.replace(link, out)
    fault_point()


def _prune(out: Path, keep: Path) -> None:
    folder = generations(out)
    ordered = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.name)
    for old in ordered[:-KEEP]:
        if old.resolve() != keep.resolve():
            shutil.rmtree(old, ignore_errors=True)
            manifest_path(old).unlink(missing_ok=True)


def _clear_unreleased(folder: Path, current: Path | None) -> None:
    """Remove what killed runs built but never switched to: every generation (and manifest)
    newer than the live one. Older ones were live once; ``_prune`` keeps the last of them."""
    live_number = current.name if current is not None and current.name.isdigit() else ""
    for entry in folder.iterdir():
        number = entry.name.split(".")[0]
        if number.isdigit() and number > live_number:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _next_number(folder: Path) -> int:
    numbers = [int(p.name) for p in folder.iterdir() if p.name.isdigit()]
    return max(numbers, default=0) + 1


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(source, target)


_operations = 0


def fault_point() -> None:
    """Where tests kill a publish (``WARCAST_FAULT_KILL_AFTER=N``: after the Nth operation)."""
    global _operations
    limit = os.environ.get(FAULT_ENV)
    if not limit:
        return
    _operations += 1
    if _operations >= int(limit):
        os.kill(os.getpid(), signal.SIGKILL)


def _check_output(out: Path, owned: bool) -> None:
    if out.exists() and not out.is_dir():
        raise PublishError("output is not a folder", path=out, hint="Pass --out DIR")
    if not owned and out.is_dir() and not out.is_symlink() and any(out.iterdir()) \
            and not (out / MANIFEST).exists():
        raise PublishError(
            "output folder holds files warcast did not publish", path=out,
            hint="Publish into an empty or new folder (warcast replaces what it publishes)")


def manifest_path(folder: Path) -> Path:
    """Where a site folder's manifest is: beside a generation (so the site holds only what
    was published, byte-identical from run to run), inside an older warcast's real folder."""
    if folder.name.isdigit() and folder.parent.name.endswith(".d"):
        return folder.parent / f"{folder.name}.manifest.json"
    return folder / MANIFEST


def _load_manifest(folder: Path) -> dict[str, dict]:
    try:
        data = json.loads(manifest_path(folder).read_text(encoding="utf-8"))
        return data["files"] if isinstance(data.get("files"), dict) else {}
    except (OSError, ValueError, KeyError, AttributeError):
        return {}


def _same_as_published(rel: str, content: Content, current: Path | None,
                       manifest: dict) -> str | None:
    """The content digest when the live site already holds exactly ``content`` at ``rel``.

    Copied files are compared by the source's size and mtime recorded in the manifest first,
    so an unchanged hour of audio is not read again on every publish.
    """
    if current is None:
        return None
    target = current / rel
    entry = manifest.get(rel)
    if entry is None or not target.is_file():
        return None
    stat = target.stat()
    if [stat.st_size, stat.st_mtime_ns] != entry.get("out"):
        return None
    if isinstance(content, CopyOf):
        source = content.path.stat()
        if [source.st_size, source.st_mtime_ns] == entry.get("source"):
            return entry.get("sha256")
        digest = file_sha256(content.path)
    else:
        digest = hashlib.sha256(content).hexdigest()
    return digest if digest == entry.get("sha256") else None


def _write_manifest(planned: dict[str, Content], digests: dict[str, str], folder: Path) -> None:
    files = {}
    for rel, content in sorted(planned.items()):
        stat = (folder / rel).stat()
        entry: dict[str, object] = {"sha256": digests[rel], "out": [stat.st_size,
                                                                    stat.st_mtime_ns]}
        if isinstance(content, CopyOf):
            source = content.path.stat()
            entry["source"] = [source.st_size, source.st_mtime_ns]
        files[rel] = entry
    data = json.dumps({"generator": "warcast", "files": files}, indent=1, sort_keys=True)
    manifest_path(folder).write_text(data + "\n", encoding="utf-8")
