"""The benchmark results: figures with their targets, the machine they ran on, and the two
files they are written to (results.json for tools, results.md for people)."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured figure; ``passed`` is None when it has no target of its own."""

    benchmark: str
    figure: str
    value: float
    unit: str
    shown: str
    target: str = "—"
    passed: bool | None = None
    peer: dict[str, Any] = field(default_factory=dict)


def machine() -> dict[str, Any]:
    """What the figures depend on: cores, CPU, Python and the inference libraries."""
    import ctranslate2
    import faster_whisper

    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "faster_whisper": faster_whisper.__version__,
        "ctranslate2": ctranslate2.__version__,
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write(folder: Path, mode: str, seconds: float, figures: list[Figure],
          details: dict[str, Any]) -> tuple[Path, Path]:
    """Write results.json and results.md into ``folder``; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    info = machine()
    data = {"mode": mode, "seconds": round(seconds, 1), "machine": info,
            "figures": [asdict(figure) for figure in figures], "details": details}
    json_path, md_path = folder / "results.json", folder / "results.md"
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(markdown(mode, seconds, info, figures, details), encoding="utf-8")
    return json_path, md_path


def markdown(mode: str, seconds: float, info: dict[str, Any], figures: list[Figure],
             details: dict[str, Any]) -> str:
    """The results as a Markdown page: figures table, then the machine."""
    verdict = {True: "pass", False: "**FAIL**", None: "—"}
    lines = [f"# warcast benchmarks ({mode} run)", "",
             f"Ran {info['date']}, took {minutes(seconds)}.", "",
             "| benchmark | figure | value | target | result |", "|---|---|---|---|---|"]
    lines += [f"| {f.benchmark} | {f.figure} | {f.shown} | {f.target} | {verdict[f.passed]} |"
              for f in figures]
    lines += ["", "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {key.replace('_', ' ')} | {value} |" for key, value in info.items()]
    lines += ["", "## Details (transcripts are in results.json)", "", "```json",
              json.dumps(_without_transcripts(details), indent=2), "```", ""]
    return "\n".join(lines)


def _without_transcripts(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_transcripts(v) for k, v in value.items() if k != "transcripts"}
    return value


def minutes(seconds: float) -> str:
    """Seconds as "12 min 5 s"."""
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60} s" if whole >= 60 else f"{whole} s"


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank ``share`` percentile (0.95 for p95) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def write_table(folder: Path, name: str, title: str, results: dict[str, Any], *,
                intro: str = "", outro: str = "") -> str:
    """Write ``results`` as ``name.json`` and a two-column ``name.md`` table of its plain
    values (lists and tables stay in the JSON), between ``intro`` and ``outro``; return the
    table."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# {title}", "", *([intro, ""] if intro else []), "| figure | value |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in results.items()
              if not isinstance(value, list | dict)]
    lines += ["", outro] if outro else []
    table = "\n".join(lines) + "\n"
    (folder / f"{name}.md").write_text(table)
    return table
