"""The class page: the shared call, every student's seat and mood, the lesson's record and report."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np
import streamlit as st

from fer.config import GALLERY_DETECTOR, AnalyzerConfig, DetectorConfig
from fer.faces import Face
from fer.frame import FrameAnalyzer
from fer.labels import LABELS
from fer.lesson import Lesson
from fer.lessons import LessonStore, StoreFull
from fer.media import SHARED_MAX_SIDE, MediaError, encode_jpeg, read_jpeg_data_url
from fer.model_card import ModelFiles
from fer.overlay import draw_seats
from ui.charts import distribution_chart
from ui.lesson_panels import attention_list, clock_timeline, lesson_downloads, reflow_notes, seats_table
from ui.share import share_component

CLASS_MODE = "Class"  # the page's mode selector's value for this page
CLASS_MIN_FACE = GALLERY_DETECTOR.min_face_px  # the sidebar's default smallest face on this page
CLASS_DETECTION_PX = GALLERY_DETECTOR.detection_face_px
VIEW_WIDTH = 1200  # the annotated view is sent at most this wide: about the width the page shows it at
TAG_PX = 17  # text height of a face's tag in the view
# Without a frame for STALE_FRAMES frame periods, and at least STALE_S seconds, sharing counts as
# stopped: the tab or the connection was lost (the browser's own stop says so at once). A busy
# server may take a few seconds between two frames, and must not flash "Stopped" meanwhile.
STALE_FRAMES = 4
STALE_S = 6.0
REDRAW_S = 3.0  # the lesson's downloads are drawn again this long after they first were
SMALL_FACE_PX = 40  # faces narrower than this are hard to read: say so
PRIVACY = """**What Class mood does with the call.** While the teacher shares the call, this page
sends the picture of the call to the teacher's Class mood server once or twice a second. There the
faces in it are found and the emotion of each face's expression (angry, disgust, fear, happy, sad,
surprise, neutral) is estimated by a model. Pictures and faces are analysed in memory and then
dropped: **no picture, video or face is stored, and nothing is sent anywhere else.** What the
server keeps, for this lesson only and at most a few hours, is numbers: per second, how many faces
and the share of each emotion; per seat in the gallery (like "B3"), its estimated mood per minute.
Those numbers leave the server only when the teacher downloads the report or the CSV files.
An estimate from a face is not a measure of what anyone feels."""


@st.cache_resource
def lesson_store() -> LessonStore:
    """The lessons of this server process, shared by every browser session."""
    return LessonStore()


@dataclass
class Watch:
    """One browser session's share: its analyzer and what it last showed (no frames).

    Each frame is searched whole: at one or two frames a second the gallery may have reflowed
    between two frames, and following faces from the last frame would leave ghosts where they
    were; a seat's mood is smoothed over frames by the lesson instead.
    """

    analyzer: FrameAnalyzer
    last_frame: float = 0.0  # time.monotonic() of the latest frame
    received: tuple[int, int] | None = None  # size of the latest frame
    captured: tuple[int, int] | None = None  # size of the shared window before any shrinking
    view: bytes | None = None  # the latest annotated view, JPEG
    faces: list[Face] = field(default_factory=list)
    seats: list[str | None] = field(default_factory=list)
    analyse_ms: float = 0.0
    message: str | None = None  # the latest problem with a frame
    stopped: bool = True


def leave_class() -> None:
    """The page went to another mode: sharing stops, and the class page says so when it is back."""
    if not st.session_state.pop("class_on_page", False):
        return
    watch = st.session_state.get("class_watch")
    if watch is not None:
        watch.stopped = True
        watch.view, watch.faces, watch.seats = None, [], []
    # A new share generation: the share button, shown again, ends the browser's capture.
    st.session_state["share_generation"] = st.session_state.get("share_generation", 0) + 1


def class_detector(detector: DetectorConfig) -> DetectorConfig:
    """The sidebar's detection settings as the class page searches with them."""
    return replace(detector, detection_face_px=CLASS_DETECTION_PX)


def watch_state(files: ModelFiles, detector: DetectorConfig) -> Watch:
    detector = class_detector(detector)
    if "class_watch" not in st.session_state:
        st.session_state["class_watch"] = Watch(FrameAnalyzer.from_model(files, AnalyzerConfig(detector=detector)))
    watch = st.session_state["class_watch"]
    watch.analyzer.detector.config = detector
    return watch


def current_lesson(store: LessonStore) -> tuple[str | None, Lesson | None]:
    code = st.query_params.get("lesson")
    return code, store.get(code)


def start_lesson(store: LessonStore, utc_offset_min: int) -> Lesson | None:
    """The lesson this share adds to: the one in the address if the server holds it, else a new one."""
    code, lesson = current_lesson(store)
    if lesson is not None:
        return lesson
    try:
        code, lesson = store.create(utc_offset_min=utc_offset_min)
    except StoreFull as err:
        st.session_state["class_error"] = f"Cannot start a lesson: {err}."
        return None
    st.query_params["lesson"] = code
    return lesson


def lesson_seconds(lesson: Lesson) -> float:
    return (datetime.now(UTC) - lesson.started).total_seconds()


def current_frame(payload: object, generation: int) -> dict | None:
    """The frame the browser sent, if it belongs to this share of the page.

    A frame sent by a share that ended when the page went to another mode (a newer generation
    since) may still reach the server once the page is back: it is dropped, so the page does not
    show a view of a share that has stopped.
    """
    if not isinstance(payload, dict) or payload.get("generation") != generation:
        return None
    return payload


def take_frame(watch: Watch, lesson: Lesson, payload: dict) -> None:
    """Analyse one frame of the shared call into the lesson and the session's view."""
    try:
        bgr = read_jpeg_data_url(payload.get("jpeg") if isinstance(payload, dict) else None)
    except MediaError as err:
        watch.message = f"Skipped a frame: {err}."
        return
    started = time.perf_counter()
    faces = watch.analyzer.analyze(bgr)
    seats = lesson.add(faces, lesson_seconds(lesson))
    watch.analyse_ms = 1000 * (time.perf_counter() - started)
    watch.view = encode_jpeg(draw_seats(bgr, faces, seats, VIEW_WIDTH, TAG_PX))
    watch.faces, watch.seats = faces, seats
    watch.received = (bgr.shape[1], bgr.shape[0])
    captured = payload.get("captured")
    watch.captured = tuple(captured) if isinstance(captured, list) and len(captured) == 2 else None
    watch.last_frame = time.monotonic()
    watch.message = None
    watch.stopped = False


def class_page(files: ModelFiles, detector: DetectorConfig, fps: float) -> None:
    st.session_state["class_on_page"] = True
    st.write(
        "Share the call's window (Zoom, Meet or Teams in gallery view): every student gets a seat "
        "like **B3** and a mood, and the class's mood is kept for the lesson's report."
    )
    with st.expander("Privacy: what is analysed and what is kept (to show the class)"):
        st.markdown(PRIVACY)
    store = lesson_store()
    code, lesson = current_lesson(store)
    if code and lesson is None:
        st.warning(
            "This server no longer holds that lesson (a lesson is dropped after some hours "
            "without a viewer). Sharing the call starts a new one."
        )
    if lesson is not None and st.session_state.get("downloads_for") != code:
        # This run shows the lesson's downloads, below the panel, the first time: draw them again later.
        st.session_state.update(downloads_for=code, downloads_redraw_at=time.monotonic() + REDRAW_S)
    watch_panel(files, detector, fps)
    if lesson is not None:  # outside the refreshing panel, so that a download is not cut short by a refresh
        downloads(lesson, code)


@st.fragment(run_every=2.0)
def watch_panel(files: ModelFiles, detector: DetectorConfig, fps: float) -> None:
    if st.session_state.get("mode", CLASS_MODE) != CLASS_MODE:
        # A timed rerun of this fragment after the page went to another mode: draw nothing, so
        # that the share button leaves the page and the browser stops sharing.
        return
    store = lesson_store()
    watch = watch_state(files, detector)
    generation = st.session_state.get("share_generation", 0)
    result = share_component(
        data={
            "fps": fps,
            "max_width": SHARED_MAX_SIDE[0],
            "max_height": SHARED_MAX_SIDE[1],
            "quality": 0.85,
            "generation": generation,
        },
        key="share",
        on_frame_change=lambda: None,
        on_event_change=lambda: None,
    )
    event = result.event if isinstance(result.event, dict) else {}
    if event.get("kind") == "error":
        watch.message = f"The browser did not share a window: {event.get('message', 'no reason given')}."
    if event.get("kind") == "stopped":
        watch.stopped = True
    frame = current_frame(result.frame, generation)
    if frame is not None:
        lesson = start_lesson(store, int(frame.get("tz", 0)))
        if lesson is not None and not store.admit(current_lesson(store)[0]):
            watch.message = (
                f"This server is analysing {store.max_sharing} shared calls already, as many as it can "
                "without slowing them down: this frame was skipped. Try again in a while."
            )
        elif lesson is not None:
            take_frame(watch, lesson, frame)
    if time.monotonic() - watch.last_frame > max(STALE_FRAMES / fps, STALE_S):
        watch.stopped = True
    code, lesson = current_lesson(store)
    show_watch(watch, code, lesson, fps)
    if lesson is not None and downloads_need_drawing(code, sharing=not watch.stopped):
        st.rerun()


def downloads_need_drawing(code: str, sharing: bool) -> bool:
    """Whether the whole page should run once more to draw the lesson's downloads below this panel.

    A lesson that began with the frame just shown has none yet. And while frames come in, once,
    REDRAW_S later, they are drawn again: a browser can drop what a whole-page run drew while this
    panel's runs for the frames race it, and would then show no downloads until the teacher touched
    a setting. (Only once: a download clicked while its button is redrawn is lost.)
    """
    if st.session_state.get("downloads_for") != code:
        return True
    redraw_at = st.session_state.get("downloads_redraw_at")
    if not sharing or redraw_at is None or time.monotonic() < redraw_at:
        return False
    st.session_state["downloads_redraw_at"] = None
    return True


def show_watch(watch: Watch, code: str | None, lesson: Lesson | None, fps: float) -> None:
    if "class_error" in st.session_state:
        st.error(st.session_state.pop("class_error"))
    if watch.message:
        st.warning(watch.message)
    sharing = not watch.stopped and watch.view is not None
    line, count = st.columns([3, 1])
    line.subheader(headline(watch, lesson) if sharing else "Stopped")
    seated = sum(s is not None for s in watch.seats)
    count.metric("Faces in view", (seated or len(watch.faces)) if sharing else 0)
    if sharing:
        st.image(watch.view, width="stretch", caption=received_caption(watch, fps))
        small = small_faces_warning(watch)
        if small:
            st.warning(small)
    else:
        st.info("Stopped: no faces in view. Press **Share the call** and pick the call's window.")
    if lesson is None:
        return
    shares, attention = st.columns(2)
    with shares:
        distribution_chart(lesson.mood.current()[1] if sharing else np.zeros(len(LABELS)), "share of the faces in view")
    with attention:
        attention_list(lesson)
    reflow_notes(lesson, latest_only=True)
    clock_timeline(lesson)
    seats_table(lesson)


def headline(watch: Watch, lesson: Lesson | None) -> str:
    """The class's calm line; while the first frames teach the lesson its seats, what is found."""
    if lesson is None or (not lesson.seats and watch.faces):
        found = len(watch.faces)
        return f"{found} face{'s' * (found != 1)} found · learning the gallery's seats"
    return lesson.line


def received_caption(watch: Watch, fps: float) -> str:
    width, height = watch.received
    shrunk = watch.captured not in (None, watch.received)
    captured = f" (shrunk from {watch.captured[0]}x{watch.captured[1]})" if shrunk else ""
    return (
        f"Receiving {width}x{height}{captured}, {fps:g} frame{'s' * (fps != 1)} a second; "
        f"the latest analysed in {watch.analyse_ms:.0f} ms."
    )


def small_faces_warning(watch: Watch) -> str | None:
    sides = [f.box[2] for f in watch.faces]
    width, height = watch.received
    if sides and np.median(sides) < SMALL_FACE_PX:
        return (
            f"The faces are about {np.median(sides):.0f} px wide in this {width}x{height} picture: too small to "
            "read well. Maximise the call's window, or share a screen of at least 1280x720."
        )
    if not sides and width * height < 1280 * 720:
        return (
            f"The shared picture is only {width}x{height}: a class gallery needs at least 1280x720. "
            "Maximise the call's window before sharing it."
        )
    return None


def downloads(lesson: Lesson, code: str | None) -> None:
    lesson_downloads(lesson, f"{lesson.clock(0):%Y-%m-%d-%H%M}")
    if code and st.button(
        "End this lesson",
        help="Drop the lesson's record from the server now (download the "
        "report first); the next share starts a new lesson.",
    ):
        lesson_store().end(code)
        del st.query_params["lesson"]
        st.rerun()
