"""Photos and recorded videos: faces with ids per analysed frame, table rows and their writers.

Shared by the command line (``python -m fer analyze``) and the app's photo and video pages.
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

from fer.faces import Face
from fer.frame import FrameAnalyzer
from fer.labels import LABELS
from fer.media import VideoReader, encode_jpeg
from fer.mood import MoodTimeline
from fer.overlay import draw_faces
from fer.tracking import FaceTracker

ROW_FIELDS = (
    "source",
    "frame",
    "time_s",
    "face_id",
    "x",
    "y",
    "w",
    "h",
    "label",
    "score",
    *(f"p_{label}" for label in LABELS),
)
FORMATS = ("csv", "json")


@dataclass(frozen=True)
class FrameResult:
    index: int  # frame number in the source (0 for a photo)
    time_s: float
    faces: list[Face]


def analyze_photo(analyzer: FrameAnalyzer, bgr: np.ndarray) -> FrameResult:
    """A photo's faces, numbered 1..N largest first."""
    return FrameResult(0, 0.0, FaceTracker().update(analyzer.analyze(bgr)))


def analyze_video(
    analyzer: FrameAnalyzer,
    reader: VideoReader,
    *,
    mood: MoodTimeline | None = None,
    tracker: FaceTracker | None = None,
    on_sample: Callable[[FrameResult, np.ndarray], None] | None = None,
) -> Iterator[FrameResult]:
    """Analyse each sampled frame of ``reader``: faces tracked across samples, fed to ``mood``.

    ``on_sample(result, bgr)`` sees each sampled frame while it is still in memory (for previews).
    """
    tracker = tracker or FaceTracker()
    for sample in reader:
        result = FrameResult(sample.index, sample.time_s, tracker.update(analyzer.analyze(sample.bgr)))
        if mood is not None:
            mood.update(result.faces, at=sample.time_s)
        if on_sample is not None:
            on_sample(result, sample.bgr)
        yield result


def face_rows(source: str, result: FrameResult) -> list[dict]:
    """One row per face, with the fields of :data:`ROW_FIELDS`."""
    rows = []
    for face in result.faces:
        x, y, w, h = face.box
        rows.append(
            {
                "source": source,
                "frame": result.index,
                "time_s": round(result.time_s, 3),
                "face_id": face.id,
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
    """Streams rows of :data:`ROW_FIELDS` as CSV (header first) or as one JSON array."""

    def __init__(self, out: TextIO, fmt: str = "csv") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
        self.out, self.fmt, self.count = out, fmt, 0
        if fmt == "csv":
            self._csv = csv.DictWriter(out, fieldnames=ROW_FIELDS, lineterminator="\n")
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

    def keep(self, result: FrameResult, bgr: np.ndarray) -> None:
        if self.moments and result.time_s < self.moments[-1][0] + self.every_s:
            return
        annotated = draw_faces(bgr.copy(), result.faces)
        scale = min(1.0, self.width / annotated.shape[1])
        small = cv2.resize(annotated, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        self.moments.append((result.time_s, encode_jpeg(small, 80)))
        if len(self.moments) > self.limit:
            self.moments = self.moments[::2]
            self.every_s *= 2
