"""What is read of a lesson: a snapshot taken under its lock, as typed, immutable records.

The report, the CSVs and the page's panels read a :class:`LessonSnapshot`, never the live
:class:`~fer.classroom.lesson.Lesson`: what they show is one consistent moment of the lesson, however many
frames arrive while they draw. A lesson store reads and writes the same records. The wording of
a reason and of a duration lives here too, once, for the page and the report alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

import numpy as np

from fer.classroom.layout import Layout
from fer.classroom.seats import Reflow
from fer.faces import label_of
from fer.video.mood import MoodSecond, overall_shares


class Reason(StrEnum):
    """Why a seat needs the teacher's attention."""

    NEGATIVE = "negative"  # its mood (angry + disgust + fear + sad) has been negative for long
    NO_FACE = "no face"  # its face has not been seen for a while: camera off, or away


def why(reason: Reason, label: str = "") -> str:
    """A reason in words, as seen: "looked sad" for a negative mood (its likeliest emotion), "no face"."""
    return f"looked {label}" if reason is Reason.NEGATIVE and label else str(reason)


def duration(seconds: float) -> str:
    """A duration in words, rounded to whole minutes from one minute on: "40 s", "4 min"."""
    return f"{round(seconds / 60)} min" if seconds >= 60 else f"{round(seconds)} s"


@dataclass(frozen=True, eq=False)
class SeatState:
    """One seat of the latest layout: its smoothed mood and when its face was first and last seen."""

    name: str
    probabilities: np.ndarray  # (7,) smoothed, LABELS order
    first_seen_s: float
    last_seen_s: float
    on_camera_s: float = 0.0  # seconds its face was seen

    @property
    def label(self) -> str:
        return label_of(self.probabilities)

    def mood(self, confident: float) -> str:
        """Its likeliest emotion, or "uncertain" when its (calibrated, smoothed) probability is below ``confident``;
        "" where no expression is estimated (presence only)."""
        if not self.label:
            return ""
        return self.label if self.score >= confident else "uncertain"

    @property
    def score(self) -> float:
        return float(self.probabilities.max()) if self.probabilities.size else 0.0


@dataclass(frozen=True)
class Moment:
    """A stretch of the lesson in which a seat needed attention, in lesson seconds: a stretch that
    goes on now (the lesson's :attr:`LessonSnapshot.attention`) ends at the latest frame."""

    seat: str
    reason: Reason
    start_s: float
    end_s: float
    label: str = ""  # the seat's mood, for a negative one
    observed_s: float | None = None  # of the stretch, the seconds the lesson had frames (None: all of it)

    @property
    def why(self) -> str:
        return why(self.reason, self.label)

    @property
    def for_s(self) -> float:
        """How long the stretch lasted, counting only time watched: a pause in sharing is not counted."""
        return self.end_s - self.start_s if self.observed_s is None else self.observed_s


@dataclass(frozen=True, eq=False)
class SeatMinute:
    """One seat's minute: the frames its face was seen in, of the minute's frames, and its mean mood."""

    minute: int  # minutes since the lesson started
    layout: int  # the gallery's layout (a reflow starts the next; seat names start afresh with it)
    seat: str
    frames_seen: int
    frames: int
    probabilities: np.ndarray  # (7,) mean over the frames it was seen in

    @property
    def label(self) -> str:
        return label_of(self.probabilities)


@dataclass(frozen=True, eq=False)
class LessonSnapshot:
    """One lesson at one moment, numbers only."""

    started: datetime
    utc_offset_min: int
    source: str | None  # the recording it was analysed from, if any
    frames: int
    latest_s: float  # lesson seconds of the latest frame
    watched: tuple[tuple[float, float], ...]  # the stretches with frames (start, end), in lesson seconds
    names: dict[str, str]  # seat -> the name the teacher typed (a copy)
    line: str  # the calm headline
    faces: int  # faces in view, the count the line shows: seats with a face seen in the last absent_s, held steady
    seats: tuple[SeatState, ...]  # of the latest layout, row by row
    attention: tuple[Moment, ...]  # seats flagged for a check-in now, since when; the longest first
    away: tuple[Moment, ...]  # seats whose face is not seen now (camera off, away), since when
    window_s: float  # the check-in's window: "looked sad most of the last 4 min"
    moments: tuple[Moment, ...]  # every stretch in which a seat needed attention
    reflows: tuple[Reflow, ...]
    seconds: tuple[MoodSecond, ...]  # the class per second
    minutes: tuple[SeatMinute, ...]  # per seat per minute, in time, layout and seat order
    shares_now: np.ndarray  # (7,) the latest frame's shares
    layout: Layout | None  # the gallery's tiles, once learnt
    expressions: bool = True  # False: presence only (no expression estimated: faces, seats, time on camera)

    def seat_called(self, seat: str, with_names: bool) -> str:
        """How a seat is shown: "B3", or with its typed name "B3 Ben" where the teacher chose names."""
        name = self.names.get(seat) if with_names else None
        return f"{seat} {name}" if name else seat

    def clock(self, t: float) -> datetime:
        """The teacher's wall-clock time ``t`` seconds into the lesson (a recording's own time)."""
        return (self.started + timedelta(seconds=t)).astimezone(timezone(timedelta(minutes=self.utc_offset_min)))

    @property
    def watched_s(self) -> float:
        """Seconds of the lesson with frames: its length, not counting pauses."""
        return sum(end - start for start, end in self.watched)

    @property
    def pauses(self) -> tuple[tuple[float, float], ...]:
        """The gaps between watched stretches (sharing stopped, a tab lost, a reload), start and end."""
        return tuple((a[1], b[0]) for a, b in zip(self.watched, self.watched[1:], strict=False))

    def overall(self) -> np.ndarray:
        """``(7,)``: each emotion's share among all the faces seen in the lesson (zeros if none)."""
        return overall_shares(self.seconds)
