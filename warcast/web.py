"""The HTTP client: every request warcast makes goes through here, on httpx.

One GET with a size limit (feeds, artwork, chapters, transcripts, article sources), one
resumable download to a file (imported audio) and one small request that only needs to be
accepted (pings). httpx follows redirects, undoes ``Content-Encoding`` and reads the charset;
failures become :class:`~warcast.errors.FeedError` naming the URL: :class:`Refused` when the
server answered with an error status (the host works, the file does not), otherwise the host
could not be reached or the body was cut.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from warcast import __version__
from warcast.errors import FeedError

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"warcast/{__version__}"


class Refused(FeedError):
    """The server answered, with an error status (``status``)."""

    def __init__(self, message: str, *, status: int, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers


@dataclass(frozen=True)
class Body:
    """A response body read with a limit: its bytes (decoded from any Content-Encoding), the
    URL it came from after redirects and the charset its Content-Type named."""

    data: bytes
    url: str
    charset: str | None


def get(url: str, *, limit: int, timeout: float) -> Body:
    """GET ``url`` and read at most ``limit + 1`` bytes of its body."""
    import httpx

    with response_to(url, timeout=timeout) as response:
        data = bytearray()
        try:
            for block in response.iter_bytes():
                data += block
                if len(data) > limit:
                    break
        except httpx.DecodingError as exc:
            raise FeedError(f"{url}: the compressed body cannot be unpacked ({exc})") from None
        except httpx.HTTPError:
            declared = response.headers.get("Content-Length", "")
            of = f" of {int(declared):,}" if declared.isdigit() else ""
            raise FeedError(f"{url}: the download stopped after "
                            f"{response.num_bytes_downloaded:,}{of} bytes",
                            hint="Try again") from None
        return Body(bytes(data[:limit + 1]), str(response.url), response.charset_encoding)


@contextmanager
def response_to(url: str, *, timeout: float, headers: dict[str, str] | None = None,
                failed: str = "cannot be reached",
                hint: str = "Check the URL and your connection") -> Iterator[httpx.Response]:
    """A streamed GET response (the body not yet read). A status of 400 or more is
    :class:`Refused`; a request that fails on the way is a FeedError saying ``failed``."""
    import httpx

    try:
        with httpx.Client(follow_redirects=True, timeout=timeout,
                          headers={"User-Agent": USER_AGENT}) as client, \
                client.stream("GET", url, headers=headers) as response:
            if response.status_code >= 400:
                raise Refused(f"{url}: the server answered {response.status_code} "
                              f"{response.reason_phrase}", status=response.status_code,
                              headers=dict(response.headers))
            yield response
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.TransportError, OSError,
            ValueError) as exc:
        raise FeedError(f"{url}: {failed} ({exc or type(exc).__name__})", hint=hint) from None


def send(method: str, url: str, *, timeout: float, headers: dict[str, str],
         data: dict[str, str] | None = None) -> int | None:
    """Make one request and read its answer: the status, or None when there was none."""
    import httpx

    try:
        response = httpx.request(method, url, data=data, timeout=timeout, follow_redirects=True,
                                 headers={"User-Agent": USER_AGENT, **headers})
    except (httpx.HTTPError, OSError, ValueError):
        return None
    return response.status_code
