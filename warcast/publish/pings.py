"""Pings: telling podcast apps at once that the public feed changed, instead of waiting for
them to poll: WebSub ``publish`` to each hub named in show.toml (the feed carries them as
``<atom:link rel="hub">``) and Podping over its HTTP endpoint.

Each endpoint is told once per feed content: what was told is remembered by the feed's
SHA-256 in ``<show>/.warcast/cache/pings.json``, so a deploy that sent nothing new tells
nobody, and a ping that failed is tried again on the next deploy. Failures are retried with
exponential backoff. Only the public feed URL is ever sent; a members' feed never is.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from warcast.files import write_atomic
from warcast.show import Show
from warcast.state import CACHE_DIR
from warcast.web import send

STATE_FILE = f"{CACHE_DIR}/pings.json"
ATTEMPTS = 4                 # tries per endpoint
BACKOFF = 1.0                # seconds before the second try; doubled for each next one
TIMEOUT = 10.0


@dataclass
class PingReport:
    """Who was told (``sent``), who already knew (``known``), who could not be reached."""

    sent: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Call:
    """One request to an endpoint: method, URL, headers and form fields (for a POST)."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] | None = None


def endpoints(show: Show) -> list[tuple[str, Call]]:
    """One request per endpoint telling it that the show's public feed changed."""
    feed = show.feed_url
    requests = [(f"websub {hub}", Call("POST", hub, data={"hub.mode": "publish", "hub.url": feed}))
                for hub in show.hubs]
    if show.podping is not None:
        url, token = show.podping
        query = urllib.parse.urlencode({"url": feed, "reason": "update", "medium": show.medium})
        requests.append((f"podping {url}", Call("GET", f"{url}{'&' if '?' in url else '?'}{query}",
                                                headers={"Authorization": token})))
    return requests


def ping(show: Show, feed: bytes, *, attempts: int = ATTEMPTS, backoff: float = BACKOFF,
         sleep: Callable[[float], None] = time.sleep) -> PingReport:
    """Tell every endpoint in show.toml about ``feed`` (the public feed as now served),
    unless it was told about these exact bytes before."""
    report = PingReport()
    if "/members/" in show.feed_url:
        return report
    digest = hashlib.sha256(feed).hexdigest()
    state_path = show.folder / STATE_FILE
    state = _load(state_path)
    told = state.get(show.feed_url, {})
    for name, request in endpoints(show):
        if told.get(name) == digest:
            report.known.append(name)
            continue
        if _send(request, attempts, backoff, sleep):
            told[name] = digest
            report.sent.append(name)
            state[show.feed_url] = told
            write_atomic(state_path, json.dumps(state, indent=1, sort_keys=True).encode())
        else:
            report.failed.append(name)
    return report


def _send(request: Call, attempts: int, backoff: float,
          sleep: Callable[[float], None]) -> bool:
    """True once the endpoint accepted (2xx); server errors and timeouts are retried, other
    refusals (a bad token, a 404) are not."""
    for attempt in range(attempts):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        status = send(request.method, request.url, timeout=TIMEOUT, headers=request.headers,
                      data=request.data)
        if status is not None and status < 400:
            return True
        if status is not None and status < 500 and status != 429:
            return False
    return False


def _load(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}
