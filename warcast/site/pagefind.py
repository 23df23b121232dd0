"""The site's static search: a Pagefind bundle over the public transcripts, no server needed.

Pagefind (its binary ships in the ``pagefind[bin]`` wheel) indexes a set of source pages made
here for it, one per public episode, never published themselves: the title and show notes,
then every transcript passage under a heading whose id is ``t`` + its start second. Pagefind
returns each heading as a sub-result with that anchor, and the search page turns
``…/episodes/<slug>/#t754`` into the episode page at ``?t=754``. The bundle's files go into
the publish plan like any other output: staged, compared, switched atomically.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from html import escape
from pathlib import Path

from warcast.errors import PublishError
from warcast.publish.cache import RenderCache, digest
from warcast.timecode import clock

BUNDLE = "pagefind"
SHARD = 50        # episodes: the recent bundle holds 25 to 75 of them
# What the search page loads: the UI kits Pagefind also writes are left out (page weight).
# The language is forced, so the fallback "unknown" language's wasm is never loaded either.
_UNUSED = ("pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui", "pagefind-highlight",
           "wasm.unknown.")


def search_bundle(sources: dict[str, bytes], language: str,
                  cache: RenderCache | None = None) -> dict[str, bytes]:
    """Pagefind's files by output path, from the source pages (by the output path of the
    episode page each stands for, newest episode first): two bundles, ``pagefind/recent/``
    for the newest episodes and ``pagefind/archive/`` for the rest, each cached by a digest
    of its pages, so a new episode re-indexes only the recent ones. The search page merges
    them. Which episodes are recent depends only on how many there are (see ``split``)."""
    recent, archive = split(list(sources.items()))
    files = _bundle(recent, f"{BUNDLE}/recent", language, cache)
    if archive:
        files.update(_bundle(archive, f"{BUNDLE}/archive", language, cache))
    return files


def split(pages: list) -> tuple[list, list]:  # type: ignore[type-arg]
    """(recent, archive) of a list, newest first: the archive is the oldest ``SHARD * k``
    episodes, k chosen from the count alone so that 25 to 75 episodes are recent; adding an
    episode moves the line only once every ``SHARD`` episodes."""
    count = len(pages)
    archived = max(0, SHARD * ((count - SHARD // 2) // SHARD))
    oldest_first = pages[::-1]
    return oldest_first[archived:][::-1], oldest_first[:archived][::-1]


def _bundle(pages: list[tuple[str, bytes]], subdir: str, language: str,
            cache: RenderCache | None) -> dict[str, bytes]:
    if cache is not None:
        return cache.through(f"pagefind:{digest(subdir, language, sorted(pages))}",
                             lambda: _bundle(pages, subdir, language, None))
    with tempfile.TemporaryDirectory(prefix="warcast-search-") as folder:
        site = Path(folder) / "site"
        for path, html in pages:
            page = site / path
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_bytes(html)
        if not pages:
            (site / "index.html").parent.mkdir(parents=True, exist_ok=True)
            (site / "index.html").write_text(
                f'<html lang="{escape(language)}"><body><main data-pagefind-body>'
                "<h1>No episodes yet</h1></main></body></html>", encoding="utf-8")
        command = [sys.executable, "-m", "pagefind", "--site", str(site), "--output-subdir",
                   subdir, "--force-language", language.split("-")[0] or "en", "--silent"]
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PublishError(f"cannot build the search page's index ({exc})",
                               hint="Reinstall warcast (it needs pagefind[bin])") from None
        if run.returncode != 0:
            detail = (run.stderr or run.stdout).strip().splitlines()
            raise PublishError("cannot build the search page's index "
                               f"({detail[-1] if detail else 'pagefind failed'})",
                               hint="Reinstall warcast (it needs pagefind[bin])")
        out = site / subdir
        files = {f"{subdir}/{path.relative_to(out).as_posix()}": path.read_bytes()
                 for path in sorted(out.rglob("*"))
                 if path.is_file() and not path.name.startswith(_UNUSED)}
    return files


def source_page(view, language: str) -> str:  # type: ignore[no-untyped-def]
    """The page Pagefind indexes for one episode (never published itself)."""
    episode = view.episode
    parts = [f'<!DOCTYPE html><html lang="{escape(language)}"><head><meta charset="utf-8">'
             f"<title>{escape(episode.title)}</title></head><body><main data-pagefind-body>",
             f"<h1>{escape(episode.title)}</h1>",
             f'<p data-pagefind-meta="date">{episode.published.date().isoformat()}</p>']
    about = " ".join(filter(None, [episode.summary, episode.description_text,
                                   ", ".join(g.name for g in episode.guests)]))
    if about:
        parts.append(f"<p>{escape(about)}</p>")
    for passage in view.passages:
        second = int(passage.start)
        who = f"{escape(passage.speaker)}: " if passage.speaker else ""
        parts.append(f'<h2 id="t{second}">{clock(passage.start)}</h2>'
                     f"<p>{who}{escape(passage.text)}</p>")
    parts.append("</main></body></html>")
    return "\n".join(parts)
