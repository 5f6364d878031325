"""The photo and video pages: an uploaded photo or recorded lesson, analysed in memory."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import streamlit as st

from fer.classroom.lesson import Lesson
from fer.classroom.recorded import FrameResult, Previews, RecordedLesson, analyze_photo, face_rows
from fer.config import DetectorConfig
from fer.faces import mean_shares
from fer.images import read_photo, release_memory
from fer.labels import LABELS
from fer.media import IMAGE_SUFFIXES, VIDEO_SUFFIXES, MediaError, VideoReader
from fer.recognition.detection import FaceDetector
from fer.recognition.frame import FrameAnalyzer
from fer.recognition.model_card import ModelFiles
from fer.video.overlay import draw_faces
from ui.charts import distribution_chart
from ui.lesson_panels import clock_timeline, lesson_downloads, moments_table, reflow_notes, seats_table

log = logging.getLogger(__name__)

PHOTO_TYPES = [s.lstrip(".") for s in IMAGE_SUFFIXES]
VIDEO_TYPES = [s.lstrip(".") for s in VIDEO_SUFFIXES]
PROGRESS_EVERY_S = 0.25  # the progress bar is redrawn at most this often
NOT_FOR_A_PHOTO = ("source", "frame", "time_s", "seat")
PERCENT_COLUMNS = ("score", *(f"p_{label}" for label in LABELS))
RELEASE_DELAY_S = 1.0  # after a session with a large photo ends, its memory is handed back this much later


def _types(types: list[str]) -> str:
    return ", ".join(t.upper() for t in types)


def _error(name: str, err: MediaError) -> None:
    st.error(f"{name}: {str(err).split(': ', 1)[-1]}")


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0][:200]}" if text else type(err).__name__


def photo_page(analyzer: FrameAnalyzer, show_probabilities: bool) -> None:
    upload = st.file_uploader(
        f"A photo ({_types(PHOTO_TYPES)}): a class, a group, a video-call gallery", type=PHOTO_TYPES
    )
    if upload is None:
        return
    if show_photo(analyzer, upload, show_probabilities):
        # A large photo: tens of MB were used and freed, which the C allocator would keep. Hand them
        # back now, and once more after the session ends (its tab closed) and its upload goes with it.
        release_memory()
        if not st.session_state.get("photo_release_at_end"):
            st.session_state["photo_release_at_end"] = True
            weakref.finalize(analyzer, release_memory_soon).atexit = False


def release_memory_soon() -> None:
    """:func:`~fer.images.release_memory` in a moment, from a thread of its own: the session's analyzer
    goes while the session is taken apart, and its upload and page elements may go after it."""
    timer = threading.Timer(RELEASE_DELAY_S, release_memory)
    timer.daemon = True
    timer.start()


def show_photo(analyzer: FrameAnalyzer, upload, show_probabilities: bool) -> bool:
    """An uploaded photo's faces: drawn on the photo as analysed (a large one reduced to its working
    size, see :mod:`fer.images`), and listed with their boxes in the photo's own pixels. Whether the
    photo was large (analysed reduced)."""
    try:
        photo = read_photo(upload)
    except MediaError as err:
        _error(upload.name, err)
        return False
    # The photo is searched with a cascade of its own, dropped with it: OpenCV's cascade keeps the
    # buffers of the largest picture it has searched (about 20 bytes a pixel) for as long as it lives.
    result = analyze_photo(FrameAnalyzer(FaceDetector(analyzer.detector.config), analyzer.classifier), photo.bgr)
    faces = result.faces
    annotated = draw_faces(photo.bgr, faces, show_probabilities=show_probabilities)  # the photo is not needed after
    caption = f"{upload.name}: {len(faces)} face{'s' * (len(faces) != 1)}"
    if photo.reduced:
        caption += f" (analysed at {annotated.shape[1]}x{annotated.shape[0]} of its {photo.size[0]}x{photo.size[1]})"
    left, right = st.columns([3, 2])
    left.image(annotated[:, :, ::-1], caption=caption)
    with right:
        st.metric("Faces found", len(faces))
        if faces:
            distribution_chart(mean_shares(faces))
    if faces:
        table = photo_table(upload.name, replace(result, faces=photo.in_original(faces)))
        percent = st.column_config.NumberColumn(format="%d%%")
        st.dataframe(table, hide_index=True, column_config={c: percent for c in PERCENT_COLUMNS})
    return photo.reduced


def photo_table(name: str, result: FrameResult) -> pd.DataFrame:
    """The photo's faces as the page shows them: the CLI's rows without the columns that mean
    nothing for one photo (its name, frame, time and seat), probabilities in whole percent."""
    rows = [
        {k: round(100 * v) if k in PERCENT_COLUMNS else v for k, v in row.items() if k not in NOT_FOR_A_PHOTO}
        for row in face_rows(name, result)
    ]
    return pd.DataFrame(rows)


@dataclass
class VideoAnalysis:
    """What the video page keeps of an analysed recording: the lesson's numbers and a few small
    annotated previews, no frames."""

    name: str
    every_s: float
    lesson: Lesson
    previews: Previews
    samples: int
    seconds: float  # wall time of the analysis
    decode_s: float  # of which decoding
    broke_off: str | None  # where and why the recording could not be read to its end


def run_video_analysis(
    files: ModelFiles, detector: DetectorConfig, upload, every_s: float, cancel_slot
) -> VideoAnalysis | None:
    """Analyse the recording with a progress bar and a Cancel button; None when nothing of it can
    be read or the analysis fails, after a one-line error. Whatever ends the run, the Cancel button
    goes with it; a recording that breaks off is kept to where it broke (``broke_off``).

    Cancel reruns the page, which stops this run where it is: the analysis is dropped with it.
    (Streamlit's rerun and stop are BaseExceptions: ``except Exception`` does not catch them.)
    """
    progress = st.progress(0.0, text=f"Opening {upload.name}...")
    cancel_slot.button(
        "Cancel",
        key="video_cancel",
        on_click=lambda: st.session_state.update(video_cancelled=True),
        help="Stop analysing; nothing of this recording is kept",
    )
    previews = Previews(max(every_s, 10.0))
    try:
        with VideoReader(upload, every_s) as reader:
            analysis = RecordedLesson(upload.name, reader, files, detector)
            drawn = 0.0
            for result in analysis.frames(on_sample=previews.keep):
                if time.monotonic() - drawn >= PROGRESS_EVERY_S:
                    drawn = time.monotonic()
                    st.session_state["video_progress"] = (upload.name, result.time_s)
                    done, text = analysis.progress(result.time_s)
                    progress.progress(done or 0.0, text=text)
    except MediaError as err:  # nothing of it could be read: no analysis to show
        progress.empty()
        cancel_slot.empty()
        _error(upload.name, err)
        return None
    except Exception as err:  # anything else (a bug, memory): one line here, the traceback in the log
        log.exception("analysing %s failed", upload.name)
        progress.empty()
        cancel_slot.empty()
        st.error(f"{upload.name}: the analysis failed ({_first_line(err)}); nothing of it was kept.")
        return None
    cancel_slot.empty()
    progress.progress(1.0, text=f"Analysed {analysis.samples} frames in {analysis.seconds:.1f} s")
    return VideoAnalysis(
        upload.name,
        every_s,
        analysis.lesson,
        previews,
        analysis.samples,
        analysis.seconds,
        reader.decode_s,
        analysis.broke_off,
    )


def video_page(files: ModelFiles, detector: DetectorConfig) -> None:
    upload = st.file_uploader(f"A recorded lesson or call ({_types(VIDEO_TYPES)})", type=VIDEO_TYPES)
    every_s = st.number_input(
        "Analyse one frame every ... seconds", min_value=0.1, max_value=30.0, value=0.5, step=0.1, format="%.1f"
    )
    if st.session_state.pop("video_cancelled", False):
        name, at_s = st.session_state.pop("video_progress", ("the recording", 0.0))
        st.info(f"Cancelled after {at_s:.0f} s of {name}: nothing of it was kept.")
        st.session_state.pop("video_analysis", None)
    if upload is None:
        return
    key = (upload.file_id, every_s)
    start, cancel_slot = st.columns([1, 5])
    if start.button("Analyse the video", type="primary"):
        st.session_state.pop("video_analysis", None)  # the previous analysis goes before the next starts
        analysis = run_video_analysis(files, detector, upload, every_s, cancel_slot.empty())
        st.session_state.pop("video_progress", None)
        st.session_state["video_analysis"] = (key, analysis)
    stored = st.session_state.get("video_analysis")
    if not stored or stored[0] != key or stored[1] is None:
        return
    show_video_analysis(stored[1])


def show_video_analysis(analysis: VideoAnalysis) -> None:
    lesson = analysis.lesson.snapshot()
    st.subheader(f"{analysis.name}: {lesson.line}")
    speed = lesson.latest_s / max(analysis.seconds, 1e-9)
    st.caption(
        f"{analysis.samples} frames analysed, one every {analysis.every_s:g} s, in {analysis.seconds:.1f} s "
        f"({speed:.1f}x real time; decoding {analysis.decode_s:.1f} s). Times are from the recording's start."
    )
    if analysis.broke_off:
        st.error(
            f"{analysis.name}: could not be read to its end: {analysis.broke_off}; "
            f"what is shown covers its first {lesson.latest_s:.0f} s."
        )
    if not lesson.frames or not lesson.seconds:
        return
    left, right = st.columns(2)
    with left:
        distribution_chart(lesson.overall(), "share of all faces seen")
    with right:
        moments_table(lesson)
    reflow_notes(lesson)
    clock_timeline(lesson)
    seats_table(lesson, live=False)
    moments = analysis.previews.moments
    if moments:
        times = [t for t, _ in moments]
        chosen = st.select_slider(
            "Moment", options=times, format_func=lambda t: f"{lesson.clock(t):%H:%M:%S}", key="video_moment"
        )
        st.image(moments[times.index(chosen)][1], caption=f"at {lesson.clock(chosen):%H:%M:%S}")
    lesson_downloads(analysis.lesson.snapshot, Path(analysis.name).stem)
