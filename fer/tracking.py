"""Follow faces from frame to frame and smooth their emotions over time.

Faces are matched to tracks by box overlap (IoU, greedy, best pairs first). A track keeps its id
while it stays in view and through ``max_missed`` frames without a matching detection. Each
track's probabilities are an exponential moving average, so one noisy frame does not flip a label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fer.detection import Box
from fer.labels import LABELS
from fer.pipeline import Face


@dataclass(frozen=True)
class TrackerConfig:
    min_iou: float = 0.3  # overlap a detection needs with a track's last box to continue it
    max_missed: int = 5  # frames a track survives without a detection
    smoothing: float = 0.4  # weight of the newest frame's probabilities (1.0 = no smoothing)

    def __post_init__(self) -> None:
        if not 0.0 < self.min_iou <= 1.0:
            raise ValueError(f"min_iou must be within (0, 1], got {self.min_iou}")
        if self.max_missed < 0:
            raise ValueError(f"max_missed must be >= 0, got {self.max_missed}")
        if not 0.0 < self.smoothing <= 1.0:
            raise ValueError(f"smoothing must be within (0, 1], got {self.smoothing}")


@dataclass(frozen=True)
class TrackedFace:
    """A face with a stable id and smoothed emotion (``label``/``score`` follow the smoothed values)."""

    id: int
    box: Box
    label: str
    score: float
    probabilities: dict[str, float]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``(x, y, w, h)`` boxes."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


@dataclass
class _Track:
    id: int
    box: Box
    probabilities: np.ndarray
    missed: int = 0


class FaceTracker:
    """Assigns ids to each frame's faces. One instance per video stream; not thread-safe."""

    def __init__(self, config: TrackerConfig = TrackerConfig()) -> None:
        self.config = config
        self._tracks: list[_Track] = []
        self._next_id = 1

    def update(self, faces: Sequence[Face]) -> list[TrackedFace]:
        """Match this frame's faces to tracks; returns them, in ``faces`` order, with ids."""
        pairs = sorted(((iou(t.box, f.box), ti, fi) for ti, t in enumerate(self._tracks)
                        for fi, f in enumerate(faces)), reverse=True)
        track_of: dict[int, _Track] = {}
        used: set[int] = set()
        for overlap, ti, fi in pairs:
            if overlap < self.config.min_iou:
                break
            if ti in used or fi in track_of:
                continue
            used.add(ti)
            track_of[fi] = self._tracks[ti]
        alpha = self.config.smoothing
        out = []
        touched: set[int] = set()
        for fi, face in enumerate(faces):
            probs = np.array([face.probabilities[label] for label in LABELS])
            track = track_of.get(fi)
            if track is None:
                track = _Track(self._next_id, face.box, probs)
                self._next_id += 1
                self._tracks.append(track)
            else:
                track.box, track.missed = face.box, 0
                track.probabilities = alpha * probs + (1 - alpha) * track.probabilities
            touched.add(track.id)
            best = int(track.probabilities.argmax())
            out.append(TrackedFace(id=track.id, box=face.box, label=LABELS[best],
                                   score=float(track.probabilities[best]),
                                   probabilities=dict(zip(LABELS, map(float, track.probabilities), strict=True))))
        for track in self._tracks:
            if track.id not in touched:
                track.missed += 1
        self._tracks = [t for t in self._tracks if t.missed <= self.config.max_missed]
        return out
