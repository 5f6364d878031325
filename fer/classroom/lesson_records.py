"""What a lesson keeps while it goes on, in its own mutable records: each seat, each stretch in which a
seat needs attention, each seat's minute. Only :class:`fer.classroom.lesson.Lesson` writes them, under its
lock; everyone else reads the frozen records of its snapshot (:mod:`fer.classroom.snapshot`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fer.classroom.attention import Readings
from fer.classroom.snapshot import Reason
from fer.labels import LABELS


@dataclass
class SeatRecord:
    """One tile of the gallery and what is known of its student."""

    name: str
    first_seen: float
    last_seen: float
    probabilities: np.ndarray
    readings: Readings
    check_in_since: float | None = None  # since when the seat has been flagged for a check-in, if it is
    check_in: str = ""  # the negative emotion it looked most of the window, while flagged


@dataclass
class StretchRecord:
    """A stretch in which a seat needs attention, growing while it lasts."""

    seat: str
    reason: Reason
    start_s: float
    end_s: float
    label: str = ""


@dataclass
class MinuteRecord:
    frames: int = 0  # frames of the minute in which the seat's face was seen
    totals: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS)))
