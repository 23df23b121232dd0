"""Fetching what an imported feed links to: small files (artwork, chapters, transcripts) and
the audio itself, resumably.

A host that cannot be reached once is not tried again in the same import, so an offline import
of a long back catalog stays quick; what could not be fetched is kept as a link and reported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from warcast.errors import FeedError
from warcast.files import write_atomic
from warcast.validation.reading import http_get
from warcast.web import Refused, response_to

if TYPE_CHECKING:
    import httpx

TIMEOUT = 20.0


class Fetcher:
    """GETs with a size limit; remembers hosts that failed, and can be switched off."""

    def __init__(self, *, enabled: bool = True, timeout: float = TIMEOUT) -> None:
        self.enabled = enabled
        self.timeout = timeout
        self.unreachable: set[str] = set()

    def get(self, url: str, limit: int) -> bytes | None:
        """The body of ``url`` (None when off, unreachable, an error, or over ``limit``)."""
        host = urlsplit(url).netloc
        if not self.enabled or host in self.unreachable:
            return None
        try:
            data = http_get(url, limit=limit, timeout=self.timeout)
        except FeedError as exc:
            if not isinstance(exc, Refused):   # the host, not the file
                self.unreachable.add(host)
            return None
        return data if len(data) <= limit else None


def download(url: str, target: Path, *, expected: int = 0, timeout: float = TIMEOUT,
             progress: Callable[[int, int], None] | None = None) -> int:
    """Download ``url`` to ``target``, resuming a ``target.part`` left by an earlier try.

    A part file is resumed only when this function wrote it, and only if the server's file is
    still the same one (``If-Range`` with the ETag or Last-Modified it had then, kept beside
    the part, else at least its size); otherwise the download starts over. The file is
    complete when the server's byte count is reached (or, when it gives none, when it ends
    the body), and only then renamed into place. ``expected`` (the enclosure length, 0 if
    unknown) only sizes the progress bar. Returns the size.
    FeedError says what went wrong; a sound part file stays for the next try.
    """
    part = target.with_name(target.name + ".part")
    for attempt in (1, 2):
        try:
            return _fetch(url, target, part, expected, timeout, progress)
        except _StartOver:
            _discard(part)
            if attempt == 2:
                break
    raise FeedError(f"{url}: the server does not send the file consistently",
                    hint="Try again later")


class _StartOver(Exception):
    """The part file cannot be continued: the download must start from byte 0."""


def _fetch(url: str, target: Path, part: Path, expected: int, timeout: float,
           progress: Callable[[int, int], None] | None) -> int:
    validator_file = part.with_name(part.name + ".etag")
    validator = validator_file.read_text(encoding="utf-8") if validator_file.is_file() else ""
    have = part.stat().st_size if part.exists() and validator else 0
    headers = {}
    if have:
        headers["Range"] = f"bytes={have}-"
        if not validator.startswith(_SIZE_ONLY):
            headers["If-Range"] = validator
    total = 0
    try:
        with response_to(url, timeout=timeout, headers=headers, failed="download stopped",
                         hint="Run the import again to resume it") as response:
            total, start = _extent(response)
            if response.status_code == 206 and (start != have
                                                or not _same_file(validator, total)):
                raise _StartOver
            if response.status_code != 206:
                have = 0   # the whole file (again): it changed, or Range is not supported
                write_atomic(validator_file, _validator(response, total).encode())
            _write_body(response, part, have, total or expected, progress)
    except Refused as exc:
        if exc.status != 416 or not have:
            raise
        extent = (exc.headers.get("content-range") or "").rpartition("/")[2]
        total = int(extent) if extent.isdigit() else 0
        if total != have or not _same_file(validator, total):
            raise _StartOver from None
    size = part.stat().st_size
    if total and size > total:
        raise _StartOver
    if total and size != total:
        raise FeedError(f"{url}: got {size:,} of {total:,} bytes",
                        hint="Run the import again to resume the download")
    # Without a count from the server the body ends where the server closed it; a wrong
    # enclosure length is no reason to refuse the file (the import notes the difference).
    os.replace(part, target)
    validator_file.unlink(missing_ok=True)
    return size


_SIZE_ONLY = "size:"


def _validator(response: httpx.Response, total: int) -> str:
    """What identifies this version of the file for a later resume: its ETag or
    Last-Modified, else only its size (checked against the server's count then); empty when
    there is nothing to tell versions apart (never resumed)."""
    tag = response.headers.get("ETag") or response.headers.get("Last-Modified") or ""
    return tag or (f"{_SIZE_ONLY}{total}" if total else "")


def _same_file(validator: str, total: int) -> bool:
    """A size-only validator holds when the server still counts the same size."""
    return not validator.startswith(_SIZE_ONLY) or validator == f"{_SIZE_ONLY}{total}"


def _write_body(response: httpx.Response, part: Path, have: int, total: int,
                progress: Callable[[int, int], None] | None) -> None:
    with part.open("ab" if have else "wb") as handle:
        done = have
        for block in response.iter_raw():
            handle.write(block)
            done += len(block)
            if progress:
                progress(done, total)
        handle.flush()
        os.fsync(handle.fileno())


def _discard(part: Path) -> None:
    part.unlink(missing_ok=True)
    part.with_name(part.name + ".etag").unlink(missing_ok=True)


def _extent(response: httpx.Response) -> tuple[int, int]:
    """The full file size the server announces (0 when it does not say) and where the body
    starts in the file."""
    if response.status_code == 206:
        found = re.fullmatch(r"\s*bytes\s+(\d+)-\d+/(\d+|\*)\s*",
                             response.headers.get("Content-Range", ""))
        if not found:
            raise _StartOver
        return (int(found.group(2)) if found.group(2).isdigit() else 0), int(found.group(1))
    length = response.headers.get("Content-Length", "")
    return (int(length) if length.isdigit() else 0), 0
