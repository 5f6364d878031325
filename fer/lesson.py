"""The record of one lesson watched in a video call: seats, their emotions, the class over time.

:class:`Lesson` takes each analysed frame of the shared call (faces with their probabilities,
at a time in seconds since the lesson started) and keeps numbers only: each seat's smoothed
emotion and when its face was last seen, the class's per-second shares (:class:`MoodTimeline`),
per-seat per-minute sums, the calm headline and the gallery's reflows. Nothing of a frame is
kept. Thread-safe: the page that feeds it and any page that shows it may be different sessions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import numpy as np

from fer.faces import Face, mean_shares
from fer.headline import CalmHeadline
from fer.labels import LABELS
from fer.mood import MoodTimeline
from fer.seats import Reflow, SeatMap, seat_key

NEGATIVE = ("angry", "disgust", "fear", "sad")
_NEGATIVE_INDEX = [LABELS.index(label) for label in NEGATIVE]


@dataclass(frozen=True)
class AttentionConfig:
    negative_s: float = 180.0  # a seat's mood negative for this long needs attention
    negative_share: float = 0.5  # ... negative: angry + disgust + fear + sad at least this share
    absent_s: float = 30.0  # a seat whose face has not been seen for this long has no face
    smoothing: float = 0.3  # weight of a frame's probabilities in a seat's mood


RECORDING_START = datetime(2000, 1, 1, tzinfo=UTC)  # a recording's clock starts at 00:00:00


@dataclass
class Seat:
    """One tile of the gallery and what is known of its student."""

    name: str
    first_seen: float
    last_seen: float
    probabilities: np.ndarray
    negative_since: float | None = None  # since when the seat's mood has been negative, if it is

    def label(self) -> str:
        return LABELS[int(self.probabilities.argmax())]


@dataclass(frozen=True)
class Attention:
    """A seat that needs the teacher's attention now: why, and for how long (seconds)."""

    seat: str
    reason: str  # "negative" (angry, disgust, fear, sad) or "no face"
    for_s: float
    label: str = ""


@dataclass
class Moment:
    """A stretch of the lesson in which a seat needed attention, in lesson seconds."""

    seat: str
    reason: str  # "negative" or "no face"
    start_s: float
    end_s: float
    label: str = ""  # the seat's mood, for "negative"


@dataclass
class SeatMinute:
    frames: int = 0  # frames of the minute in which the seat's face was seen
    totals: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS)))


class Lesson:
    """Everything the class view and the report show of one lesson, as numbers."""

    def __init__(
        self,
        started: datetime | None = None,
        utc_offset_min: int = 0,
        attention: AttentionConfig = AttentionConfig(),
        max_seconds: int = 8 * 3600,
        source: str | None = None,
    ) -> None:
        self.started = started or datetime.now(UTC)
        # The recording the lesson was analysed from, if any: its clock then reads the recording's
        # time, 00:00:00 at its start.
        self.source = source
        self.utc_offset_min = utc_offset_min  # the teacher's clock, for the times shown and reported
        self.attention = attention
        self.mood = MoodTimeline(max_seconds=max_seconds, start=0.0)
        self.seat_map = SeatMap()
        self.headline = CalmHeadline()
        self.seats: dict[str, Seat] = {}
        self.minutes: dict[tuple[int, int, str], SeatMinute] = {}  # (minute, layout, seat) -> sums
        self.layout = 1  # the gallery's layouts are numbered: a seat's name is unique within one
        self.frames_per_minute: dict[int, int] = {}
        self.max_minutes = max_seconds // 60
        self.moments: list[Moment] = []  # every stretch in which a seat needed attention
        self._open: dict[tuple[str, str], Moment] = {}  # (seat, reason) -> its stretch going on now
        self.line = "No faces in view"
        self.frames = 0
        self.latest_s = 0.0
        self._lock = threading.Lock()

    @classmethod
    def of_recording(cls, name: str, attention: AttentionConfig = AttentionConfig()) -> Lesson:
        """A lesson analysed from the recording ``name``, in the recording's time."""
        return cls(started=RECORDING_START, attention=attention, source=name)

    def clock(self, t: float) -> datetime:
        """The teacher's wall-clock time ``t`` seconds into the lesson."""
        return (self.started + timedelta(seconds=t)).astimezone(timezone(timedelta(minutes=self.utc_offset_min)))

    def add(self, faces: list[Face], t: float) -> list[str | None]:
        """Add one analysed frame's faces, seen ``t`` seconds into the lesson; the seat of each face."""
        with self._lock:
            reflows = len(self.seat_map.reflows)
            tiles = self.seat_map.assign([f.box for f in faces], t)
            if len(self.seat_map.reflows) > reflows:
                self.seats, self._open = {}, {}  # a new layout: the old seats are gone, none is left as a ghost
                self.layout += 1
            names = [tile.name if tile else None for tile in tiles]
            for face, name in zip(faces, names, strict=True):
                if name is not None:
                    self._observe(name, face.probabilities, t)
            seated = [f for f, n in zip(faces, names, strict=True) if n is not None]
            self.mood.update(seated, at=t)
            # The class's size is its seats with a face seen lately, not this frame's faces: a face
            # the cascade misses in one frame, or a student glancing away, does not change it.
            present = sum(t - seat.last_seen < self.attention.absent_s for seat in self.seats.values())
            self.line = self.headline.update(t, present, mean_shares(seated))
            self._update_attention(t)
            self._count_minute(t, seated, names)
            self.frames += 1
            self.latest_s = t
            return names

    def _observe(self, name: str, probabilities: np.ndarray, t: float) -> None:
        seat = self.seats.get(name)
        if seat is None:
            self.seats[name] = Seat(name, t, t, np.asarray(probabilities, float).copy())
            return
        a = self.attention.smoothing
        seat.probabilities = a * np.asarray(probabilities, float) + (1 - a) * seat.probabilities
        seat.last_seen = t

    def _update_attention(self, t: float) -> None:
        for seat in self.seats.values():
            absent = t - seat.last_seen >= self.attention.absent_s
            negative = seat.probabilities[_NEGATIVE_INDEX].sum() >= self.attention.negative_share and not absent
            seat.negative_since = (seat.negative_since if seat.negative_since is not None else t) if negative else None
            self._note(seat, "no face", seat.last_seen if absent else None, t)
            lasting = negative and t - seat.negative_since >= self.attention.negative_s
            self._note(seat, "negative", seat.negative_since if lasting else None, t)

    def _note(self, seat: Seat, reason: str, since: float | None, t: float) -> None:
        """Open, extend or close the seat's stretch of needing attention for ``reason``."""
        key = (seat.name, reason)
        if since is None:
            self._open.pop(key, None)
        elif key in self._open:
            self._open[key].end_s = t
        else:
            self._open[key] = Moment(seat.name, reason, since, t, seat.label() if reason == "negative" else "")
            self.moments.append(self._open[key])

    def _count_minute(self, t: float, seated: list[Face], names: list[str | None]) -> None:
        minute = int(t // 60)
        self.frames_per_minute[minute] = self.frames_per_minute.get(minute, 0) + 1
        for face, name in zip(seated, [n for n in names if n is not None], strict=True):
            cell = self.minutes.setdefault((minute, self.layout, name), SeatMinute())
            cell.frames += 1
            cell.totals += face.probabilities
        while len(self.frames_per_minute) > self.max_minutes:  # bounded: the oldest minute goes
            oldest = min(self.frames_per_minute)
            del self.frames_per_minute[oldest]
            self.minutes = {k: v for k, v in self.minutes.items() if k[0] != oldest}

    def needs_attention(self) -> list[Attention]:
        """Seats whose mood has been negative for ``negative_s`` or more, and seats with no face."""
        with self._lock:
            now = self.latest_s
            found = []
            for seat in sorted(self.seats.values(), key=lambda s: seat_key(s.name)):
                if now - seat.last_seen >= self.attention.absent_s:
                    found.append(Attention(seat.name, "no face", now - seat.last_seen))
                elif seat.negative_since is not None and now - seat.negative_since >= self.attention.negative_s:
                    found.append(Attention(seat.name, "negative", now - seat.negative_since, seat.label()))
            return found

    def seat_rows(self) -> list[dict]:
        """One row per seat: name, mood now, when first and last seen (lesson seconds)."""
        with self._lock:
            return [
                {
                    "seat": s.name,
                    "label": s.label(),
                    "score": float(s.probabilities.max()),
                    "first_seen_s": s.first_seen,
                    "last_seen_s": s.last_seen,
                    "probabilities": s.probabilities.copy(),
                }
                for s in sorted(self.seats.values(), key=lambda s: seat_key(s.name))
            ]

    def reflows(self) -> list[Reflow]:
        with self._lock:
            return list(self.seat_map.reflows)
