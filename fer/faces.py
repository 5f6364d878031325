"""One record for a face wherever it goes: detection, classification, tracking, overlay, mood, tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fer.labels import LABELS

Box = tuple[int, int, int, int]  # x, y, w, h in pixels


@dataclass(frozen=True, eq=False)
class Face:
    """A face: its box in frame pixels, its emotion probabilities and, once followed, its id.

    ``probabilities`` is a ``(7,)`` float array in :data:`LABELS` order that sums to 1; ``label``
    and ``score`` are read from it. ``id`` is None for a face seen in one frame only.
    """

    box: Box
    probabilities: np.ndarray
    id: int | None = None

    @property
    def label(self) -> str:
        return LABELS[int(np.argmax(self.probabilities))]

    @property
    def score(self) -> float:
        """The probability of ``label``."""
        return float(np.max(self.probabilities))

    def ranked(self, n: int = len(LABELS)) -> list[tuple[str, float]]:
        """The ``n`` likeliest emotions with their probabilities, likeliest first."""
        order = np.argsort(-self.probabilities, kind="stable")[:n]
        return [(LABELS[i], float(self.probabilities[i])) for i in order]


def probability_matrix(faces: Sequence[Face]) -> np.ndarray:
    """``(N, 7)`` float64: each face's probabilities, one row per face."""
    return np.array([f.probabilities for f in faces], np.float64).reshape(-1, len(LABELS))


def mean_shares(faces: Sequence[Face]) -> np.ndarray:
    """``(7,)``: the mean of the faces' probabilities (each emotion's share); zeros if none."""
    probs = probability_matrix(faces)
    return probs.mean(axis=0) if len(probs) else np.zeros(len(LABELS))
