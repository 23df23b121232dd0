"""Transcribe one file in a fresh process, so the parent can read this process's peak memory.

Usage: python bench/probe.py {warcast|plain} AUDIO

Loads the model, transcribes AUDIO with warcast's defaults (``warcast``) or with faster-whisper's
batched pipeline on the whole decoded file (``plain``), and prints one JSON object: audio
seconds, wall seconds of the transcription (model load excluded) and the number of characters.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import engines


def main(engine: str, path: Path) -> None:
    if engine == "warcast":
        options, _ = engines.warcast_model()
        run = engines.warcast(path, options)
    elif engine == "plain":
        run = engines.plain_batched(path, engines.plain_model())
    else:
        raise SystemExit(f"probe: unknown engine {engine!r} (use warcast or plain)")
    json.dump({"audio_seconds": run.audio_seconds, "wall_seconds": run.wall_seconds,
               "characters": len(run.text)}, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.strip().splitlines()[2])
    main(sys.argv[1], Path(sys.argv[2]))
