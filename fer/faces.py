"""One record for a face wherever it goes: detection, classification, tracking, seating, overlay, mood, tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fer.labels import LABELS

Box = tuple[int, int, int, int]  # x, y, w, h in pixels
NOT_ESTIMATED = np.zeros(0)  # a face's probabilities where no expression is estimated (presence only)


@dataclass(frozen=True, eq=False)
class Face:
    """A face: its box in frame pixels, its emotion probabilities and, once known, its id and seat.

    ``probabilities`` is a ``(7,)`` float array in :data:`LABELS` order that sums to 1, or
    :data:`NOT_ESTIMATED` where no expression is estimated (presence only); ``label`` and ``score`` are
    read from it. ``id`` is None for a face seen in one frame only; ``seat`` is
    the gallery tile it sits in ("B3"), once a lesson has seated it.
    """

    box: Box
    probabilities: np.ndarray
    id: int | None = None
    seat: str | None = None

    @property
    def label(self) -> str:
        return label_of(self.probabilities)

    @property
    def score(self) -> float:
        """The probability of ``label`` (0 where no expression is estimated)."""
        return float(np.max(self.probabilities)) if self.probabilities.size else 0.0

    def ranked(self, n: int = len(LABELS)) -> list[tuple[str, float]]:
        """The ``n`` likeliest emotions with their probabilities, likeliest first."""
        if not self.probabilities.size:
            return []
        order = np.argsort(-self.probabilities, kind="stable")[:n]
        return [(LABELS[i], float(self.probabilities[i])) for i in order]


def label_of(probabilities: np.ndarray) -> str:
    """The likeliest emotion of a ``(7,)`` probability (or share) vector in :data:`LABELS` order; "" for
    none estimated (:data:`NOT_ESTIMATED`, presence only) or none at all (all zeros: no face)."""
    probabilities = np.asarray(probabilities)
    if not probabilities.any():
        return ""
    return LABELS[int(np.argmax(probabilities))]


def blend(previous: np.ndarray | None, new: np.ndarray, weight: float) -> np.ndarray:
    """Exponential smoothing of probabilities: ``weight`` is the share of ``new`` (the first one is kept whole)."""
    new = np.asarray(new, np.float64)
    return new.copy() if previous is None else weight * new + (1 - weight) * previous


def probability_matrix(faces: Sequence[Face]) -> np.ndarray:
    """``(N, 7)`` float64: each face's probabilities, one row per face."""
    return np.array([f.probabilities for f in faces], np.float64).reshape(-1, len(LABELS))


def mean_shares(faces: Sequence[Face]) -> np.ndarray:
    """``(7,)``: the mean of the faces' probabilities (each emotion's share); zeros if none."""
    probs = probability_matrix(faces)
    return probs.mean(axis=0) if len(probs) else np.zeros(len(LABELS))
