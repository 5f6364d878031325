"""The mood of the class: per-second aggregates of the faces in view, for a whole session.

Each analysed frame adds its faces' (smoothed) probabilities to the current second's totals;
nothing of the frames themselves is kept. A session keeps one small row per second, up to
``max_seconds`` (12 hours by default), so memory stays bounded however long the lesson runs.
Thread-safe: the video thread updates, the page thread reads.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from fer.faces import Face, probability_matrix
from fer.labels import LABELS
from fer.tables import rows_text


@dataclass(frozen=True, eq=False)
class MoodSecond:
    """One second of a session."""

    second: int  # whole seconds since the first update
    frames: int  # frames analysed in this second
    faces: float  # faces in view, averaged over those frames
    shares: np.ndarray  # (7,) each emotion's share among the faces in view, LABELS order (sums to 1; 0 if none)


class MoodTimeline:
    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_seconds: int = 12 * 3600, start: float | None = None
    ) -> None:
        """``start``: the time second 0 begins at (default: the first update's)."""
        self._clock = clock
        self._lock = threading.Lock()
        self._closed: deque[MoodSecond] = deque(maxlen=max_seconds)
        self._start = start
        self._second = 0
        self._frames = 0
        self._face_count = 0
        self._totals = np.zeros(len(LABELS))
        self._latest: tuple[int, np.ndarray] = (0, np.zeros(len(LABELS)))

    def resume(self, seconds: Sequence[MoodSecond]) -> None:
        """Go on from the stored ``seconds`` (a lesson saved, then continued): they are kept as they were,
        and the latest stays open, so that a frame within it adds to it rather than making a second row."""
        if not seconds:
            return
        *closed, last = seconds
        with self._lock:
            self._closed.extend(closed)
            self._second, self._frames = last.second, last.frames
            self._face_count = round(last.faces * last.frames)
            self._totals = last.shares * self._face_count

    def update(self, faces: Sequence[Face], at: float | None = None) -> None:
        """Add one analysed frame's faces, seen at time ``at`` (seconds; default: the clock's now)."""
        probs = probability_matrix(faces)
        now = self._clock() if at is None else at
        with self._lock:
            if self._start is None:
                self._start = now
            second = int(now - self._start)
            if second != self._second:
                self._close()
                self._second = second
            self._frames += 1
            self._face_count += len(faces)
            self._totals += probs.sum(axis=0)
            self._latest = (len(faces), _shares(probs.sum(axis=0)))

    def _close(self) -> None:
        if self._frames:
            self._closed.append(self._row())
        self._frames, self._face_count, self._totals = 0, 0, np.zeros(len(LABELS))

    def _row(self) -> MoodSecond:
        return MoodSecond(
            second=self._second,
            frames=self._frames,
            faces=self._face_count / self._frames,
            shares=_shares(self._totals),
        )

    def current(self) -> tuple[int, np.ndarray]:
        """Faces in the latest frame and the share of each emotion among them."""
        with self._lock:
            return self._latest

    def seconds(self) -> list[MoodSecond]:
        """Every second so far, oldest first, including the one in progress."""
        with self._lock:
            rows = list(self._closed)
            if self._frames:
                rows.append(self._row())
            return rows

    def overall(self) -> np.ndarray:
        """``(7,)``: each emotion's share among all the faces seen in the session (zeros if none)."""
        return overall_shares(self.seconds())

    def to_csv(self) -> str:
        """The per-second table: second, frames, faces, then one share column per emotion."""
        fields = ("second", "frames", "faces", *(f"share_{label}" for label in LABELS))
        rows = [
            dict(zip(fields, (r.second, r.frames, f"{r.faces:.3f}", *(f"{v:.4f}" for v in r.shares)), strict=True))
            for r in self.seconds()
        ]
        return rows_text(rows, fields)


def overall_shares(seconds: Sequence[MoodSecond]) -> np.ndarray:
    """``(7,)``: each emotion's share among all the faces of ``seconds``, each face counted once per frame."""
    rows = [r for r in seconds if r.faces > 0]
    if not rows:
        return np.zeros(len(LABELS))
    weights = np.array([r.faces * r.frames for r in rows])
    return weights @ np.array([r.shares for r in rows]) / weights.sum()


def _shares(totals: np.ndarray) -> np.ndarray:
    total = totals.sum()
    return totals / total if total > 0 else np.zeros(len(LABELS))
