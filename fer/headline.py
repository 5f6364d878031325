"""One calm line on the class: how many faces, the dominant mood, what is rising.

A teacher glances at it between sentences, so it must not flicker: each part is computed over
the last ``window_s`` seconds and the shown value changes only when a different value has held
for ``hold_s`` seconds in a row (the dominant mood must also lead the shown one by ``margin``).
A still gallery never changes it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from fer.labels import LABELS


@dataclass(frozen=True)
class HeadlineConfig:
    window_s: float = 45.0  # seconds of frames each part is computed over
    hold_s: float = 10.0  # a new value must hold this long before it is shown
    margin: float = 0.05  # share by which a new dominant mood must lead the shown one
    rising: float = 0.10  # rise in share, newer half of the window against the older, to be "rising"

    def __post_init__(self) -> None:
        if not 0 < self.hold_s <= self.window_s:
            raise ValueError(f"hold_s must be within (0, window_s], got {self.hold_s}")


class _Held:
    """A value that follows its candidate only once the candidate has held for ``hold_s``."""

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self.shown: object = None
        self._candidate: object = None
        self._since = 0.0

    def update(self, candidate: object, now: float, first: bool) -> object:
        if first or candidate == self.shown:
            self.shown = candidate if first else self.shown
            self._candidate = None
        elif candidate != self._candidate:
            self._candidate, self._since = candidate, now
        elif now - self._since >= self.hold_s:
            self.shown, self._candidate = candidate, None
        return self.shown


class CalmHeadline:
    """Fed once per analysed frame with its face count and emotion shares; not thread-safe."""

    def __init__(self, config: HeadlineConfig = HeadlineConfig()) -> None:
        self.config = config
        self._frames: deque[tuple[float, int, np.ndarray]] = deque()
        self._faces = _Held(config.hold_s)
        self._mood = _Held(config.hold_s)
        self._rising = _Held(config.hold_s)

    def update(self, now: float, faces: int, shares: np.ndarray) -> str:
        """Add a frame seen at ``now`` (seconds) and return the line to show."""
        # Until faces have been seen, the first frame with faces is shown at once, not held.
        first = not self._frames or (not self._faces.shown and faces > 0)
        if first:
            self._frames.clear()  # the frames before the first faces say nothing of the class
        self._frames.append((now, faces, np.asarray(shares, float)))
        while self._frames[0][0] < now - self.config.window_s:
            self._frames.popleft()
        counts = np.array([f for _, f, _ in self._frames])
        self._faces.update(int(np.median(counts)), now, first)
        with_faces = [(t, f, s) for t, f, s in self._frames if f > 0]
        if not with_faces:
            self._mood.update(None, now, first)
            self._rising.update(None, now, first)
            return self.line()
        weights = np.array([f for _, f, _ in with_faces], float)
        shares_seen = np.array([s for _, _, s in with_faces])
        mean = weights @ shares_seen / weights.sum()
        leader = int(mean.argmax())
        shown = self._mood.shown
        if shown is not None and shown != leader and mean[leader] < mean[shown] + self.config.margin:
            leader = shown  # not far enough ahead to count as a change
        self._mood.update(leader, now, first or shown is None)
        self._rising.update(self._rising_label(with_faces, now), now, first)
        return self.line()

    def _rising_label(self, frames: list[tuple[float, int, np.ndarray]], now: float) -> int | None:
        half = now - self.config.window_s / 2
        older = [s for t, _, s in frames if t < half]
        newer = [s for t, _, s in frames if t >= half]
        if not older or not newer:
            return None
        change = np.mean(newer, axis=0) - np.mean(older, axis=0)
        best = int(change.argmax())
        keep = self._rising.shown
        if keep is not None and change[keep] >= self.config.rising / 2:
            return keep  # once shown, it stays until the rise has mostly gone
        return best if change[best] >= self.config.rising and best != self._mood.shown else None

    def line(self) -> str:
        faces = self._faces.shown or 0
        if faces == 0 or self._mood.shown is None:
            return "No faces in view"
        line = f"{faces} face{'s' * (faces != 1)} · mostly {LABELS[self._mood.shown]}"
        if self._rising.shown is not None:
            line += f" · {LABELS[self._rising.shown]} rising"
        return line
