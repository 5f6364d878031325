"""Class mood: facial-emotion recognition for an online class.

Run with ``streamlit run app.py``. Class mode watches a shared video call: the browser sends the
call's window once or twice a second, every face gets its seat in the gallery and its emotion,
and the lesson's mood is kept for a report. Live mode streams the browser's camera to this
server over WebRTC; each frame's faces are found, followed, labelled and sent back. Photo and
video modes analyse uploads. Frames and faces stay
in memory and are never stored. The pages live in ``ui/``.
"""

from __future__ import annotations

import streamlit as st

from fer.recognition.frame import FrameAnalyzer
from fer.recognition.model_card import ModelError, ModelFiles, read_model_files
from ui.classroom import CLASS_MIN_FACE, CLASS_MODE, ask_before_switch, class_page, leave_class
from ui.lessons import LESSONS_MODE, lessons_page
from ui.modes import choose_mode
from ui.settings import class_rate, detector_settings, live_settings, model_dir, presence_only, show_probabilities
from ui.uploads import photo_page, video_page
from ui.webcam import live_page, session_object

MODES = (CLASS_MODE, LESSONS_MODE, "Live camera", "Photo", "Video")


@st.cache_resource(show_spinner="Loading the emotion model...")
def model_files(folder: str) -> ModelFiles:
    """The model bytes and card, read and verified once per server process."""
    return read_model_files(folder)


def main() -> None:
    st.set_page_config(page_title="Class mood", page_icon=":busts_in_silhouette:", layout="wide")
    st.title("Class mood")
    if presence_only():
        presence_app()
        return
    try:
        files = model_files(str(model_dir()))
    except ModelError as err:
        st.error(
            f"The emotion model cannot be loaded, so analysis is off: {err}. "
            "Restore the files in model/ (for example with `git checkout model/`) and reload."
        )
        st.stop()
    mode = choose_mode(MODES, ask_before_switch)
    if mode == CLASS_MODE:
        detector = detector_settings(CLASS_MIN_FACE)
        class_page(files, detector, class_rate())
        return
    leave_class()
    if mode == LESSONS_MODE:
        lessons_page(CLASS_MODE)
        return
    if mode == "Video":  # a recorded call: its gallery searched as the class page searches the shared call
        video_page(files, detector_settings(CLASS_MIN_FACE))
        return
    detector = detector_settings()
    if mode == "Live camera":
        live_page(files, live_settings(detector))
        return
    analyzer = session_object("upload_analyzer", lambda: FrameAnalyzer.from_model(files))
    analyzer.detector.config = detector
    photo_page(analyzer, show_probabilities())


def presence_app() -> None:
    """Presence only (the operator's FER_PRESENCE_ONLY): the class page and the lessons, no expression
    estimated anywhere, the emotion model not even loaded; the pages that exist to estimate
    expressions (live camera, photos, recordings) are not offered."""
    st.sidebar.caption("Presence only, as this server's operator set it: no expression or emotion is estimated.")
    mode = choose_mode((CLASS_MODE, LESSONS_MODE), ask_before_switch)
    if mode == CLASS_MODE:
        class_page(None, detector_settings(CLASS_MIN_FACE), class_rate(), presence=True)
        return
    leave_class()
    lessons_page(CLASS_MODE)


main()
