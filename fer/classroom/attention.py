"""When a seat may want the teacher's check-in: sustained, confident readings, not the plurality of noisy ones.

A face's reading in one frame is the model's calibrated probabilities. It counts as *negative* only
when its likeliest emotion is angry, disgust, fear or sad with at least ``confident`` probability; a
reading below that is *uncertain*, and says nothing either way. A seat is flagged when, over the last
``window_s`` seconds, its face was seen for at least ``observed_s`` and at least ``most`` of its
readings were negative: "looked sad most of the last 4 min". A flagged seat stays flagged until that
share falls below ``release``, so that a seat near the line does not flicker on and off the list. A seat
whose face is not seen is not a worry (camera off, away): it is counted apart, with each seat's time on
camera.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

import numpy as np

from fer.labels import LABELS, NEGATIVE_INDEX

NOT_NEGATIVE = -1  # a reading that is not a confident negative one


@dataclass(frozen=True)
class AttentionConfig:
    window_s: float = 240.0  # a seat is judged on its readings of this long ("the last 4 min")
    observed_s: float = 60.0  # ... of which its face was seen for at least this long
    most: float = 0.5  # ... and at least this share of them were confidently negative
    release: float = 0.35  # a flagged seat is released when its share of negative readings falls below this
    confident: float = 0.5  # a reading whose likeliest emotion has less (calibrated) probability is uncertain
    absent_s: float = 30.0  # a seat whose face has not been seen for this long has no face now
    smoothing: float = 0.3  # weight of a frame's probabilities in a seat's mood
    seen_gap_s: float = 5.0  # frames of a seat further apart than this do not add time on camera between them


def negative_reading(probabilities: np.ndarray, confident: float) -> int:
    """The index of the reading's emotion if it is a confident negative one, else :data:`NOT_NEGATIVE`."""
    if not probabilities.size:  # no expression estimated (presence only): never a worry
        return NOT_NEGATIVE
    top = int(np.argmax(probabilities))
    return top if top in NEGATIVE_INDEX and probabilities[top] >= confident else NOT_NEGATIVE


class Readings:
    """One seat's readings over the last ``window_s``, and its time on camera. Bounded by the window."""

    def __init__(self, config: AttentionConfig) -> None:
        self.config = config
        self._frames: deque[tuple[float, int]] = deque()  # (time, negative_reading)
        self.on_camera_s = 0.0
        self._last_seen: float | None = None

    def add(self, t: float, probabilities: np.ndarray) -> None:
        if self._last_seen is not None and 0 < t - self._last_seen <= self.config.seen_gap_s:
            self.on_camera_s += t - self._last_seen
        self._last_seen = t
        self._frames.append((t, negative_reading(probabilities, self.config.confident)))

    def check_in(self, now: float, flagged: bool = False) -> str:
        """The negative emotion the seat looked most of the window, if it should be flagged (``flagged``:
        it is now, and is held down to ``release``); else ""."""
        while self._frames and self._frames[0][0] < now - self.config.window_s:
            self._frames.popleft()
        if len(self._frames) < 2 or self._frames[-1][0] - self._frames[0][0] < self.config.observed_s:
            return ""
        negative = [reading for _, reading in self._frames if reading != NOT_NEGATIVE]
        if len(negative) < (self.config.release if flagged else self.config.most) * len(self._frames):
            return ""
        return LABELS[Counter(negative).most_common(1)[0][0]]
