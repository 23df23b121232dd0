"""Names from the articles spelled right, and word error rate, with and without the glossary.

Usage: python bench/names.py [--voices en-us,en-gb-x-rp,...]

``names_script.txt`` is written for this benchmark (not the sample episodes' scripts) and uses
people, places, groups and acronyms from the sample show's articles (episodes/articles.jsonl).
Each voice speaks it (espeak-ng, 150 words a minute, MP3 64 kbit/s); the same clip goes to
faster-whisper's plain ``WhisperModel.transcribe`` (beam 5), to warcast without any terms, and
to warcast with the glossary ``warcast glossary --write`` would write for the sample show.
Results: bench/results/names.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import engines
import speech
import wer

BENCH = Path(__file__).resolve().parent
SCRIPT = BENCH / "names_script.txt"
VOICES = ("en-us", "en-gb-x-rp", "en-us+f3", "en-gb-scotland", "en-us+m3", "en-gb+f2")
NAMES = ("Caracas", "Essequibo", "Stabroek", "Guyana", "Maduro", "PDVSA", "Roraima", "Sarmiento",
         "Castellanos", "Houthis", "Suez", "Aspides", "Hegseth", "Qasemi", "Yemen",
         "Wierzbicki", "Lindqvist", "Marchetti")


def glossary_terms() -> tuple[str, ...]:
    """The union of the sample episodes' derived glossaries, from the imported articles."""
    from warcast.articles import import_sources
    from warcast.episodes import load_episodes
    from warcast.show import load_show
    from warcast.transcript.glossary import GLOSSARY_FILE, read_file, write_glossary

    folder = Path(tempfile.mkdtemp()) / "show"
    shutil.copytree(BENCH.parent / "episodes", folder)
    (folder / "show.toml").write_text((folder / "show.toml").read_text().split("[transcribe]")[0])
    import_sources(folder, [str(folder / "articles.jsonl")])
    show = load_show(folder)
    write_glossary(show, load_episodes(show))
    return read_file(folder / GLOSSARY_FILE)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voices", default=",".join(VOICES))
    voices = parser.parse_args().voices.split(",")
    speech.require_tools()
    text = " ".join(" ".join(p.split()) for p in SCRIPT.read_text().split("\n\n") if p.strip())
    terms = glossary_terms()
    missing = [n for n in NAMES if n not in terms]
    print(f"glossary: {len(terms)} terms; script names not in it: {missing or 'none'}")
    plain = engines.plain_model()
    bare, _ = engines.warcast_model()
    with_terms, _ = engines.warcast_model(terms)
    rows = []
    for voice in voices:
        clip = speech.spoken(text, voice, BENCH / "results" / "cache")
        runs = {"plain faster-whisper": engines.plain_default(clip, plain),
                "warcast, no glossary": engines.warcast(clip, bare),
                "warcast, glossary": engines.warcast(clip, with_terms)}
        for name, run in runs.items():
            right, total = wer.names_spelled(text, run.text, NAMES)
            rows.append((voice, name, wer.word_error_rate(text, run.text), right, total,
                         run.wall_seconds))
            print(f"{voice:16} {name:22} WER {rows[-1][2]:.3f}  names {right}/{total}  "
                  f"{run.wall_seconds:.1f} s", flush=True)
    lines = ["| voice | engine | WER | names right | wall s |", "|---|---|---|---|---|"]
    lines += [f"| {v} | {n} | {w:.3f} | {r}/{t} | {s:.1f} |" for v, n, w, r, t, s in rows]
    for name in ("plain faster-whisper", "warcast, no glossary", "warcast, glossary"):
        mine = [r for r in rows if r[1] == name]
        shares = [r[3] / r[4] for r in mine]
        lines.append(f"| all | {name} | {statistics.mean(r[2] for r in mine):.3f} | "
                     f"{sum(r[3] for r in mine)}/{sum(r[4] for r in mine)} "
                     f"(per voice {min(shares):.2f}-{max(shares):.2f}) | "
                     f"{sum(r[5] for r in mine):.1f} |")
    out = BENCH / "results" / "names.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
