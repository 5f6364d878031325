"""Photos and recorded lessons: faces with ids and seats per analysed frame, and their rows.

A recording is analysed as a stream, as the live path does: its sampled frames are searched whole
for faces now and then (every :data:`RECORDING_SEARCH_S` seconds of video, and at once when a
face is lost) and the faces are followed in between, so a student keeps one id, and one seat of
the lesson's gallery, for the whole recording. :class:`RecordedLesson` is that analysis, shared
by the command line (``python -m fer analyze``), the app's video page and the benchmark.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from fer.classroom.layout import Layout
from fer.classroom.lesson import Lesson
from fer.classroom.tiles import find_tiles
from fer.config import GALLERY_DETECTOR, AnalyzerConfig, DetectorConfig, StreamConfig, gallery_detector
from fer.faces import Face
from fer.labels import LABELS
from fer.media import MediaError, VideoReader, VideoSample, encode_jpeg
from fer.recognition.frame import FrameAnalyzer
from fer.recognition.model_card import ModelFiles
from fer.video.overlay import draw_faces, draw_seats
from fer.video.stream import StreamAnalyzer
from fer.video.tracking import FaceTracker

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


RECORDING_SEARCH_S = 10.0  # seconds of video between whole-frame searches of a recording
EMPTY_SEARCH_S = 1.0  # ... while no face is followed (an empty gallery, slides shared full screen)
EMPTY_SEATS_PER_SAMPLE = 4  # empty seats looked at per sample between searches


@dataclass(frozen=True)
class FrameResult:
    index: int  # frame number in the source (0 for a photo)
    time_s: float
    faces: list[Face]  # with their ids, and for a recording their seats
    seated: bool = False  # a recording's frame: its faces were given seats (a face may still have none)


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
    empty = EmptySeats(analyzer, cooldown=max(1, round(EMPTY_SEARCH_S / reader.every_s)))
    grid, looked = None, False
    for sample in reader:
        gray = sample.gray
        found = analyzer.analyze(gray)
        if analyzer.searched_last or not looked:  # the tiles are read again with each whole search
            grid, looked = find_tiles(gray), True
        faces = lesson.add(found, sample.time_s, grid)
        result = FrameResult(sample.index, sample.time_s, faces, seated=True)
        layout = lesson.layout_now()
        if faces and layout is None:
            analyzer.search_next()  # the gallery's layout is being learnt: from whole searches
        elif layout is not None:
            empty.look(gray, layout, faces)
        if on_sample is not None:
            on_sample(result, sample)
        yield result


class RecordedLesson:
    """One recording analysed as a lesson: its :class:`Lesson`, how far it got and what it cost.

    Iterate :meth:`frames` to run it. Where the recording breaks off after some frames, the
    analysis ends there and :attr:`broke_off` says why (what was analysed stays in the lesson);
    a recording of which no frame can be read raises :class:`~fer.media.MediaError`.
    """

    def __init__(
        self,
        name: str,
        reader: VideoReader,
        files: ModelFiles | None = None,
        detector: DetectorConfig = GALLERY_DETECTOR,
    ) -> None:
        self.name, self.reader = name, reader
        self.lesson = Lesson.of_recording(name)
        self.stream = recording_analyzer(files, reader.every_s, gallery_detector(detector))
        self.samples = 0
        self.seconds = 0.0  # wall time of the analysis
        self.broke_off: str | None = None  # where and why the recording could not be read to its end

    @property
    def duration_s(self) -> float | None:
        return self.reader.duration_s

    def frames(self, on_sample: Callable[[FrameResult, VideoSample], None] | None = None) -> Iterator[FrameResult]:
        started = time.perf_counter()
        try:
            for result in analyze_recording(self.stream, self.reader, self.lesson, on_sample=on_sample):
                self.samples += 1
                self.seconds = time.perf_counter() - started
                yield result
        except MediaError as err:
            if not self.samples:
                raise
            self.broke_off = str(err).split(": ", 1)[-1]
        self.seconds = time.perf_counter() - started

    def progress(self, done_s: float) -> tuple[float | None, str]:
        """How far the analysis is, 0..1 (None when the recording's length is unknown), and in words."""
        total_s = self.duration_s
        if not total_s:
            return None, f"{done_s:.0f} s analysed"
        done = min(1.0, done_s / total_s)
        left = time_left(self.seconds, done)
        return done, f"{done_s:.0f} of {total_s:.0f} s analysed" + (f", about {left:.0f} s left" if left else "")


class EmptySeats:
    """Between a recording's searches, looks for a face in each seat of the gallery that has none
    (a student back in view, a camera turned on): the cascade on that tile alone, a millisecond or
    two. A face there asks the stream to search the next sample whole, at most once per
    ``cooldown`` samples."""

    def __init__(self, analyzer: StreamAnalyzer, cooldown: int, per_sample: int = EMPTY_SEATS_PER_SAMPLE) -> None:
        self.analyzer, self.cooldown, self.per_sample = analyzer, cooldown, per_sample
        self._turn = 0  # which empty seats are looked at next, when there are more than per_sample
        self._wait = 0  # samples until a face in an empty seat may ask for a search again

    def look(self, gray: np.ndarray, layout: Layout, faces: list[Face]) -> None:
        self._wait = max(0, self._wait - 1)
        if self._wait or self.analyzer.searched_last:
            return
        taken = {f.seat for f in faces}
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
    for face in result.faces:
        x, y, w, h = face.box
        rows.append(
            {
                "source": source,
                "frame": result.index,
                "time_s": round(result.time_s, 3),
                "face_id": face.id,
                "seat": face.seat or "",
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
        if not result.seated:
            annotated = draw_faces(bgr.copy(), result.faces)
            scale = min(1.0, self.width / annotated.shape[1])
            small = cv2.resize(annotated, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        else:
            small = draw_seats(bgr, result.faces, self.width)
        self.moments.append((result.time_s, encode_jpeg(small, 80)))
        if len(self.moments) > self.limit:
            self.moments = self.moments[::2]
            self.every_s *= 2
