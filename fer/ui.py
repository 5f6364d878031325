"""The app's photo and video pages (Streamlit). Imported by app.py only: ``import fer`` stays light."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np
import pandas as pd
import streamlit as st

from fer.batch import FrameResult, analyze_photo, analyze_video, face_rows, rows_csv
from fer.labels import COLORS_BGR, LABELS
from fer.media import MediaError, VideoReader, read_image
from fer.mood import MoodTimeline
from fer.overlay import draw_faces
from fer.pipeline import Analyzer

PHOTO_TYPES = ["jpg", "jpeg", "png", "webp"]
VIDEO_TYPES = ["mp4", "webm", "mov"]
HEX = [f"#{r:02x}{g:02x}{b:02x}" for b, g, r in (COLORS_BGR[label] for label in LABELS)]
PREVIEW_WIDTH = 640
MAX_PREVIEWS = 48


def distribution_chart(shares: dict[str, float], title: str = "share of the faces") -> None:
    """Horizontal bars, one per emotion in label order and colour."""
    data = pd.DataFrame({"emotion": list(LABELS), "share": [shares[k] for k in LABELS]})
    st.vega_lite_chart(data, {
        "mark": "bar", "height": 210,
        "encoding": {
            "y": {"field": "emotion", "type": "nominal", "sort": list(LABELS), "title": None,
                  "axis": {"labelOverlap": False}},
            "x": {"field": "share", "type": "quantitative", "title": title, "axis": {"format": "%"},
                  "scale": {"domain": [0, 1]}},
            "color": {"field": "emotion", "scale": {"domain": list(LABELS), "range": HEX}, "legend": None},
        },
    })


def timeline_chart(mood: MoodTimeline, last_s: int | None = None, x_label: str = "second") -> bool:
    """Stacked shares per second (seconds without faces left out); False if there is too little to draw."""
    rows = [r for r in mood.seconds() if r.faces > 0]
    if last_s is not None and rows:
        rows = [r for r in rows if r.second > rows[-1].second - last_s]
    if len(rows) < 2:
        return False
    table = pd.DataFrame([r.shares for r in rows], index=pd.Index([r.second for r in rows], name="second"))
    st.area_chart(table, color=HEX, height=220, y_label="share", x_label=x_label, stack=True)
    return True


def mean_shares(faces) -> dict[str, float]:
    if not faces:
        return dict.fromkeys(LABELS, 0.0)
    probs = np.array([[f.probabilities[k] for k in LABELS] for f in faces]).mean(axis=0)
    return dict(zip(LABELS, map(float, probs), strict=True))


def photo_page(analyzer: Analyzer, show_probabilities: bool) -> None:
    upload = st.file_uploader("A photo (JPEG, PNG or WebP): a class, a group, a video-call gallery",
                              type=PHOTO_TYPES)
    if upload is None:
        return
    try:
        bgr = read_image(upload.getvalue())
    except MediaError as err:
        st.error(f"{upload.name}: {str(err).split(': ', 1)[-1]}")
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
        table = pd.DataFrame([{k: v for k, v in row.items() if k not in ("source", "frame", "time_s")}
                              for row in face_rows(upload.name, result)])
        st.dataframe(table, hide_index=True)


@dataclass
class VideoAnalysis:
    """What a video page keeps of an analysed video: numbers and a few small previews, no frames."""

    name: str
    every_s: float
    rows: list[dict] = field(default_factory=list)
    mood: MoodTimeline = field(default_factory=MoodTimeline)
    previews: list[tuple[float, bytes]] = field(default_factory=list)  # (time_s, JPEG of the annotated frame)
    preview_every_s: float = 0.0
    samples: int = 0
    seconds: float = 0.0  # wall time of the analysis

    def keep_preview(self, result: FrameResult, bgr: np.ndarray) -> None:
        if self.previews and result.time_s < self.previews[-1][0] + self.preview_every_s:
            return
        annotated = draw_faces(bgr.copy(), result.faces)
        scale = min(1.0, PREVIEW_WIDTH / annotated.shape[1])
        small = cv2.resize(annotated, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        self.previews.append((result.time_s, cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()))
        if len(self.previews) > MAX_PREVIEWS:  # keep memory bounded: thin out to every other moment
            self.previews = self.previews[::2]
            self.preview_every_s = max(self.preview_every_s * 2, self.every_s * 2)


def run_video_analysis(analyzer: Analyzer, upload, every_s: float) -> VideoAnalysis | None:
    analysis = VideoAnalysis(upload.name, every_s, preview_every_s=every_s)
    progress = st.progress(0.0, text=f"Opening {upload.name}...")
    started = time.monotonic()
    try:
        with VideoReader(upload, every_s) as reader:
            total = reader.duration_s
            for result in analyze_video(analyzer, reader, mood=analysis.mood, on_sample=analysis.keep_preview):
                analysis.rows.extend(face_rows(upload.name, result))
                analysis.samples += 1
                elapsed = time.monotonic() - started
                if total:
                    done = min(1.0, result.time_s / total)
                    left = elapsed * (1 - done) / done if done > 0 else 0.0
                    progress.progress(done, text=f"{result.time_s:.0f} of {total:.0f} s analysed, "
                                                 f"about {left:.0f} s left")
                else:
                    progress.progress(0.0, text=f"{result.time_s:.0f} s analysed")
    except MediaError as err:
        progress.empty()
        st.error(f"{upload.name}: {str(err).split(': ', 1)[-1]}")
        return None
    analysis.seconds = time.monotonic() - started
    progress.progress(1.0, text=f"Analysed {analysis.samples} frames in {analysis.seconds:.1f} s")
    return analysis


def video_page(analyzer: Analyzer) -> None:
    upload = st.file_uploader("A recorded lesson or call (MP4, WebM or MOV)", type=VIDEO_TYPES)
    every_s = st.number_input("Analyse one frame every ... seconds", min_value=0.1, max_value=30.0, value=0.5,
                              step=0.1, format="%.1f")
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
    seconds = analysis.mood.seconds()
    with_faces = [r for r in seconds if r.faces > 0]
    st.subheader(f"{analysis.name}: {analysis.samples} frames analysed, "
                 f"faces in {sum(r.frames for r in with_faces)} of them")
    st.caption(f"{analysis.samples / max(analysis.seconds, 1e-9):.1f} analysed frames per second")
    if with_faces:
        weights = np.array([r.faces * r.frames for r in with_faces])
        shares = np.array([[r.shares[k] for k in LABELS] for r in with_faces])
        overall = dict(zip(LABELS, map(float, weights @ shares / weights.sum()), strict=True))
        left, right = st.columns(2)
        with left:
            distribution_chart(overall, "share of all faces seen")
        with right:
            timeline_chart(analysis.mood, x_label="second of the video")
    if analysis.previews:
        times = [t for t, _ in analysis.previews]
        chosen = st.select_slider("Moment", options=times, format_func=lambda t: f"{t:.1f} s")
        st.image(analysis.previews[times.index(chosen)][1], caption=f"at {chosen:.1f} s")
    st.download_button("Download faces per analysed frame (CSV)", rows_csv(analysis.rows), file_name="faces.csv",
                       mime="text/csv", on_click="ignore")
    st.download_button("Download the mood per second (CSV)", analysis.mood.to_csv(), file_name="mood.csv",
                       mime="text/csv", on_click="ignore")
