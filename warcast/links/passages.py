"""Passages: the stretches of a transcript that are matched against articles.

A passage is a run of whole cues: windows of ``window`` seconds start every ``hop`` seconds and
take the cues whose midpoint falls inside, so a passage never cuts a caption in two and its
times are its first cue's start and its last cue's end. A window that adds no cue to the one
before is dropped.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from warcast.transcript.model import Cue


@dataclass(frozen=True)
class Passage:
    """Cues ``first`` to ``last`` (inclusive) of a transcript, and their times."""

    first: int
    last: int
    start: float
    end: float

    @property
    def cues(self) -> range:
        return range(self.first, self.last + 1)


def passages(cues: Sequence[Cue], window: float, hop: float) -> list[Passage]:
    """Windows of about ``window`` seconds every ``hop`` seconds, snapped to cue boundaries."""
    spoken = [i for i, cue in enumerate(cues) if cue.text.strip()]
    if not spoken:
        return []
    middles = [(cues[i].start + cues[i].end) / 2 for i in spoken]
    found: list[Passage] = []
    start, stop = cues[spoken[0]].start, cues[spoken[-1]].end
    while start < stop:
        inside = spoken[bisect_left(middles, start):bisect_left(middles, start + window)]
        if inside and (not found or inside[-1] > found[-1].last):
            found.append(Passage(inside[0], inside[-1], cues[inside[0]].start,
                                 cues[inside[-1]].end))
        start += hop
    return found
