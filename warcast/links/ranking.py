"""A ranking: one episode's passages (and cues) scored against every article.

Passage scores decide *whether* and *what* to link; cue scores (unnormalized, so a cue that
merely says "Russia" weighs less than one naming Wagner, Bamako and the Africa Corps) decide
*where*: a link is trimmed to the cues that carry its evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from warcast.links.passages import Passage
from warcast.transcript.model import Cue


@dataclass
class Ranking:
    """Scores of an episode's passages and cues against the article slots of an index."""

    cues: Sequence[Cue]
    passages: list[Passage]
    scores: Any
    """passages × slots."""
    cue_scores: Any
    """cues × slots."""
    urls: list[str]
    """URL of each slot ("" for a removed article): ties are broken by URL, not by slot."""
    _orders: dict[tuple[int, int], list[int]] = field(default_factory=dict, init=False, repr=False,
                                                      compare=False)

    def order(self, passage: int, count: int) -> list[int]:
        """The ``count`` best article slots for a passage, best first."""
        key = (passage, count)
        if key not in self._orders:
            self._orders[key] = self._order(passage, count)
        return self._orders[key]

    def _order(self, passage: int, count: int) -> list[int]:
        import numpy as np

        row = self.scores[passage]
        count = min(count, len(row))
        if count <= 0:
            return []
        top = np.argpartition(-row, count - 1)[:count] if count < len(row) else range(len(row))
        # Ties at the cut must not depend on slot order: take every slot scoring the cut value.
        cut = min(float(row[i]) for i in top)
        candidates = [int(i) for i in np.flatnonzero(row >= cut) if self.urls[i]]
        return sorted(candidates, key=lambda i: (-float(row[i]), self.urls[i]))[:count]

    def score(self, passage: int, slot: int) -> float:
        return float(self.scores[passage, slot])

    def evidence(self, passage: int, slot: int, share: float) -> tuple[float, float]:
        """The span of a passage's cues that speak for ``slot``: from the first to the last
        that scores at least ``share`` of the passage's best cue for it."""
        span = self.passages[passage]
        column = self.cue_scores[:, slot]
        best = float(column[span.first:span.last + 1].max())
        strong = [i for i in span.cues if column[i] > 0 and column[i] >= share * best]
        if not strong:
            return span.start, span.end
        return self.cues[strong[0]].start, self.cues[strong[-1]].end
