"""Class mood: live facial-emotion recognition for an online class.

Run with ``streamlit run app.py``. The browser streams its camera to this server over WebRTC;
each frame's faces are found, their emotions recognised, and the annotated frame is sent back.
Frames are processed in memory only and never stored.
"""

from __future__ import annotations

import os
import time

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from fer.classifier import ModelError, ModelFiles, model_dir, read_model_files
from fer.config import DetectorConfig, parse_ice_servers
from fer.labels import COLORS_BGR, LABELS
from fer.live import LiveSession, LiveSettings
from fer.pipeline import Analyzer

ICE_SERVERS_ENV = "FER_ICE_SERVERS"  # JSON list of RTCIceServer objects, e.g. a TURN server
PANEL_REFRESH_S = 0.5
TIMELINE_S = 300  # seconds of history in the live timeline chart
HEX = [f"#{r:02x}{g:02x}{b:02x}" for b, g, r in (COLORS_BGR[label] for label in LABELS)]
# Detection sensitivity -> (Haar scale factor, minimum neighbours).
SENSITIVITY = {"Low: fewer false faces": (1.2, 7), "Medium": (1.1, 5), "High: more faces": (1.05, 3)}


@st.cache_resource(show_spinner="Loading the emotion model...")
def model_files(model_dir: str) -> ModelFiles:
    """The model bytes and metadata, read and verified once per server process."""
    return read_model_files(model_dir)


def sidebar_settings() -> LiveSettings:
    st.sidebar.header("Detection")
    min_face = st.sidebar.slider("Smallest face (pixels)", 24, 200, DetectorConfig.min_face_px, step=4,
                                 help="Faces narrower than this are ignored. Lower finds smaller faces, "
                                      "at more CPU cost.")
    sensitivity = st.sidebar.select_slider("Sensitivity", list(SENSITIVITY), value="Medium")
    scale_factor, neighbours = SENSITIVITY[sensitivity]
    show_probabilities = st.sidebar.checkbox("Show the three likeliest emotions per face")
    detector = DetectorConfig(scale_factor=scale_factor, min_neighbors=neighbours, min_face_px=min_face)
    return LiveSettings(detector=detector, show_probabilities=show_probabilities)


def live_session(files: ModelFiles) -> LiveSession:
    """This browser session's own analyzer and results (cascade and interpreter are per session)."""
    if "live_session" not in st.session_state:
        st.session_state["live_session"] = LiveSession(Analyzer(model_files=files))
    return st.session_state["live_session"]


def show_panel(session: LiveSession) -> None:
    import pandas as pd

    snapshot = session.snapshot()
    st.subheader(session.mood.describe())
    st.metric("Faces in view", len(snapshot.faces))
    faces, shares = session.mood.current()
    if faces:
        current = pd.DataFrame({"emotion": list(LABELS), "share": [shares[k] for k in LABELS]})
        st.vega_lite_chart(current, {
            "mark": "bar", "height": 170,
            "encoding": {
                "y": {"field": "emotion", "type": "nominal", "sort": list(LABELS), "title": None},
                "x": {"field": "share", "type": "quantitative", "title": "share of the faces in view",
                      "axis": {"format": "%"}, "scale": {"domain": [0, 1]}},
                "color": {"field": "emotion", "scale": {"domain": list(LABELS), "range": HEX}, "legend": None},
            },
        })
    rows = [r for r in session.mood.seconds()[-TIMELINE_S:] if r.faces > 0]
    if len(rows) > 1:
        table = pd.DataFrame([r.shares for r in rows], index=pd.Index([r.second for r in rows], name="second"))
        st.area_chart(table, color=HEX, height=220, y_label="share", x_label=f"second (last {TIMELINE_S} s)")
    for face in snapshot.faces:
        b, g, r = COLORS_BGR[face.label]
        st.markdown(f'<span style="color:rgb({r},{g},{b})">&#9632;</span> Face #{face.id}: '
                    f"**{face.label}** ({face.score:.0%})", unsafe_allow_html=True)
    st.caption(f"Frames analysed: {snapshot.frames} ({snapshot.frames_with_faces} with faces)"
               + (f"; {snapshot.failed_frames} could not be analysed" if snapshot.failed_frames else ""))


def main() -> None:
    st.set_page_config(page_title="Class mood", page_icon=":busts_in_silhouette:", layout="wide")
    st.title("Class mood")
    st.write("Press **START** and allow the camera: every face in the video is boxed and labelled "
             "with its emotion. Frames stay in memory and are never stored.")
    try:
        files = model_files(str(model_dir()))
    except ModelError as err:
        st.error(f"The emotion model cannot be loaded, so the live view is off: {err}. "
                 "Restore the files in model/ (for example with `git checkout model/`) and reload.")
        st.stop()
    settings = sidebar_settings()
    session = live_session(files)
    session.configure(settings)
    rtc_configuration, ice_warning = parse_ice_servers(os.environ.get(ICE_SERVERS_ENV), ICE_SERVERS_ENV)
    if ice_warning:
        st.warning(ice_warning)

    video, panel = st.columns([3, 2])
    with video:
        ctx = webrtc_streamer(
            key="camera",
            mode=WebRtcMode.SENDRECV,
            rtc_configuration=rtc_configuration,
            media_stream_constraints={"video": True, "audio": False},
            video_frame_callback=session,
            async_processing=True,
        )
        st.caption("No picture after START? The browser needs camera permission (the camera icon in "
                   "the address bar) and a secure page: https:// or http://localhost.")
    with panel:
        st.download_button("Download the session's mood per second (CSV)", data=session.mood.to_csv,
                           file_name="class-mood.csv", mime="text/csv", on_click="ignore")
        placeholder = st.empty()
        with placeholder.container():
            show_panel(session)
        while ctx.state.playing:  # refresh until the stream stops; a widget change reruns the script
            time.sleep(PANEL_REFRESH_S)
            with placeholder.container():
                show_panel(session)


main()
