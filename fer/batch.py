"""Analyse photos and recorded videos: faces with ids per analysed frame, and table rows.

Shared by the command line (``python -m fer analyze``) and the app's photo and video modes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from fer.labels import LABELS
from fer.media import VideoReader
from fer.mood import MoodTimeline
from fer.pipeline import Analyzer
from fer.tracking import FaceTracker, TrackedFace

ROW_FIELDS = ("source", "frame", "time_s", "face_id", "x", "y", "w", "h", "label", "score",
              *(f"p_{label}" for label in LABELS))


@dataclass(frozen=True)
class FrameResult:
    index: int  # frame number in the source (0 for a photo)
    time_s: float
    faces: list[TrackedFace]


def analyze_photo(analyzer: Analyzer, bgr: np.ndarray) -> FrameResult:
    """A photo's faces, numbered 1..N largest first."""
    return FrameResult(0, 0.0, FaceTracker().update(analyzer.analyze(bgr)))


def analyze_video(analyzer: Analyzer, reader: VideoReader, *, mood: MoodTimeline | None = None,
                  tracker: FaceTracker | None = None,
                  on_sample: Callable[[FrameResult, np.ndarray], None] | None = None) -> Iterator[FrameResult]:
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
        rows.append({"source": source, "frame": result.index, "time_s": round(result.time_s, 3),
                     "face_id": face.id, "x": x, "y": y, "w": w, "h": h, "label": face.label,
                     "score": round(face.score, 4),
                     **{f"p_{label}": round(face.probabilities[label], 4) for label in LABELS}})
    return rows


def rows_csv(rows: Sequence[dict]) -> str:
    """Rows from :func:`face_rows` as CSV text, header included."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ROW_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
