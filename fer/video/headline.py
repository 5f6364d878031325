"""One calm line on the class: how many faces, what their expressions read, what is rising.

The mood part says only what is true of the shares over the window (:func:`words` holds the
wording, in one place): "mostly neutral" when one emotion has at least half of them; else "54% look
negative" when angry, disgust, fear and sad together have at least half; else the mix, "mixed:
neutral 26%, sad 22%, angry 18%" (the three largest, whole percent). These are estimates of
expressions, not of feelings.

A teacher glances at it between sentences, so it must not flicker: each part is computed over
the last ``window_s`` seconds and the shown value changes only when a different value has held
for ``hold_s`` seconds in a row; a shown reading that is still true within ``margin`` (its
percentages within 5 points, no emotion left out 5 points ahead of one named) is kept. A still
gallery never changes it. In its first ``hold_s`` seconds with faces the line settles: it
follows the window at once, so that the first frame's mood is not held on to while the seconds
after it say otherwise. :meth:`CalmHeadline.restart` settles it afresh (a reflowed gallery).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from fer.labels import LABELS, NEGATIVE_INDEX


@dataclass(frozen=True)
class HeadlineConfig:
    window_s: float = 45.0  # seconds of frames each part is computed over
    hold_s: float = 10.0  # a new value must hold this long before it is shown
    margin: float = 0.05  # share by which a shown reading may be off and still be kept
    settle_margin: float = 0.01  # ... while the line settles: it follows the window, but not rounding's jitter
    majority: float = 0.5  # one emotion's share to be "mostly" it
    negative: float = 0.5  # share of angry + disgust + fear + sad to "look negative"
    mix: int = 3  # emotions named in a mixed reading
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


@dataclass(frozen=True)
class Reading:
    """What the line says of the class's expressions: ``kind`` is "mostly" (``labels`` holds the
    one), "negative" (``percents`` holds the negative share) or "mixed" (both, largest first)."""

    kind: str
    labels: tuple[int, ...] = ()  # indices into LABELS
    percents: tuple[int, ...] = ()  # whole percent


def read(shares: np.ndarray, config: HeadlineConfig = HeadlineConfig()) -> Reading:
    """The reading of ``(7,)`` shares (summing to 1): a majority, else half or more negative, else the mix."""
    top = int(shares.argmax())
    if shares[top] >= config.majority:
        return Reading("mostly", (top,))
    negative = float(shares[NEGATIVE_INDEX].sum())
    if negative >= config.negative:
        return Reading("negative", (), (_percent(negative),))
    order = [int(i) for i in np.argsort(-shares, kind="stable")[: config.mix]]
    return Reading("mixed", tuple(order), tuple(_percent(shares[i]) for i in order))


def words(reading: Reading) -> str:
    """The reading in words: "mostly neutral", "54% look negative", "mixed: neutral 26%, sad 22%"."""
    if reading.kind == "mostly":
        return f"mostly {LABELS[reading.labels[0]]}"
    if reading.kind == "negative":
        return f"{reading.percents[0]}% look negative"
    return "mixed: " + ", ".join(f"{LABELS[i]} {p}%" for i, p in zip(reading.labels, reading.percents, strict=True))


def still_true(reading: Reading, shares: np.ndarray, config: HeadlineConfig, margin: float) -> bool:
    """Whether a shown ``reading`` still describes ``shares`` well enough to keep it: the same kind,
    its percentages within ``margin`` and, for a mix, no emotion left out ``margin`` ahead of one named."""
    fresh = read(shares, config)
    if fresh.kind != reading.kind or (reading.kind == "mostly" and fresh != reading):
        return False
    negative = shares[NEGATIVE_INDEX].sum() if reading.kind == "negative" else None
    now = [negative] if negative is not None else [shares[i] for i in reading.labels]
    if any(abs(100 * s - p) >= 100 * margin for s, p in zip(now, reading.percents, strict=True)):
        return False
    left_out = [s for i, s in enumerate(shares) if i not in reading.labels]
    return not reading.labels or max(left_out) < min(now) + margin


def _percent(share: float) -> int:
    return int(np.floor(100 * share + 0.5))


@dataclass
class _Second:
    """One second of frames, summed: the headline keeps seconds, not frames, however fast they come."""

    second: int
    frames: int = 0
    faces: float = 0.0  # summed face counts
    shares: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS)))  # summed, each weighted by faces
    counts: dict[int, int] = field(default_factory=dict)  # face count -> frames that had it


class CalmHeadline:
    """Fed once per analysed frame with its face count and emotion shares; not thread-safe.

    Frames are summed per second, so the memory and the work of an update are bounded by the
    window's seconds whatever the frame rate.
    """

    def __init__(self, config: HeadlineConfig = HeadlineConfig()) -> None:
        self.config = config
        self._seconds: deque[_Second] = deque()
        self._faces = _Held(config.hold_s)
        self._mood = _Held(config.hold_s)
        self._rising = _Held(config.hold_s)
        self._first_faces_at = 0.0  # when the line first showed faces

    def update(self, now: float, faces: int, shares: np.ndarray) -> str:
        """Add a frame seen at ``now`` (seconds) and return the line to show."""
        # Until faces have been seen, the first frame with faces is shown at once, not held.
        first = not self._seconds or (not self._faces.shown and faces > 0)
        if first:
            self._seconds.clear()  # the frames before the first faces say nothing of the class
            self._first_faces_at = now
        settling = first or now - self._first_faces_at < self.config.hold_s
        second = int(np.floor(now))
        if not self._seconds or self._seconds[-1].second != second:
            self._seconds.append(_Second(second))
        latest = self._seconds[-1]
        latest.frames += 1
        latest.faces += faces
        latest.shares = latest.shares + faces * np.asarray(shares, float)
        latest.counts[faces] = latest.counts.get(faces, 0) + 1
        while self._seconds[0].second < now - self.config.window_s:
            self._seconds.popleft()
        self._faces.update(_median_count(self._seconds), now, settling)
        with_faces = [s for s in self._seconds if s.faces > 0]
        if not with_faces:
            self._mood.update(None, now, first)
            self._rising.update(None, now, first)
            return self.line()
        mean = _mean_shares(with_faces)
        reading, shown = read(mean, self.config), self._mood.shown
        margin = self.config.settle_margin if settling else self.config.margin
        if shown is not None and reading != shown and still_true(shown, mean, self.config, margin):
            reading = shown  # what is shown is still true: noise is no change
        self._mood.update(reading, now, settling or shown is None)
        self._rising.update(self._rising_label(with_faces, now), now, first)
        return self.line()

    def _rising_label(self, seconds: list[_Second], now: float) -> int | None:
        half = now - self.config.window_s / 2
        older = [s for s in seconds if s.second < half]
        newer = [s for s in seconds if s.second >= half]
        if not older or not newer:
            return None
        change = _mean_shares(newer) - _mean_shares(older)
        best = int(change.argmax())
        keep = self._rising.shown
        if keep is not None and change[keep] >= self.config.rising / 2:
            return keep  # once shown, it stays until the rise has mostly gone
        mostly = self._mood.shown.labels[0] if self._mood.shown and self._mood.shown.kind == "mostly" else None
        return best if change[best] >= self.config.rising and best != mostly else None

    def restart(self) -> None:
        """Forget the window and settle afresh from the next frame with faces: the class before it
        (a gallery before it reflowed) says nothing of the class after it."""
        self._seconds.clear()

    @property
    def faces(self) -> int:
        """The face count the line shows (0 for "No faces in view")."""
        return (self._faces.shown or 0) if self._mood.shown is not None else 0

    def line(self) -> str:
        faces = self.faces
        if faces == 0:
            return "No faces in view"
        line = f"{faces} face{'s' * (faces != 1)} · {words(self._mood.shown)}"
        if self._rising.shown is not None:
            line += f" · {LABELS[self._rising.shown]} rising"
        return line


def _median_count(seconds) -> int:
    """The median face count of the frames of ``seconds`` (the lower middle one of an even number)."""
    counts: dict[int, int] = {}
    for s in seconds:
        for count, frames in s.counts.items():
            counts[count] = counts.get(count, 0) + frames
    middle, seen = (sum(counts.values()) + 1) // 2, 0
    for count in sorted(counts):
        seen += counts[count]
        if seen >= middle:
            return count
    return 0


def _mean_shares(seconds: list[_Second]) -> np.ndarray:
    """Each emotion's share over the faces of ``seconds``."""
    return sum(s.shares for s in seconds) / sum(s.faces for s in seconds)
