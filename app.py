"""Class mood: facial-emotion recognition for an online class.

Run with ``streamlit run app.py``. Live mode streams the browser's camera to this server over
WebRTC; each frame's faces are found, followed, labelled with their emotion and sent back, and
the mood of the class is charted. Photo and video modes analyse uploads. Frames and faces stay
in memory and are never stored.
"""

from __future__ import annotations

import json
import os
import time

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from fer import ui
from fer.classifier import ModelError, ModelFiles, model_dir, read_model_files
from fer.config import DetectorConfig, StreamConfig, parse_ice_servers
from fer.labels import COLORS_BGR
from fer.live import LiveSession, LiveSettings
from fer.pipeline import Analyzer

ICE_SERVERS_ENV = "FER_ICE_SERVERS"  # JSON list of RTCIceServer objects, e.g. a TURN server
PANEL_REFRESH_S = 0.5
TIMELINE_S = 300  # seconds of history in the live timeline chart
# Detection sensitivity -> (Haar scale factor, minimum neighbours).
SENSITIVITY = {"Low: fewer false faces": (1.2, 7), "Medium": (1.1, 5), "High: more faces": (1.05, 3)}
# Camera resolution asked of the browser; a class gallery of 25+ faces needs 1280x720 or more.
RESOLUTIONS = {"640x480": (640, 480), "1280x720": (1280, 720), "1920x1080": (1920, 1080)}
MODES = ("Live camera", "Photo", "Video")


@st.cache_resource(show_spinner="Loading the emotion model...")
def model_files(folder: str) -> ModelFiles:
    """The model bytes and metadata, read and verified once per server process."""
    return read_model_files(folder)


def sidebar_settings() -> LiveSettings:
    st.sidebar.header("Detection")
    min_face = st.sidebar.slider("Smallest face (pixels)", 24, 200, DetectorConfig.min_face_px, step=4,
                                 help="Faces narrower than this are ignored. Lower finds smaller faces, "
                                      "at more CPU cost.")
    sensitivity = st.sidebar.select_slider("Sensitivity", list(SENSITIVITY), value="Medium")
    scale_factor, neighbours = SENSITIVITY[sensitivity]
    detect_every = st.sidebar.slider("Look for new faces every N frames", 1, 30, StreamConfig.detect_every,
                                     help="Between searches the faces already found are followed from frame "
                                          "to frame, at a fraction of the cost. Lower finds newcomers sooner, "
                                          "at more CPU cost.")
    show_probabilities = st.sidebar.checkbox("Show the three likeliest emotions per face")
    detector = DetectorConfig(scale_factor=scale_factor, min_neighbors=neighbours, min_face_px=min_face)
    return LiveSettings(detector=detector, stream=StreamConfig(detect_every=detect_every),
                        show_probabilities=show_probabilities)


def session_object(name: str, make):
    """One object per browser session (cascades and interpreters are not shared between threads)."""
    if name not in st.session_state:
        st.session_state[name] = make()
    return st.session_state[name]


def ice_servers_setting() -> str | None:
    """FER_ICE_SERVERS as JSON text: from the environment, else from Streamlit secrets, else None."""
    raw = os.environ.get(ICE_SERVERS_ENV)
    if raw is not None:
        return raw
    try:
        value = st.secrets.get(ICE_SERVERS_ENV)
    except FileNotFoundError:  # no secrets.toml (Streamlit's StreamlitSecretNotFoundError is one)
        return None
    # A TOML array of tables arrives as a list of mappings; parse_ice_servers takes JSON text.
    return value if value is None or isinstance(value, str) else json.dumps(value, default=dict)


def show_panel(session: LiveSession) -> None:
    # The same six elements on every refresh: Streamlit then updates them in place instead of
    # leaving stale ones on screen while the element count changes.
    snapshot = session.snapshot()
    st.subheader(session.mood.describe())
    st.metric("Faces in view", len(snapshot.faces))
    ui.distribution_chart(session.mood.current()[1], "share of the faces in view")
    if not ui.timeline_chart(session.mood, last_s=TIMELINE_S, x_label=f"second (last {TIMELINE_S} s)"):
        st.caption("The timeline starts after two seconds with faces in view.")
    lines = []
    for face in snapshot.faces:
        b, g, r = COLORS_BGR[face.label]
        lines.append(f'<span style="color:rgb({r},{g},{b})">&#9632;</span> Face #{face.id}: '
                     f"**{face.label}** ({face.score:.0%})")
    st.markdown("<br>".join(lines) or "No faces in view.", unsafe_allow_html=True)
    st.caption(f"Frames analysed: {snapshot.frames} ({snapshot.frames_with_faces} with faces)"
               + (f"; {snapshot.failed_frames} could not be analysed" if snapshot.failed_frames else ""))


def live_page(files: ModelFiles, settings: LiveSettings) -> None:
    session = session_object("live_session", lambda: LiveSession(Analyzer(model_files=files)))
    session.configure(settings)
    width, height = RESOLUTIONS[st.sidebar.selectbox("Camera resolution", list(RESOLUTIONS), index=0,
                                                     help="Ask the browser for this size; use 1280x720 or "
                                                          "more for a video-call gallery.")]
    rtc_configuration, ice_warning = parse_ice_servers(ice_servers_setting(), ICE_SERVERS_ENV)
    if ice_warning:
        st.warning(ice_warning)

    video, panel = st.columns([3, 2])
    with video:
        ctx = webrtc_streamer(
            key="camera",
            mode=WebRtcMode.SENDRECV,
            rtc_configuration=rtc_configuration,
            media_stream_constraints={"video": {"width": {"ideal": width}, "height": {"ideal": height}},
                                      "audio": False},
            video_frame_callback=session,
            async_processing=True,
            translations={"device_access_denied": "Camera access was denied. Allow the camera for this site "
                                                  "in the browser (the camera icon in the address bar), then "
                                                  "press START again"},
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


def main() -> None:
    st.set_page_config(page_title="Class mood", page_icon=":busts_in_silhouette:", layout="wide")
    st.title("Class mood")
    try:
        files = model_files(str(model_dir()))
    except ModelError as err:
        st.error(f"The emotion model cannot be loaded, so analysis is off: {err}. "
                 "Restore the files in model/ (for example with `git checkout model/`) and reload.")
        st.stop()
    mode = st.sidebar.radio("Mode", MODES, horizontal=True, key="mode")
    settings = sidebar_settings()
    if mode == "Live camera":
        st.write("Press **START** and allow the camera: every face in the video is boxed and labelled "
                 "with its emotion. Frames stay in memory and are never stored.")
        live_page(files, settings)
        return
    analyzer = session_object("upload_analyzer", lambda: Analyzer(model_files=files))
    analyzer.set_detector_config(settings.detector)
    if mode == "Photo":
        ui.photo_page(analyzer, settings.show_probabilities)
    else:
        ui.video_page(analyzer)


main()
