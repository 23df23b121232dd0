"""Audience reports: download counts written as CSV, a PNG chart and a page in the members'
area, from :class:`warcast.stats.downloads.Counts` (pure renderers, then atomic writes).

The page is ``<show>/.warcast/stats/stats/index.html``; ``warcast serve`` answers it to members at
``/members/<token>/stats/``. Same counts, same bytes: nothing here reads a clock.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

from warcast.errors import StatsError
from warcast.files import write_atomic
from warcast.state import STATE_DIR
from warcast.stats.downloads import Counts, count

STATS_DIR = f"{STATE_DIR}/stats"     # in the show folder; served under /members/<token>/
PAGE = "stats/index.html"
CHART = "stats/downloads.png"
CHART_SIZE = (960, 360)


def stats_show(show_folder: Path, logs: list[Path], *, log_format: str | None = None,
               csv_file: Path | None = None, chart: Path | None = None,
               page: bool = False, keep: bool = False) -> Counts:
    """Count the show's downloads in ``logs`` (added to the kept counts with ``keep``) and
    write the reports asked for."""
    counts = count(show_folder, logs, log_format=log_format, keep=keep)
    if csv_file is not None:
        _write(csv_file, counts.as_csv().encode("utf-8"))
    if chart is not None:
        _write(chart, render_chart(counts))
    if page:
        folder = show_folder / STATS_DIR
        _write(folder / CHART, render_chart(counts))
        _write(folder / PAGE, render_page(counts).encode("utf-8"))
    return counts


def _write(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise StatsError(f"cannot write: {exc.strerror or exc}", path=path,
                         hint="Check the folder exists and is writable") from None


def render_chart(counts: Counts) -> bytes:
    """Downloads per day as a bar chart (PNG), days without downloads included."""
    from PIL import Image, ImageDraw, ImageFont

    days = _every_day(counts.by("day"))
    width, height = CHART_SIZE
    left, right, top, bottom = 60, 20, 30, 50
    image = Image.new("RGB", CHART_SIZE, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    peak = max((n for _, n in days), default=0) or 1
    draw.text((left, 8), f"Downloads per day (IAB v2 rules): {counts.total:,} in all",
              fill="black", font=font)
    draw.line((left, height - bottom, width - right, height - bottom), fill="black")
    draw.text((8, top - 6), f"{peak:,}", fill="black", font=font)
    draw.text((8, height - bottom - 6), "0", fill="black", font=font)
    span = (width - left - right) / max(len(days), 1)
    for index, (day, n) in enumerate(days):
        x0 = left + index * span
        y0 = height - bottom - (height - top - bottom) * n / peak
        draw.rectangle((round(x0 + span * 0.1), round(y0), round(x0 + span * 0.9),
                        height - bottom), fill=(46, 94, 170))
        if index % max(1, len(days) // 8) == 0:
            draw.text((round(x0), height - bottom + 8), day, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _every_day(days: list[tuple[str, int]]) -> list[tuple[str, int]]:
    import datetime as dt

    if not days:
        return []
    seen = dict(days)
    first, last = dt.date.fromisoformat(days[0][0]), dt.date.fromisoformat(days[-1][0])
    return [((first + dt.timedelta(d)).isoformat(),
             seen.get((first + dt.timedelta(d)).isoformat(), 0))
            for d in range((last - first).days + 1)]


def render_page(counts: Counts) -> str:
    """The members' stats page: totals, the chart, and tables by episode, app and platform."""
    sections = []
    for dimension, title in (("episode", "By episode"), ("app", "By app"),
                             ("platform", "By platform"), ("day", "By day")):
        rows = "".join(f"<tr><td>{html.escape(key)}</td><td>{n:,}</td></tr>"
                       for key, n in counts.by(dimension))
        sections.append(f"<h2>{title}</h2>\n<table><tr><th>{dimension}</th>"
                        f"<th>downloads</th></tr>{rows}</table>")
    left_out = "".join(f"<li>{html.escape(name)}: {n:,}</li>"
                       for name, n in counts.excluded.items() if n)
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"robots\" content=\"noindex\"><title>Downloads</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem}table{border-collapse:collapse}td,th{padding:.2rem .8rem;"
        "border-bottom:1px solid #ddd;text-align:left}img{max-width:100%}</style></head>"
        f"<body><h1>Downloads: {counts.total:,}</h1>"
        "<p>Counted by the IAB Podcast Measurement v2 rules from "
        f"{counts.lines:,} log lines.</p>"
        "<img src=\"downloads.png\" alt=\"Downloads per day\">\n"
        + "\n".join(sections)
        + f"<h2>Left out</h2><ul>{left_out}</ul></body></html>\n")
