"""The photo and video pages: an uploaded photo or recorded lesson, analysed in memory."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from fer.faces import mean_shares
from fer.frame import FrameAnalyzer
from fer.media import IMAGE_SUFFIXES, VIDEO_SUFFIXES, MediaError, VideoReader, read_image
from fer.mood import MoodTimeline
from fer.overlay import draw_faces
from fer.recorded import Previews, analyze_photo, analyze_video, face_rows, rows_text, time_left
from ui.charts import distribution_chart, timeline_chart

PHOTO_TYPES = [s.lstrip(".") for s in IMAGE_SUFFIXES]
VIDEO_TYPES = [s.lstrip(".") for s in VIDEO_SUFFIXES]


def _types(types: list[str]) -> str:
    return ", ".join(t.upper() for t in types)


def _error(name: str, err: MediaError) -> None:
    st.error(f"{name}: {str(err).split(': ', 1)[-1]}")


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
        table = pd.DataFrame(
            [
                {k: v for k, v in row.items() if k not in ("source", "frame", "time_s")}
                for row in face_rows(upload.name, result)
            ]
        )
        st.dataframe(table, hide_index=True)


@dataclass
class VideoAnalysis:
    """What a video page keeps of an analysed video: numbers and a few small previews, no frames."""

    name: str
    every_s: float
    rows: list[dict] = field(default_factory=list)
    mood: MoodTimeline = field(default_factory=MoodTimeline)
    previews: Previews | None = None
    samples: int = 0
    seconds: float = 0.0  # wall time of the analysis


def run_video_analysis(analyzer: FrameAnalyzer, upload, every_s: float) -> VideoAnalysis | None:
    analysis = VideoAnalysis(upload.name, every_s, previews=Previews(every_s))
    progress = st.progress(0.0, text=f"Opening {upload.name}...")
    started = time.monotonic()
    try:
        with VideoReader(upload, every_s) as reader:
            total = reader.duration_s
            for result in analyze_video(analyzer, reader, mood=analysis.mood, on_sample=analysis.previews.keep):
                analysis.rows.extend(face_rows(upload.name, result))
                analysis.samples += 1
                if total:
                    done = min(1.0, result.time_s / total)
                    left = time_left(time.monotonic() - started, done)
                    progress.progress(
                        done,
                        text=f"{result.time_s:.0f} of {total:.0f} s analysed"
                        + (f", about {left:.0f} s left" if left is not None else ""),
                    )
                else:
                    progress.progress(0.0, text=f"{result.time_s:.0f} s analysed")
    except MediaError as err:
        progress.empty()
        _error(upload.name, err)
        return None
    analysis.seconds = time.monotonic() - started
    progress.progress(1.0, text=f"Analysed {analysis.samples} frames in {analysis.seconds:.1f} s")
    return analysis


def video_page(analyzer: FrameAnalyzer) -> None:
    upload = st.file_uploader(f"A recorded lesson or call ({_types(VIDEO_TYPES)})", type=VIDEO_TYPES)
    every_s = st.number_input(
        "Analyse one frame every ... seconds", min_value=0.1, max_value=30.0, value=0.5, step=0.1, format="%.1f"
    )
    if upload is None:
        return
    key = (upload.file_id, every_s)
    if st.button("Analyse the video", type="primary"):
        analysis = run_video_analysis(analyzer, upload, every_s)
        st.session_state["video_analysis"] = (key, analysis)
    stored = st.session_state.get("video_analysis")
    if not stored or stored[0] != key or stored[1] is None:
        return
    show_video_analysis(stored[1])


def show_video_analysis(analysis: VideoAnalysis) -> None:
    with_faces = [r for r in analysis.mood.seconds() if r.faces > 0]
    st.subheader(
        f"{analysis.name}: {analysis.samples} frames analysed, faces in {sum(r.frames for r in with_faces)} of them"
    )
    st.caption(f"{analysis.samples / max(analysis.seconds, 1e-9):.1f} analysed frames per second")
    if with_faces:
        left, right = st.columns(2)
        with left:
            distribution_chart(analysis.mood.overall(), "share of all faces seen")
        with right:
            timeline_chart(analysis.mood, x_label="second of the video")
    moments = analysis.previews.moments if analysis.previews else []
    if moments:
        times = [t for t, _ in moments]
        chosen = st.select_slider("Moment", options=times, format_func=lambda t: f"{t:.1f} s")
        st.image(moments[times.index(chosen)][1], caption=f"at {chosen:.1f} s")
    st.download_button(
        "Download faces per analysed frame (CSV)",
        rows_text(analysis.rows),
        file_name="faces.csv",
        mime="text/csv",
        on_click="ignore",
    )
    st.download_button(
        "Download the mood per second (CSV)",
        analysis.mood.to_csv(),
        file_name="mood.csv",
        mime="text/csv",
        on_click="ignore",
    )
