"""``warcast serve``: the published site and the search API over HTTP (Starlette on uvicorn).

``GET /api/search?q=…`` answers with the same JSON object as ``warcast search --json``, from
the public index only. Everything else is the publish folder as static files (HEAD and byte
ranges included, so audio seeks). Starlette and uvicorn are imported only when serving.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from warcast.errors import WarcastError
from warcast.search import index_path
from warcast.search.index import SearchIndex

MAX_LIMIT = 100


def create_app(show_folder: Path, out: Path) -> Any:
    """The ASGI application serving ``out`` and searching the show in ``show_folder``."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    public_index = index_path(show_folder)

    def search(request: Request) -> JSONResponse:
        try:
            filters = _filters(request.query_params)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if not public_index.is_file():
            return JSONResponse({"error": "no search index yet; run 'warcast index'"},
                                status_code=503)
        try:
            with SearchIndex(public_index) as index:
                result = index.search(request.query_params.get("q", ""), **filters)
        except WarcastError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse(result.as_json(), headers={"Cache-Control": "no-store"})

    routes = [Route("/api/search", search, methods=["GET", "HEAD"])]
    if out.is_dir():
        routes.append(Mount("/", app=StaticFiles(directory=out, html=True), name="site"))
    return Starlette(routes=routes)


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


def serve(show_folder: Path, out: Path, host: str, port: int) -> None:
    """Run the server until interrupted."""
    import uvicorn

    uvicorn.run(create_app(show_folder, out), host=host, port=port, log_level="warning",
                server_header=False)
