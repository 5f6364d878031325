"""Follow faces from frame to frame and smooth their emotions over time.

Faces are matched to tracks by box overlap (IoU, greedy, best pairs first). A track keeps its id
while it stays in view and through ``max_missed`` frames without a matching detection. Each
track's probabilities are an exponential moving average, so one noisy frame does not flip a label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fer.faces import Box, Face, blend


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


def iou_matrix(a: Sequence[Box], b: Sequence[Box]) -> np.ndarray:
    """``(len(a), len(b))`` intersection over union of every pair of boxes."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)))
    a, b = np.asarray(a, np.float64)[:, None, :], np.asarray(b, np.float64)[None, :, :]
    ix = np.clip(np.minimum(a[..., 0] + a[..., 2], b[..., 0] + b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    iy = np.clip(np.minimum(a[..., 1] + a[..., 3], b[..., 1] + b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = ix * iy
    union = a[..., 2] * a[..., 3] + b[..., 2] * b[..., 3] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


class Track:
    """One face followed over frames: its last box and its smoothed probabilities (LABELS order).

    ``probabilities`` is None until the face has been classified once; ``classified`` counts the
    classifications so far (the live path shows the classifier's views in turn with it).
    """

    def __init__(self, track_id: int, box: Box) -> None:
        self.id = track_id
        self.box = box
        self.probabilities: np.ndarray | None = None
        self.missed = 0  # frames in a row without a matching box
        self.classified = 0
        self.classified_at = -1  # frame number of the latest classification

    def observe(self, probabilities: np.ndarray, smoothing: float, frame: int = -1) -> None:
        """Blend a new classification in: ``smoothing`` is the weight of the new one."""
        self.probabilities = blend(self.probabilities, probabilities, smoothing)
        self.classified += 1
        self.classified_at = frame

    def face(self) -> Face:
        """The track as reported; it must have been classified."""
        return Face(self.box, self.probabilities.astype(np.float32), self.id)


class FaceTracker:
    """Assigns ids to each frame's faces. One instance per video stream; not thread-safe."""

    def __init__(self, config: TrackerConfig = TrackerConfig()) -> None:
        self.config = config
        self.tracks: list[Track] = []
        self._next_id = 1

    def match(self, boxes: Sequence[Box]) -> list[Track]:
        """The track of each of this frame's boxes, in ``boxes`` order; boxes of no track start one.

        Matched tracks take their box; the others count a missed frame and expire after ``max_missed``.
        """
        overlaps = iou_matrix([t.box for t in self.tracks], boxes)
        track_of: dict[int, Track] = {}
        used: set[int] = set()
        candidates = np.argwhere(overlaps >= self.config.min_iou)
        for ti, bi in candidates[np.argsort(-overlaps[tuple(candidates.T)], kind="stable")]:
            if ti in used or bi in track_of:
                continue
            used.add(ti)
            track_of[bi] = self.tracks[ti]
        matched = []
        for bi, box in enumerate(boxes):
            track = track_of.get(bi)
            if track is None:
                track = Track(self._next_id, box)
                self._next_id += 1
                self.tracks.append(track)
            track.box, track.missed = box, 0
            matched.append(track)
        seen = {id(t) for t in matched}
        for track in self.tracks:
            if id(track) not in seen:
                track.missed += 1
        self.tracks = [t for t in self.tracks if t.missed <= self.config.max_missed]
        return matched

    def followed(self) -> list[Track]:
        """The tracks matched in the latest frame, which a stream can follow into the next."""
        return [t for t in self.tracks if t.missed == 0]

    def ids(self) -> set[int]:
        return {t.id for t in self.tracks}

    def same_face(self, a: Sequence[Box], b: Sequence[Box]) -> np.ndarray:
        """``(len(a), len(b))`` bools: which boxes overlap enough to be the same face."""
        return iou_matrix(a, b) >= self.config.min_iou

    def due(self, tracks: Sequence[Track], frame: int, every: int, limit: int) -> list[Track]:
        """Which of ``tracks`` to classify at ``frame``: the new ones, then up to ``limit`` in all of
        those last classified ``every`` or more frames ago, the longest waiting first."""
        new = [t for t in tracks if t.probabilities is None]
        waiting = sorted(
            (t for t in tracks if t.probabilities is not None and frame - t.classified_at >= every),
            key=lambda t: t.classified_at,
        )
        return new + waiting[: max(0, limit - len(new))]

    def observe(self, tracks: Sequence[Track], probabilities: np.ndarray, frame: int = -1) -> None:
        """Blend each track's new classification (a row of ``probabilities``) into its smoothed one."""
        for track, p in zip(tracks, probabilities, strict=True):
            track.observe(p, self.config.smoothing, frame)

    def update(self, faces: Sequence[Face]) -> list[Face]:
        """Match this frame's classified faces to tracks; returns them, in ``faces`` order, with ids."""
        tracks = self.match([face.box for face in faces])
        self.observe(tracks, np.array([face.probabilities for face in faces]))
        return [track.face() for track in tracks]
