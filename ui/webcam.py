"""The live camera page: the browser's camera over WebRTC, annotated, with the class mood beside it."""

from __future__ import annotations

import time

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from fer.faces import mean_shares
from fer.labels import COLORS_BGR
from fer.recognition.model_card import ModelFiles
from fer.video.live_annotator import LiveAnnotator, LiveSettings
from fer.video.stream import StreamAnalyzer
from ui.charts import distribution_chart, timeline_chart
from ui.settings import ICE_SERVERS_ENV, ice_servers_setting, parse_ice_servers

PANEL_REFRESH_S = 0.5
TIMELINE_S = 300  # seconds of history in the live timeline chart
# Camera resolution asked of the browser; a class gallery of 25+ faces needs 1280x720 or more.
RESOLUTIONS = {"640x480": (640, 480), "1280x720": (1280, 720), "1920x1080": (1920, 1080)}


def session_object(name: str, make):
    """One object per browser session (cascades and interpreters are not shared between threads)."""
    if name not in st.session_state:
        st.session_state[name] = make()
    return st.session_state[name]


def show_panel(annotator: LiveAnnotator, playing: bool) -> None:
    # The same six elements on every refresh: Streamlit then updates them in place instead of
    # leaving stale ones on screen while the element count changes. Stopped, nothing is in view.
    snapshot = annotator.snapshot()
    faces = snapshot.faces if playing else ()
    st.subheader(snapshot.line if playing else "Stopped")
    st.metric("Faces in view", len(faces))
    distribution_chart(mean_shares(faces), "share of the faces in view")
    if not timeline_chart(annotator.mood, last_s=TIMELINE_S, x_label=f"second (last {TIMELINE_S} s)"):
        st.caption("The timeline starts after two seconds with faces in view.")
    lines = []
    for face in faces:
        b, g, r = COLORS_BGR[face.label]
        lines.append(
            f'<span style="color:rgb({r},{g},{b})">&#9632;</span> Face #{face.id}: **{face.label}** ({face.score:.0%})'
        )
    st.markdown("<br>".join(lines) or "No faces in view.", unsafe_allow_html=True)
    st.caption(
        f"Frames analysed: {snapshot.frames} ({snapshot.frames_with_faces} with faces)"
        + (f"; {snapshot.failed_frames} could not be analysed" if snapshot.failed_frames else "")
    )


def live_page(files: ModelFiles, settings: LiveSettings) -> None:
    st.write(
        "Press **START** and allow the camera: every face in the video is boxed and labelled "
        "with its emotion. Frames stay in memory and are never stored."
    )
    annotator = session_object("live_annotator", lambda: LiveAnnotator(StreamAnalyzer.from_model(files)))
    annotator.configure(settings)
    width, height = RESOLUTIONS[
        st.sidebar.selectbox(
            "Camera resolution",
            list(RESOLUTIONS),
            index=0,
            help="Ask the browser for this size; use 1280x720 or more for a video-call gallery.",
        )
    ]
    rtc_configuration, ice_warning = parse_ice_servers(ice_servers_setting(), ICE_SERVERS_ENV)
    if ice_warning:
        st.warning(ice_warning)

    video, panel = st.columns([3, 2])
    with video:
        ctx = webrtc_streamer(
            key="camera",
            mode=WebRtcMode.SENDRECV,
            rtc_configuration=rtc_configuration,
            media_stream_constraints={
                "video": {"width": {"ideal": width}, "height": {"ideal": height}},
                "audio": False,
            },
            video_frame_callback=annotator,
            async_processing=True,
            translations={
                "device_access_denied": "Camera access was denied. Allow the camera for this site "
                "in the browser (the camera icon in the address bar), then "
                "press START again"
            },
        )
        st.caption(
            "No picture after START? The browser needs camera permission (the camera icon in "
            "the address bar) and a secure page: https:// or http://localhost."
        )
    with panel:
        st.download_button(
            "Download the session's mood per second (CSV)",
            data=annotator.mood.to_csv,
            file_name="class-mood.csv",
            mime="text/csv",
            on_click="ignore",
        )
        placeholder = st.empty()
        with placeholder.container():
            show_panel(annotator, ctx.state.playing)
        while ctx.state.playing:  # refresh until the stream stops; a widget change reruns the script
            time.sleep(PANEL_REFRESH_S)
            with placeholder.container():
                show_panel(annotator, ctx.state.playing)
