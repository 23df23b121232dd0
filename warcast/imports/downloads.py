"""Fetching what an imported feed links to: small files (artwork, chapters, transcripts) and
the audio itself, resumably.

A host that cannot be reached once is not tried again in the same import, so an offline import
of a long back catalog stays quick; what could not be fetched is kept as a link and reported.
"""

from __future__ import annotations

import http.client
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from warcast import __version__
from warcast.errors import FeedError
from warcast.files import write_atomic

USER_AGENT = f"warcast/{__version__} (podcast import)"
TIMEOUT = 20.0
BLOCK = 1 << 16


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
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = response.read(limit + 1)
        except urllib.error.HTTPError:
            return None
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError):
            self.unreachable.add(host)
            return None
        return data if len(data) <= limit else None


def download(url: str, target: Path, *, expected: int = 0, timeout: float = TIMEOUT,
             progress: Callable[[int, int], None] | None = None) -> int:
    """Download ``url`` to ``target``, resuming a ``target.part`` left by an earlier try.

    A part file is resumed only when this function wrote it, and only if the server's file is
    still the same one (``If-Range`` with the ETag or Last-Modified it had then, kept beside
    the part); otherwise the download starts over. The file is complete when the server's
    byte count is reached, and only then renamed into place. ``expected`` (the enclosure
    length, 0 if unknown) stands in when the server gives no count. Returns the size.
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
    validator = validator_file.read_text(encoding="utf-8") if validator_file.is_file() else None
    have = part.stat().st_size if part.exists() and validator is not None else 0
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
        if validator:
            headers["If-Range"] = validator
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            total, start = _extent(response)
            if response.status == 206 and start != have:
                raise _StartOver
            if response.status != 206:
                have = 0   # the whole file (again): it changed, or Range is not supported
                write_atomic(validator_file, (response.headers.get("ETag") or response.headers
                                              .get("Last-Modified") or "").encode())
            _write_body(response, part, have, total or expected, progress)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:
            extent = (exc.headers.get("Content-Range") or "").rpartition("/")[2]
            total = int(extent) if extent.isdigit() else expected
            if total != have:
                raise _StartOver from None
        else:
            raise FeedError(f"{url}: the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise FeedError(f"{url}: download stopped ({reason})",
                        hint="Run the import again to resume it") from None
    size = part.stat().st_size
    wanted = total or expected
    if wanted and size > wanted:
        raise _StartOver
    if wanted and size != wanted:
        raise FeedError(f"{url}: got {size:,} of {wanted:,} bytes",
                        hint="Run the import again to resume the download")
    os.replace(part, target)
    validator_file.unlink(missing_ok=True)
    return size


def _write_body(response: http.client.HTTPResponse, part: Path, have: int, total: int,
                progress: Callable[[int, int], None] | None) -> None:
    with part.open("ab" if have else "wb") as handle:
        done = have
        while block := response.read(BLOCK):
            handle.write(block)
            done += len(block)
            if progress:
                progress(done, total)
        handle.flush()
        os.fsync(handle.fileno())


def _discard(part: Path) -> None:
    part.unlink(missing_ok=True)
    part.with_name(part.name + ".etag").unlink(missing_ok=True)


def _extent(response: http.client.HTTPResponse) -> tuple[int, int]:
    """The full file size the server announces (0 when it does not say) and where the body
    starts in the file."""
    if response.status == 206:
        found = re.fullmatch(r"\s*bytes\s+(\d+)-\d+/(\d+|\*)\s*",
                             response.headers.get("Content-Range", ""))
        if not found:
            raise _StartOver
        return (int(found.group(2)) if found.group(2).isdigit() else 0), int(found.group(1))
    length = response.headers.get("Content-Length", "")
    return (int(length) if length.isdigit() else 0), 0
