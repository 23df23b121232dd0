"""Search success@3 on ASR transcripts: known-item queries written from the script.

Usage: python bench/findability.py [--voices en-us,en-us+f3,...]

``names_script.txt`` is spoken by espeak-ng (see names.py) and transcribed by warcast with the
derived glossary; the words become 12-word passages in a real search index. The queries are
written from the script, not the transcript: every name of names.NAMES, the first three words
after each sentence's first word as a quoted phrase, and the two longest words of each sentence.
A query succeeds when one of the first three hits starts within 15 s of where the script says
it (espeak-ng speaks at an even pace, so the word's share of the script gives the time).
Exact-only search (``suggest=False``) is run beside the default. Results: results/findability.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import tempfile
from pathlib import Path

import engines
import names
import speech

BENCH = Path(__file__).resolve().parent
TOLERANCE = 15.0


def queries(text: str) -> list[tuple[str, str, float]]:
    """(kind, query, share of the script before it)."""
    words = text.split()
    out = []
    position = 0
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        tokens = sentence.split()
        share = position / len(words)
        clean = [re.sub(r"[^\w-]", "", t) for t in tokens]
        if len(clean) > 4:
            out.append(("phrase", '"' + " ".join(clean[1:4]) + '"', share))
        for word in sorted(clean, key=lambda w: (-len(w), w))[:2]:
            out.append(("keyword", word, share))
        for name in names.NAMES:
            if name in clean:
                out.append(("name", name, (position + clean.index(name)) / len(words)))
        position += len(tokens)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voices", default="en-us,en-gb-x-rp,en-us+f3,en-gb-scotland")
    voices = parser.parse_args().voices.split(",")
    from warcast.search import IndexedEpisode, Passage, SearchIndex
    from warcast.whisper import transcribe_words

    text = " ".join(" ".join(p.split()) for p in names.SCRIPT.read_text().split("\n\n")
                    if p.strip())
    options, _ = engines.warcast_model(names.glossary_terms())
    lines = ["| voice | kind | exact only | with the approximate pass |", "|---|---|---|---|"]
    totals = {False: [0, 0], True: [0, 0]}
    for voice in voices:
        clip = speech.spoken(text, voice, BENCH / "results" / "cache")
        words, seconds = transcribe_words(clip, options)
        passages = tuple(Passage("transcript", words[i].start,
                                 words[min(i + 11, len(words) - 1)].end,
                                 " ".join(w.text for w in words[i:i + 12]))
                         for i in range(0, len(words), 12))
        path = Path(tempfile.mkdtemp()) / "index.sqlite"
        with SearchIndex(path, create=True) as index:
            index.update([IndexedEpisode("clip", "Clip", dt.date(2026, 1, 1), "https://x/",
                                         "https://x/a.mp3", passages)])
            by_kind: dict[str, dict[bool, list[int]]] = {}
            for kind, query, share in queries(text):
                for loose in (False, True):
                    hits = index.search(query, limit=3, suggest=loose).hits
                    ok = any(abs(h.start - share * seconds) <= TOLERANCE for h in hits)
                    tally = by_kind.setdefault(kind, {False: [0, 0], True: [0, 0]})[loose]
                    tally[0] += ok
                    tally[1] += 1
                    totals[loose][0] += ok
                    totals[loose][1] += 1
            for kind, tally in sorted(by_kind.items()):
                lines.append(f"| {voice} | {kind} | {tally[False][0]}/{tally[False][1]} | "
                             f"{tally[True][0]}/{tally[True][1]} |")
    lines.append(f"| all | all | {totals[False][0]}/{totals[False][1]} "
                 f"({totals[False][0] / totals[False][1]:.2f}) | {totals[True][0]}/"
                 f"{totals[True][1]} ({totals[True][0] / totals[True][1]:.2f}) |")
    (BENCH / "results" / "findability.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
