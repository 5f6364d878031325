"""Photos and recorded lessons: faces with ids and seats per analysed frame, rows and their writers.

A recording is analysed as a stream, as the live path does: its sampled frames are searched whole
for faces now and then (every :data:`RECORDING_SEARCH_S` seconds of video, and at once when a
face is lost) and the faces are followed in between, so a student keeps one id, and one seat of
the lesson's gallery, for the whole recording. Shared by the command line (``python -m fer
analyze``) and the app's photo and video pages.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TextIO

import cv2
import numpy as np

from fer.config import GALLERY_DETECTOR, AnalyzerConfig, DetectorConfig, StreamConfig
from fer.faces import Face
from fer.frame import FrameAnalyzer
from fer.labels import LABELS
from fer.lesson import Lesson
from fer.media import VideoReader, VideoSample, encode_jpeg
from fer.model_card import ModelFiles
from fer.overlay import draw_faces, draw_seats
from fer.stream import StreamAnalyzer
from fer.tracking import FaceTracker

ROW_FIELDS = (
    "source",
    "frame",
    "time_s",
    "face_id",
    "seat",
    "x",
    "y",
    "w",
    "h",
    "label",
    "score",
    *(f"p_{label}" for label in LABELS),
)
FORMATS = ("csv", "json")


RECORDING_SEARCH_S = 10.0  # seconds of video between whole-frame searches of a recording
EMPTY_SEARCH_S = 1.0  # ... while no face is followed (an empty gallery, slides shared full screen)
EMPTY_SEATS_PER_SAMPLE = 4  # empty seats looked at per sample between searches


@dataclass(frozen=True)
class FrameResult:
    index: int  # frame number in the source (0 for a photo)
    time_s: float
    faces: list[Face]
    seats: list[str | None] | None = None  # each face's seat in the gallery, for a recording


def analyze_photo(analyzer: FrameAnalyzer, bgr: np.ndarray) -> FrameResult:
    """A photo's faces, numbered 1..N largest first."""
    return FrameResult(0, 0.0, FaceTracker().update(analyzer.analyze(bgr)))


def recording_analyzer(
    files: ModelFiles | None = None,
    every_s: float = 0.5,
    detector: DetectorConfig = GALLERY_DETECTOR,
    search_s: float = RECORDING_SEARCH_S,
) -> StreamAnalyzer:
    """The analyzer of a recording sampled every ``every_s`` seconds: a whole-frame search every
    ``search_s`` seconds of video (every :data:`EMPTY_SEARCH_S` while no face is followed, and at
    once after a face is lost), faces followed in between, each face classified every other
    sample, in the next of its views each time."""
    stream = StreamConfig(
        detect_every=max(1, round(search_s / every_s)),
        scale_with_area=False,
        detect_every_empty=max(1, round(EMPTY_SEARCH_S / every_s)),
    )
    return StreamAnalyzer.from_model(files, AnalyzerConfig(detector=detector), stream)


def analyze_recording(
    analyzer: StreamAnalyzer,
    reader: VideoReader,
    lesson: Lesson,
    *,
    on_sample: Callable[[FrameResult, VideoSample], None] | None = None,
) -> Iterator[FrameResult]:
    """Analyse each sampled frame of ``reader`` into ``lesson``: faces with the ids the stream keeps
    and their seats. Raises :class:`~fer.media.MediaError` where the recording breaks off; what was
    analysed until then stays in ``lesson``. ``on_sample(result, sample)`` sees each sampled frame
    while it is in memory (for previews)."""
    watch = EmptySeats(analyzer, cooldown=max(1, round(EMPTY_SEARCH_S / reader.every_s)))
    for sample in reader:
        gray = sample.gray
        faces = analyzer.analyze(gray)
        result = FrameResult(sample.index, sample.time_s, faces, lesson.add(faces, sample.time_s))
        if faces and lesson.seat_map.layout is None:
            analyzer.search_next()  # the gallery's layout is being learnt: from whole searches
        else:
            watch.look(gray, lesson, result.seats)
        if on_sample is not None:
            on_sample(result, sample)
        yield result


class EmptySeats:
    """Between a recording's searches, looks for a face in each seat of the gallery that has none
    (a student back in view, a camera turned on): the cascade on that tile alone, a millisecond or
    two. A face there asks the stream to search the next sample whole, at most once per
    ``cooldown`` samples."""

    def __init__(self, analyzer: StreamAnalyzer, cooldown: int, per_sample: int = EMPTY_SEATS_PER_SAMPLE) -> None:
        self.analyzer, self.cooldown, self.per_sample = analyzer, cooldown, per_sample
        self._turn = 0  # which empty seats are looked at next, when there are more than per_sample
        self._wait = 0  # samples until a face in an empty seat may ask for a search again

    def look(self, gray: np.ndarray, lesson: Lesson, seats: list[str | None]) -> None:
        self._wait = max(0, self._wait - 1)
        layout = lesson.seat_map.layout
        if layout is None or self._wait or self.analyzer.searched_last:
            return
        taken = set(seats)
        empty = [t for t in layout.tiles if t.name not in taken]
        if not empty:
            return
        start = self._turn % len(empty)
        self._turn += self.per_sample
        half = max(layout.reach(), layout.face_side)
        height, width = gray.shape
        for tile in (empty[start:] + empty[:start])[: self.per_sample]:
            left, top = max(0, round(tile.x - half)), max(0, round(tile.y - half))
            right, bottom = min(width, round(tile.x + half)), min(height, round(tile.y + half))
            if right > left and bottom > top and self.analyzer.detector.detect(gray[top:bottom, left:right]):
                self.analyzer.search_next()
                self._wait = self.cooldown
                return


def face_rows(source: str, result: FrameResult) -> list[dict]:
    """One row per face, with the fields of :data:`ROW_FIELDS`."""
    rows = []
    seats = result.seats or [None] * len(result.faces)
    for face, seat in zip(result.faces, seats, strict=True):
        x, y, w, h = face.box
        rows.append(
            {
                "source": source,
                "frame": result.index,
                "time_s": round(result.time_s, 3),
                "face_id": face.id,
                "seat": seat or "",
                "x": x,
                "y": y,
                "w": w,
                "h": h,
                "label": face.label,
                "score": round(face.score, 4),
                **{f"p_{label}": round(float(p), 4) for label, p in zip(LABELS, face.probabilities, strict=True)},
            }
        )
    return rows


class RowWriter:
    """Streams rows (by default of :data:`ROW_FIELDS`) as CSV (header first) or as one JSON array."""

    def __init__(self, out: TextIO, fmt: str = "csv", fields: Sequence[str] = ROW_FIELDS) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
        self.out, self.fmt, self.count = out, fmt, 0
        if fmt == "csv":
            self._csv = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
            self._csv.writeheader()
        else:
            out.write("[")

    def write(self, rows: Sequence[dict]) -> None:
        for row in rows:
            if self.fmt == "csv":
                self._csv.writerow(row)
            else:
                self.out.write(("," if self.count else "") + "\n" + json.dumps(row))
            self.count += 1

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n" if self.count else "]\n")
        self.out.flush()


def rows_text(rows: Sequence[dict], fmt: str = "csv") -> str:
    """Rows from :func:`face_rows` as CSV (header included) or JSON text."""
    out = io.StringIO()
    writer = RowWriter(out, fmt)
    writer.write(rows)
    writer.close()
    return out.getvalue()


def time_left(elapsed_s: float, done: float) -> float | None:
    """Seconds still to go when a ``done`` share (0..1) took ``elapsed_s``; None before any progress."""
    return elapsed_s * (1 - done) / done if done > 0 else None


@dataclass
class Previews:
    """Small annotated JPEGs of a video's moments, at most ``limit``, spread over the whole video.

    When full, every other moment is dropped and the spacing doubles: memory stays bounded.
    """

    every_s: float
    width: int = 640
    limit: int = 48
    moments: list[tuple[float, bytes]] = field(default_factory=list)  # (time_s, JPEG)

    def keep(self, result: FrameResult, sample: VideoSample) -> None:
        """Keep ``result``'s moment if it is due; ``sample``: the frame it was found in."""
        if self.moments and result.time_s < self.moments[-1][0] + self.every_s:
            return
        bgr = sample.bgr
        if result.seats is None:
            annotated = draw_faces(bgr.copy(), result.faces)
            scale = min(1.0, self.width / annotated.shape[1])
            small = cv2.resize(annotated, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        else:
            small = draw_seats(bgr, result.faces, result.seats, self.width)
        self.moments.append((result.time_s, encode_jpeg(small, 80)))
        if len(self.moments) > self.limit:
            self.moments = self.moments[::2]
            self.every_s *= 2
