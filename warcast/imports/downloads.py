"""Fetching what an imported feed links to: small files (artwork, chapters, transcripts) and
the audio itself, resumably.

A host that cannot be reached once is not tried again in the same import, so an offline import
of a long back catalog stays quick; what could not be fetched is kept as a link and reported.
"""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from warcast import __version__
from warcast.errors import FeedError

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

    The file is complete when the server's byte count is reached; only then is it renamed
    into place. ``expected`` (the enclosure length, 0 if unknown) is what the server's count
    is compared with when the server gives none. Returns the size. FeedError says what went
    wrong; the part file stays for the next try.
    """
    part = target.with_name(target.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            total = _total(response, have)
            if response.status != 206:
                have = 0   # the server sent the whole file again
            with part.open("ab" if have else "wb") as handle:
                done = have
                while block := response.read(BLOCK):
                    handle.write(block)
                    done += len(block)
                    if progress:
                        progress(done, total or expected)
                handle.flush()
                os.fsync(handle.fileno())
    except urllib.error.HTTPError as exc:
        if exc.code != 416 or not have:
            raise FeedError(f"{url}: the server answered {exc.code} {exc.reason}") from None
        extent = (exc.headers.get("Content-Range") or "").rpartition("/")[2]
        total = int(extent) if extent.isdigit() else expected
        if total != have:   # the part file is not a beginning of this file: start over
            part.unlink()
            raise FeedError(f"{url}: the partial download does not match the file",
                            hint="Run the import again to download it afresh") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise FeedError(f"{url}: download stopped ({reason})",
                        hint="Run the import again to resume it") from None
    size = part.stat().st_size
    wanted = total or expected
    if wanted and size != wanted:
        raise FeedError(f"{url}: got {size:,} of {wanted:,} bytes",
                        hint="Run the import again to resume the download")
    os.replace(part, target)
    return size


def _total(response: http.client.HTTPResponse, have: int) -> int:
    """The full file size the server announces (0 when it does not say)."""
    if response.status == 206:
        extent = response.headers.get("Content-Range", "").rpartition("/")[2]
        return int(extent) if extent.isdigit() else 0
    length = response.headers.get("Content-Length", "")
    return int(length) if length.isdigit() else 0
