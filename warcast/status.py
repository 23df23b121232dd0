"""What a command did to each episode, as one set of values the library reports and the CLI
prints (a ``StrEnum``: each value is also the text shown)."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """The outcome of one episode's step (transcribe, speakers, link)."""

    TRANSCRIBED = "transcribed"
    LABELLED = "labelled"
    LINKED = "linked"
    UP_TO_DATE = "up to date"
    NO_TRANSCRIPT = "no transcript"
    KEPT_EDITED = "kept (edited by hand)"
    KEPT_EDITED_FORCE = "kept (edited by hand; --force to relabel)"
    KEPT_TURNS = "kept ([[turns]] in episode.toml)"
