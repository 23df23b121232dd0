"""``warcast serve``: the published site, the search API and the members' private feeds over
HTTP (Starlette on uvicorn; imported only when serving).

- ``GET /api/search?q=…`` answers with the same JSON as ``warcast search --json``, from the
  public index only.
- ``/members/<token>/feed.xml`` is a member's private feed; every URL in it, and every file
  under ``/members/<token>/``, needs that token. The members' store is asked on every
  request, so a revocation or rotation takes effect on the next one, in every worker. An
  unknown, revoked, expired or malformed token gets the same plain 404 as a missing page;
  a client that keeps failing is slowed down.
- ``/members/<token>/api/search`` searches the members' index (members-only episodes too).
- Everything else is the publish folder as static files; HEAD and byte ranges are answered
  (Apple requires ranges for audio).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from warcast.errors import WarcastError
from warcast.members import PLACEHOLDER, STORE_FILE, TOKEN, MemberStore
from warcast.search import index_path
from warcast.search.index import SearchIndex
from warcast.state import BUNDLE_DIR
from warcast.stats.audience import STATS_DIR

MAX_LIMIT = 100
TEXT_TYPES = {".xml": "application/rss+xml", ".json": "application/json",
              ".html": "text/html; charset=utf-8", ".vtt": "text/vtt; charset=utf-8",
              ".srt": "application/x-subrip", ".txt": "text/plain; charset=utf-8"}
FREE_FAILURES = 10            # failed member requests per client before slowing down
FAILURE_WINDOW = 60.0         # seconds a failure is remembered
MAX_DELAY = 2.0               # seconds added to a failing client's responses, at most


class _Failures:
    """Failed member lookups per client address (per worker process), for slowing down
    guessing. Bounded: the oldest clients are forgotten first."""

    def __init__(self, size: int = 10_000) -> None:
        self.seen: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self.size = size

    def delay(self, client: str) -> float:
        count, since = self.seen.get(client, (0, 0.0))
        if time.monotonic() - since > FAILURE_WINDOW:
            return 0.0
        return min(MAX_DELAY, max(0, count - FREE_FAILURES) * 0.2)

    def record(self, client: str) -> None:
        now = time.monotonic()
        count, since = self.seen.pop(client, (0, now))
        if now - since > FAILURE_WINDOW:
            count, since = 0, now
        self.seen[client] = (count + 1, since)
        while len(self.seen) > self.size:
            self.seen.popitem(last=False)


class _Readers:
    """Read connections kept open by the server: the members store (asked on every request,
    from the event loop: a lookup is one indexed read) and the search indexes (one connection
    per thread). Open connections see every change committed since, so a revocation counts
    on the next request."""

    def __init__(self, show_folder: Path) -> None:
        self.show_folder = show_folder
        self.store: MemberStore | None = None
        self.local = threading.local()
        self.files: dict[Path, tuple[tuple[int, int], bytes]] = {}

    def member(self, token: str) -> str | None:
        if not TOKEN.fullmatch(token):
            return None
        if self.store is None:
            if not (self.show_folder / STORE_FILE).is_file():
                return None
            try:
                self.store = MemberStore(self.show_folder, readonly=True)
            except WarcastError:
                return None
        try:
            return self.store.check(token, dt.date.today())
        except sqlite3.Error:
            self.store = None
            return None

    def index(self, path: Path) -> SearchIndex:
        opened = getattr(self.local, "indexes", None)
        if opened is None:
            opened = self.local.indexes = {}
        if path not in opened:
            opened[path] = SearchIndex(path)
        return opened[path]

    def text(self, path: Path) -> bytes:
        """A small text file's bytes, read again only when it changes."""
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self.files.get(path)
        if cached is None or cached[0] != key:
            cached = (key, path.read_bytes())
            self.files[path] = cached
        return cached[1]


def create_app(show_folder: Path, out: Path) -> Any:
    """The ASGI application serving ``out`` and the show in ``show_folder``."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    private = show_folder / BUNDLE_DIR
    failures = _Failures()
    readers = _Readers(show_folder)

    def search_with(index: Path, request: Request) -> JSONResponse:
        try:
            filters = _filters(request.query_params)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if not index.is_file():
            return JSONResponse({"error": "no search index yet; run 'warcast index'"},
                                status_code=503)
        try:
            result = readers.index(index).search(request.query_params.get("q", ""), **filters)
        except WarcastError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse(result.as_json(), headers={"Cache-Control": "no-store"})

    def public_search(request: Request) -> JSONResponse:
        return search_with(index_path(show_folder), request)

    async def members(request: Request) -> Response:
        client = request.client.host if request.client else "?"
        token = request.path_params["token"]
        name = readers.member(token)
        if name is None:
            failures.record(client)
            delay = failures.delay(client)
            if delay:
                await asyncio.sleep(delay)
            return _not_found()
        rest = request.path_params.get("rest", "")
        if rest == "api/search":
            return await asyncio.to_thread(search_with, index_path(show_folder, members=True),
                                           request)
        return _member_file(rest, token, private, out, readers, show_folder / STATS_DIR)

    routes = [Route("/api/search", public_search, methods=["GET", "HEAD"]),
              Route("/members/{token}/{rest:path}", members, methods=["GET", "HEAD"]),
              Route("/members/{token}", members, methods=["GET", "HEAD"])]
    if out.is_dir():
        routes.append(Mount("/", app=StaticFiles(directory=out, html=True), name="site"))
    return Starlette(routes=routes)


def _not_found() -> Any:
    """The same plain 404 for a missing page and for a token that is not (or no longer) good."""
    from starlette.responses import PlainTextResponse

    return PlainTextResponse("Not Found", status_code=404)


def _member_file(rest: str, token: str, private: Path, out: Path, readers: _Readers,
                 stats: Path) -> Any:
    """A file of the members' bundle (its placeholder replaced by the member's token), of the
    download counts ('warcast stats --page'), or, for what is shared, of the public site."""
    from starlette.responses import FileResponse, Response

    relative = Path(rest or "feed.xml")
    if rest.endswith("/") or rest == "":
        relative = relative / "index.html" if rest else Path("feed.xml")
    if ".." in relative.parts or relative.is_absolute() or \
            any(part.startswith(".") for part in relative.parts):
        return _not_found()
    for folder in (private, stats, out):
        path = folder / relative
        if path.is_file():
            break
    else:
        return _not_found()
    kind = TEXT_TYPES.get(path.suffix.lower())
    headers = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}
    if kind is not None and folder == private:
        body = readers.text(path).replace(PLACEHOLDER.encode(), token.encode())
        return Response(body, media_type=kind, headers=headers)
    return FileResponse(path, headers=headers)


def _filters(params: Any) -> dict[str, Any]:
    """Query-string filters, checked: a bad value is a 400, never a server error."""
    filters: dict[str, Any] = {}
    if "limit" in params:
        try:
            filters["limit"] = int(params["limit"])
        except ValueError:
            raise ValueError("limit must be a whole number") from None
        if not 1 <= filters["limit"] <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    for name in ("since", "until"):
        if params.get(name):
            try:
                filters[name] = dt.date.fromisoformat(params[name])
            except ValueError:
                raise ValueError(f"{name} must be a date, YYYY-MM-DD") from None
    for name in ("episode", "speaker"):
        if params.get(name):
            filters[name] = params[name][:200]
    return filters


_MEMBER_PATH = re.compile(r"^/members/[^/?]*")


class AccessLog:
    """ASGI middleware appending one combined-format line per request to a file (what
    ``warcast stats`` reads): client, UTC time, request line, status, body bytes sent,
    referer and user agent. Lines are appended whole, so several workers can share a file."""

    def __init__(self, app: Any, path: Path) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = {"status": 0, "bytes": 0}

        async def counting(message: Any) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
            elif message["type"] == "http.response.body":
                sent["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting)
        finally:
            self.write(scope, sent["status"] or 500, sent["bytes"])

    def write(self, scope: Any, status: int, size: int) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        client = (scope.get("client") or ("-", 0))[0]
        target = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
        # A member's token is a secret (stored only as a digest): never in a log.
        target = _MEMBER_PATH.sub("/members/-", target)
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        stamp = dt.datetime.now(dt.UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")

        def quoted(value: str) -> str:
            return value.replace("\\", "\\\\").replace('"', '\\"') or "-"

        line = (f'{client} - - [{stamp}] "{scope["method"]} {quoted(target)} '
                f'HTTP/{scope.get("http_version", "1.1")}" {status} {size or "-"} '
                f'"{quoted(headers.get("referer", ""))}" '
                f'"{quoted(headers.get("user-agent", ""))}"\n')
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)


def app_from_environment() -> Any:
    """The application for uvicorn workers (``--workers``): folders from the environment."""
    app = create_app(Path(os.environ["WARCAST_SERVE_SHOW"]),
                     Path(os.environ["WARCAST_SERVE_OUT"]))
    log = os.environ.get("WARCAST_SERVE_ACCESS_LOG")
    return AccessLog(app, Path(log)) if log else app


def serve(show_folder: Path, out: Path, host: str, port: int, workers: int = 1,
          access_log: Path | None = None) -> None:
    """Run the server until interrupted (with ``access_log``, appending a combined-format line
    per request to that file)."""
    import uvicorn

    if workers > 1:
        os.environ["WARCAST_SERVE_SHOW"] = str(show_folder.resolve())
        os.environ["WARCAST_SERVE_OUT"] = str(out.resolve())
        if access_log is not None:
            os.environ["WARCAST_SERVE_ACCESS_LOG"] = str(access_log.resolve())
        uvicorn.run("warcast.server:app_from_environment", factory=True, host=host, port=port,
                    workers=workers, log_level="warning", server_header=False)
        return
    app = create_app(show_folder, out)
    uvicorn.run(AccessLog(app, access_log) if access_log else app, host=host, port=port,
                log_level="warning", server_header=False)
