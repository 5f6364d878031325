"""The photo and video pages: an uploaded photo or recorded lesson, analysed in memory."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from fer.classroom.lesson import Lesson
from fer.classroom.recorded import FrameResult, Previews, RecordedLesson, analyze_photo, face_rows
from fer.config import DetectorConfig
from fer.faces import mean_shares
from fer.labels import LABELS
from fer.media import IMAGE_SUFFIXES, VIDEO_SUFFIXES, MediaError, VideoReader, read_image
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
    try:
        bgr = read_image(upload.getvalue())
    except MediaError as err:
        _error(upload.name, err)
        return
    result = analyze_photo(analyzer, bgr)
    faces = result.faces
    annotated = draw_faces(bgr.copy(), faces, show_probabilities=show_probabilities)
    left, right = st.columns([3, 2])
    left.image(annotated[:, :, ::-1], caption=f"{upload.name}: {len(faces)} face{'s' * (len(faces) != 1)}")
    with right:
        st.metric("Faces found", len(faces))
        if faces:
            distribution_chart(mean_shares(faces))
    if faces:
        table = photo_table(upload.name, result)
        percent = st.column_config.NumberColumn(format="%d%%")
        st.dataframe(table, hide_index=True, column_config={c: percent for c in PERCENT_COLUMNS})


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
    seats_table(lesson)
    moments = analysis.previews.moments
    if moments:
        times = [t for t, _ in moments]
        chosen = st.select_slider(
            "Moment", options=times, format_func=lambda t: f"{lesson.clock(t):%H:%M:%S}", key="video_moment"
        )
        st.image(moments[times.index(chosen)][1], caption=f"at {lesson.clock(chosen):%H:%M:%S}")
    lesson_downloads(analysis.lesson.snapshot, Path(analysis.name).stem)
