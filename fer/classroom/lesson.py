"""The record of one lesson watched in a video call: seats, their emotions, the class over time.

:class:`Lesson` takes each analysed frame of the shared call (faces with their probabilities,
at a time in seconds since the lesson started) and keeps numbers only: each seat's smoothed
emotion and when its face was last seen, the class's per-second shares (:class:`MoodTimeline`),
per-seat per-minute sums, the calm headline and the gallery's reflows. Nothing of a frame is
kept. Thread-safe: the page that feeds it and any page that shows it may be different sessions;
they read it through :meth:`Lesson.snapshot` (:mod:`fer.classroom.snapshot`), taken under its lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from fer.classroom.attention import AttentionConfig, Readings
from fer.classroom.layout import Layout, seat_key
from fer.classroom.lesson_records import MinuteRecord, SeatRecord, StretchRecord
from fer.classroom.seats import SeatMap
from fer.classroom.snapshot import LessonSnapshot, Moment, Reason, SeatMinute, SeatState
from fer.classroom.tiles import TileGrid
from fer.faces import Face, blend, mean_shares
from fer.video.headline import CalmHeadline
from fer.video.mood import MoodTimeline

RECORDING_START = datetime(2000, 1, 1, tzinfo=UTC)  # a recording's clock starts at 00:00:00
MAX_NAME = 40  # characters of a seat's name
PAUSE_S = 10.0  # no frame for longer than this is a pause: sharing stopped, the tab was lost, the page reloaded


class Lesson:
    """Everything the class view and the report show of one lesson, as numbers."""

    def __init__(
        self,
        started: datetime | None = None,
        utc_offset_min: int = 0,
        attention: AttentionConfig = AttentionConfig(),
        max_seconds: int = 8 * 3600,
        source: str | None = None,
        expressions: bool = True,
    ) -> None:
        self.started = started or datetime.now(UTC)
        # False: presence only. Its faces carry no expression (fer.faces.NOT_ESTIMATED): the lesson keeps
        # faces, seats, cameras on or off and time on camera, its line counts faces, and nobody is flagged.
        self.expressions = expressions
        # The recording the lesson was analysed from, if any: its clock then reads the recording's
        # time, 00:00:00 at its start.
        self.source = source
        self.utc_offset_min = utc_offset_min  # the teacher's clock, for the times shown and reported
        self.attention = attention
        self.mood = MoodTimeline(max_seconds=max_seconds, start=0.0)
        self.seat_map = SeatMap()
        self.headline = CalmHeadline()
        self.seats: dict[str, SeatRecord] = {}
        self.minutes: dict[tuple[int, int, str], MinuteRecord] = {}  # (minute, layout, seat) -> sums
        self.layout = 1  # the gallery's layouts are numbered: a seat's name is unique within one
        self.frames_per_minute: dict[int, int] = {}
        self.max_minutes = max_seconds // 60
        self.moments: list[StretchRecord] = []  # every stretch in which a seat needed attention
        self._open: dict[tuple[str, Reason], StretchRecord] = {}  # (seat, reason) -> its stretch going on now
        self.line = "No faces in view"
        self.faces = 0  # the class's size as the line shows it: seats with a face seen lately, held steady
        self.frames = 0
        self.latest_s = 0.0
        self.names: dict[str, str] = {}  # seat -> the name the teacher typed; only in memory, gone with the lesson
        self.watched: list[list[float]] = []  # stretches with frames, [start, end]; a gap over PAUSE_S opens one
        self._lock = threading.Lock()

    @classmethod
    def of_recording(
        cls, name: str, attention: AttentionConfig = AttentionConfig(), expressions: bool = True
    ) -> Lesson:
        """A lesson analysed from the recording ``name``, in the recording's time."""
        return cls(started=RECORDING_START, attention=attention, source=name, expressions=expressions)

    @classmethod
    def resume(
        cls,
        snapshot: LessonSnapshot,
        attention: AttentionConfig = AttentionConfig(),
        max_seconds: int = 8 * 3600,
        expressions: bool | None = None,
    ) -> Lesson:
        """A lesson going on from a stored one (:meth:`fer.storage.LessonDatabase.load`): its history (seconds,
        seat minutes, moments, watched stretches, reflows, frames) as it was, not its names; its seats learnt
        again from the next frames, as a new layout. A gap over :data:`PAUSE_S` before the next frame is a pause.
        ``expressions``: whether it estimates expressions from now on (default: as it did)."""
        lesson = cls(
            snapshot.started,
            snapshot.utc_offset_min,
            attention,
            max_seconds,
            snapshot.source,
            snapshot.expressions if expressions is None else expressions,
        )
        lesson.mood.resume(snapshot.seconds)
        for m in snapshot.minutes:
            lesson.minutes[(m.minute, m.layout, m.seat)] = MinuteRecord(m.frames_seen, m.probabilities * m.frames_seen)
            lesson.frames_per_minute[m.minute] = m.frames
        lesson.layout = max((m.layout for m in snapshot.minutes), default=0) + 1
        lesson.moments = [StretchRecord(m.seat, m.reason, m.start_s, m.end_s, m.label) for m in snapshot.moments]
        lesson.seat_map.reflows = list(snapshot.reflows)
        lesson.watched = [[start, end] for start, end in snapshot.watched]
        # Not its names: the seats are learnt again, and no name is put on a seat by its place.
        lesson.frames, lesson.latest_s = snapshot.frames, snapshot.latest_s
        lesson.line, lesson.faces = snapshot.line, snapshot.faces
        return lesson

    def add(self, faces: list[Face], t: float, grid: TileGrid | None = None) -> list[Face]:
        """Add one analysed frame's faces, seen ``t`` seconds into the lesson; the faces with their seats.
        ``grid``: the gallery's tiles as the frame shows them, if it does (:func:`fer.classroom.tiles.find_tiles`)."""
        with self._lock:
            relearnt = self.seat_map.relearnt
            tiles = self.seat_map.assign([f.box for f in faces], t, grid)
            if self.seat_map.relearnt > relearnt:  # told as a reflow or not (faces that are no gallery)
                # A new layout: the old seats are gone, none is left as a ghost, and no name is put on
                # another student (fer.classroom.names puts each back where its student's face is seen again).
                self.seats, self._open, self.names = {}, {}, {}
                self.layout += 1
                self.headline.restart()  # its count and mood follow the new layout at once, not after a hold
            faces = [replace(f, seat=tile.name if tile else None) for f, tile in zip(faces, tiles, strict=True)]
            seated = [f for f in faces if f.seat is not None]
            for face in seated:
                self._observe(face.seat, face.probabilities, t)
            self.mood.update(seated, at=t)
            # The class's size is its seats with a face seen lately, not this frame's faces: a face
            # the cascade misses in one frame, or a student glancing away, does not change it.
            present = sum(t - seat.last_seen < self.attention.absent_s for seat in self.seats.values())
            self.line = self.headline.update(t, present, mean_shares(seated))
            self.faces = self.headline.faces  # the one count: the line's and the page's
            if not self.expressions:
                self.line = f"{self.faces} face{'s' * (self.faces != 1)} in view"
            self._update_attention(t)
            self._count_minute(t, seated)
            self.frames += 1
            self.latest_s = t
            if self.watched and t - self.watched[-1][1] <= PAUSE_S:
                self.watched[-1][1] = t
            else:
                self.watched.append([t, t])
            return faces

    def _observe(self, name: str, probabilities: np.ndarray, t: float) -> None:
        seat = self.seats.get(name)
        if seat is None:
            seat = self.seats[name] = SeatRecord(name, t, t, blend(None, probabilities, 1.0), Readings(self.attention))
        else:
            seat.probabilities = blend(seat.probabilities, probabilities, self.attention.smoothing)
            seat.last_seen = t
        seat.readings.add(t, probabilities)

    def _update_attention(self, t: float) -> None:
        for seat in self.seats.values():
            absent = self._watched(seat.last_seen, t) >= self.attention.absent_s
            seat.check_in = "" if absent else seat.readings.check_in(t, flagged=seat.check_in_since is not None)
            if not seat.check_in:
                seat.check_in_since = None
            elif seat.check_in_since is None:
                seat.check_in_since = t
            self._note(seat, Reason.NO_FACE, seat.last_seen if absent else None, t)
            self._note(seat, Reason.NEGATIVE, seat.check_in_since, t)

    def _note(self, seat: SeatRecord, reason: Reason, since: float | None, t: float) -> None:
        """Open, extend or close the seat's stretch of needing attention for ``reason``."""
        key = (seat.name, reason)
        if since is None:
            self._open.pop(key, None)
        elif key in self._open:
            self._open[key].end_s = t
        else:
            label = seat.check_in if reason is Reason.NEGATIVE else ""
            self._open[key] = StretchRecord(seat.name, reason, since, t, label)
            self.moments.append(self._open[key])

    def _count_minute(self, t: float, seated: list[Face]) -> None:
        minute = int(t // 60)
        self.frames_per_minute[minute] = self.frames_per_minute.get(minute, 0) + 1
        for face in seated:
            cell = self.minutes.setdefault((minute, self.layout, face.seat), MinuteRecord())
            cell.frames += 1
            if face.probabilities.size:  # none where no expression is estimated (presence only)
                cell.totals += face.probabilities
        while len(self.frames_per_minute) > self.max_minutes:  # bounded: the oldest minute goes
            oldest = min(self.frames_per_minute)
            del self.frames_per_minute[oldest]
            self.minutes = {k: v for k, v in self.minutes.items() if k[0] != oldest}

    def layout_now(self) -> Layout | None:
        """The gallery's tiles as learnt so far (an immutable value), without a whole snapshot."""
        with self._lock:
            return self.seat_map.layout

    def snapshot(self) -> LessonSnapshot:
        """The lesson as it is now, read under its lock: what the page, the report and the CSVs show."""
        with self._lock:
            seats = sorted(self.seats.values(), key=lambda s: seat_key(s.name))
            cells = sorted(self.minutes.items(), key=lambda kv: (kv[0][0], kv[0][1], seat_key(kv[0][2])))
            frames_in = self.frames_per_minute.get
            return LessonSnapshot(
                started=self.started,
                utc_offset_min=self.utc_offset_min,
                source=self.source,
                frames=self.frames,
                latest_s=self.latest_s,
                line=self.line,
                faces=self.faces,
                seats=tuple(
                    SeatState(s.name, s.probabilities.copy(), s.first_seen, s.last_seen, s.readings.on_camera_s)
                    for s in seats
                ),
                attention=self._attention(seats, Reason.NEGATIVE),
                away=self._attention(seats, Reason.NO_FACE),
                window_s=self.attention.window_s,
                moments=tuple(
                    Moment(m.seat, m.reason, m.start_s, m.end_s, m.label, self._watched(m.start_s, m.end_s))
                    for m in self.moments
                ),
                watched=tuple((start, end) for start, end in self.watched),
                names=dict(self.names),
                reflows=tuple(self.seat_map.reflows),
                seconds=tuple(self.mood.seconds()),
                minutes=tuple(
                    SeatMinute(minute, layout, seat, c.frames, frames_in(minute, 0), c.totals / c.frames)
                    for (minute, layout, seat), c in cells
                ),
                shares_now=self.mood.current()[1],
                layout=self.seat_map.layout,
                expressions=self.expressions,
            )

    def _attention(self, seats: list[SeatRecord], reason: Reason) -> tuple[Moment, ...]:
        """The seats flagged for a check-in (``Reason.NEGATIVE``), or without a face now (``Reason.NO_FACE``),
        since when; the longest first. Every tile of the gallery is a seat: one whose face has not been
        seen since the tiles were learnt (a camera off from the start) has had no face since then."""
        now, found = self.latest_s, []
        if reason is Reason.NO_FACE:
            since = self.seat_map.since
            for name in self._empty_tiles():
                if self._watched(since, now) >= self.attention.absent_s:
                    found.append(Moment(name, reason, since, now, "", self._watched(since, now)))
        for seat in seats:
            if reason is Reason.NO_FACE and self._watched(seat.last_seen, now) >= self.attention.absent_s:
                found.append(Moment(seat.name, reason, seat.last_seen, now, "", self._watched(seat.last_seen, now)))
            elif reason is Reason.NEGATIVE and seat.check_in_since is not None:
                since = seat.check_in_since
                found.append(Moment(seat.name, reason, since, now, seat.check_in, self._watched(since, now)))
        return tuple(sorted(found, key=lambda m: -m.for_s))

    def _empty_tiles(self) -> list[str]:
        """The gallery's tiles whose face has not been seen (in the layout's order)."""
        layout = self.seat_map.layout
        return [t.name for t in (layout.tiles if layout else ()) if t.name not in self.seats]

    def seat_names(self) -> list[str]:
        """Every seat of the gallery, with a face seen or not, row by row."""
        with self._lock:
            return sorted({*self.seats, *self._empty_tiles()}, key=seat_key)

    def name_seat(self, seat: str, name: str) -> None:
        """Give ``seat`` the name the teacher typed (an empty one takes it away). Raises ValueError, in words
        a teacher can read, for a seat the gallery does not have or a name that is not a short line of text."""
        name = " ".join(name.split())
        if len(name) > MAX_NAME or not name.isprintable():
            raise ValueError(f"a name is one line of at most {MAX_NAME} characters")
        with self._lock:
            if seat not in self.seats and seat not in self._empty_tiles():
                raise ValueError(f"the gallery has no seat {seat!r} now")
            if name:
                self.names[seat] = name
            else:
                self.names.pop(seat, None)

    def update_names(self, follow: Callable[[dict[str, str], int], dict[str, str]]) -> None:
        """Let ``follow`` move the typed names to where their students' faces are now
        (:class:`fer.classroom.names.NameKeeper`): it gets the names (seat -> name) and the layout's
        number and gives the names back; under the lesson's lock, so that no name typed meanwhile is lost."""
        with self._lock:
            seats = {*self.seats, *self._empty_tiles()}
            self.names = {seat: name for seat, name in follow(dict(self.names), self.layout).items() if seat in seats}

    def names_now(self) -> dict[str, str]:
        with self._lock:
            return dict(self.names)

    def _watched(self, start: float, end: float) -> float:
        """Seconds between ``start`` and ``end`` that had frames (a pause in sharing does not count)."""
        return sum(max(0.0, min(end, b) - max(start, a)) for a, b in self.watched)

    def flagged(self) -> set[str]:
        """The seats flagged for a check-in now (for the view's marks), without a whole snapshot."""
        with self._lock:
            return {s.name for s in self.seats.values() if s.check_in_since is not None}
