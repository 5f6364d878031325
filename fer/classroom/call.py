"""A teacher's shared call: one frame of the call's window in, the seated faces and the annotated view out.

:class:`SharedCall` is what the class page (and its benchmark) run for every frame the browser
sends: decode the JPEG, read the gallery's tiles, find and classify every face, seat the faces in
the lesson, draw each face's "B3 happy" tag and encode the view. The faces are found and classified
by a :class:`~fer.classroom.follow.GalleryFollower`: a frame is searched whole only when the gallery
has reflowed (its grid of tiles changed: no face is followed across a reflow), when most faces are lost
at once, and now and then; in between the faces are followed and a few tiles searched (those of faces
lost or doubtful, empty ones that changed, the others in turn), and each face is classified in one
view a frame (its probabilities are the mean of its latest reading in every view). The follower is
reset when the frames go to another lesson. The words the page shows of a frame (the line while the
seats are learnt, the small-face warning) are made here too, from the frame's numbers.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from fer.classroom.follow import GalleryFollower
from fer.classroom.lesson import Lesson
from fer.classroom.names import NameKeeper
from fer.classroom.snapshot import LessonSnapshot
from fer.classroom.tiles import find_tiles
from fer.config import GALLERY_DETECTOR, AnalyzerConfig, DetectorConfig, gallery_detector
from fer.faces import Face
from fer.media import encode_jpeg, read_jpeg_data_url
from fer.recognition.frame import FrameAnalyzer
from fer.recognition.model_card import ModelFiles
from fer.recognition.preprocessing import to_gray
from fer.video.overlay import draw_seats

VIEW_WIDTH = 1200  # the annotated view is made at most this wide: about the width the page shows it at
TAG_PX = 17  # text height of a face's tag in the view
SMALL_FACE_PX = 40  # faces narrower than this are hard to read: say so
SMALLEST_CALL = (1280, 720)  # a class gallery needs at least this much of a screen


@dataclass(frozen=True, eq=False)
class CallFrame:
    """One analysed frame of the call: its faces (seated), the annotated view and what it cost."""

    faces: list[Face]
    view: bytes  # JPEG, at most VIEW_WIDTH wide
    size: tuple[int, int]  # width, height of the frame received
    analyse_ms: float  # decoding, analysis, seating and drawing

    @property
    def seated(self) -> int:
        return sum(f.seat is not None for f in self.faces)


class SharedCall:
    """One browser session's shared call. Not thread-safe: one session feeds it (the lesson is)."""

    def __init__(self, analyzer: FrameAnalyzer) -> None:
        self.analyzer = analyzer
        self.follower = GalleryFollower(analyzer.detector, analyzer.classifier)
        self.names = NameKeeper()  # the typed names follow their students' faces
        self._lesson: weakref.ref[Lesson] | None = None  # the lesson of the latest frame

    @classmethod
    def from_model(
        cls, files: ModelFiles | None = None, detector: DetectorConfig = GALLERY_DETECTOR, expressions: bool = True
    ) -> SharedCall:
        """``expressions`` off: presence only, the model not loaded and no expression estimated."""
        config = AnalyzerConfig(detector=gallery_detector(detector), expressions=expressions)
        return cls(FrameAnalyzer.from_model(files, config))

    def use_detector(self, detector: DetectorConfig) -> None:
        """The teacher's detection settings, from the next frame on."""
        self.analyzer.detector.config = gallery_detector(detector)

    def take(self, jpeg: object, lesson: Lesson, t: float | None = None) -> CallFrame:
        """Analyse one frame (a ``data:image/jpeg;base64,...`` URL) into ``lesson``, seen ``t`` seconds
        into it (default: now). Raises :class:`~fer.media.MediaError` for a frame that is not such a JPEG."""
        started = time.perf_counter()
        bgr = read_jpeg_data_url(jpeg)
        t = (datetime.now(UTC) - lesson.started).total_seconds() if t is None else t
        if self._lesson is None or self._lesson() is not lesson:
            self.follower.reset()  # another lesson's frames: none of the faces followed so far is in them
            self.names = NameKeeper()
            self._lesson = weakref.ref(lesson)
        gray = to_gray(bgr)  # once: the tiles and the faces are both read from it
        grid = find_tiles(gray)
        faces = lesson.add(self.follower.analyze(gray, grid, t), t, grid)
        lesson.update_names(lambda names, layout: self.names.follow(gray, faces, names, layout))
        view = encode_jpeg(draw_seats(bgr, faces, VIEW_WIDTH, TAG_PX, frozenset(lesson.flagged()), lesson.names_now()))
        return CallFrame(faces, view, (bgr.shape[1], bgr.shape[0]), 1000 * (time.perf_counter() - started))


def call_headline(frame: CallFrame | None, lesson: LessonSnapshot | None) -> str:
    """The class's calm line; while the first frames teach the lesson its seats, what is found."""
    if lesson is None or (not lesson.seats and frame is not None and frame.faces):
        found = len(frame.faces) if frame is not None else 0
        return f"{found} face{'s' * (found != 1)} found · learning the gallery's seats"
    return lesson.line


def small_faces_warning(frame: CallFrame) -> str | None:
    """What to do when the faces of the shared call are too small to read, or the window is."""
    sides = [f.box[2] for f in frame.faces]
    width, height = frame.size
    if sides and np.median(sides) < SMALL_FACE_PX:
        return (
            f"The faces are about {np.median(sides):.0f} px wide in this {width}x{height} picture: too small to "
            "read well. Maximise the call's window, or share a screen of at least 1280x720."
        )
    if not sides and width * height < SMALLEST_CALL[0] * SMALLEST_CALL[1]:
        return (
            f"The shared picture is only {width}x{height}: a class gallery needs at least 1280x720. "
            "Maximise the call's window before sharing it."
        )
    return None
