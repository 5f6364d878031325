"""The class page: the shared call, every student's seat and mood, the lesson's record and report."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import streamlit as st

from fer.classroom.call import CallFrame, SharedCall, call_headline, small_faces_warning
from fer.classroom.lesson import Lesson
from fer.classroom.lesson_store import LessonStore, StoreFull
from fer.classroom.snapshot import LessonSnapshot
from fer.config import GALLERY_DETECTOR, DetectorConfig
from fer.labels import LABELS
from fer.media import SHARED_MAX_SIDE, MediaError
from fer.recognition.model_card import ModelFiles
from ui.charts import distribution_chart
from ui.lesson_links import lesson_links
from ui.lesson_panels import attention_list, clock_timeline, lesson_downloads, reflow_notes, seat_names, seats_table
from ui.lessons import forget_lesson
from ui.modes import current_mode, go_to
from ui.notices import class_notices
from ui.share import share_component
from ui.storage import lesson_storage

CLASS_MODE = "Class"  # the page's mode selector's value for this page
CLASS_MIN_FACE = GALLERY_DETECTOR.min_face_px  # the sidebar's default smallest face on this page
# Without a frame for STALE_FRAMES frame periods, and at least STALE_S seconds, sharing counts as
# stopped: the tab or the connection was lost (the browser's own stop says so at once). A busy
# server may take a few seconds between two frames, and must not flash "Stopped" meanwhile.
STALE_FRAMES = 4
STALE_S = 6.0
REDRAW_S = 3.0  # the lesson's downloads are drawn again this long after they first were


@st.cache_resource
def lesson_store() -> LessonStore:
    """The lessons of this server process, shared by every browser session; the database saves each
    while the server holds it (a lesson let go is saved once more, then no longer)."""
    return LessonStore(on_drop=stop_saving)


def stop_saving(code: str, save: bool = True) -> None:
    writer = lesson_storage().writer
    if writer is not None:
        writer.remove(code, save=save)  # returns once no save of it is going on: a delete may follow


def delete_lesson(code: str) -> str | None:
    """The lesson of ``code`` deleted for good: no longer saved, let go by this server, its rows gone from
    the lessons database and its code from this browser's list. Returns why the database did not delete
    it (then the browser keeps it listed, to try again from the Lessons page), or None."""
    from fer.storage import StorageError

    stop_saving(code, save=False)
    lesson_store().end(code)
    database = lesson_storage().database
    if database is not None:
        try:
            database.delete(code)
        except StorageError as err:
            return str(err)
    forget_lesson(code)
    if st.session_state.get("lesson_on_page") == code:  # deleted on this page: nothing to tell it
        del st.session_state["lesson_on_page"]
        if st.query_params.get("lesson") == code:
            st.query_params.pop("lesson")
    return None


def end_if_deleted_elsewhere(share: Share, code: str | None) -> None:
    """A lesson this page has shown that another page deleted since ("End this lesson", the Lessons page), on
    this server or another (its writer then finds it gone): this server lets it go, this page's share stops,
    and the page says why (the next share starts a new lesson). A page that opens the link afresh has not
    shown it: it says that no lesson is stored under it."""
    if not code or st.session_state.get("lesson_on_page") != code:
        return
    writer = lesson_storage().writer
    status = writer.status(code) if writer is not None else None
    if not lesson_store().ended(code) and (status is None or not status.ended):
        return
    lesson_store().end(code)  # and no longer saved
    forget_lesson(code)
    was_sharing = not share.stopped
    share.stopped, share.latest = True, None
    # A new share generation: the share button, drawn again, ends the browser's capture.
    st.session_state["share_generation"] = st.session_state.get("share_generation", 0) + 1
    st.session_state["class_ended"] = (  # shown until the next share starts a lesson
        "This lesson was ended on another page (its record was deleted there), so "
        + ("this page stopped sharing and " if was_sharing else "this page ")
        + "no longer keeps it. Share the call again to start a new lesson."
    )
    del st.query_params["lesson"]
    st.session_state.pop("lesson_on_page", None)
    st.rerun()


def save_lesson(code: str, lesson: Lesson) -> None:
    """Have the database save ``lesson`` from now on (if there is a database, and it does not yet)."""
    writer = lesson_storage().writer
    if writer is not None and writer.status(code) is None:
        writer.add(code, lesson, keep_names=bool(st.session_state.get("keep_names")))


@dataclass
class Share:
    """One browser session's share of the call: its :class:`SharedCall` and what it last showed (no frames)."""

    call: SharedCall
    latest: CallFrame | None = None  # the latest analysed frame: its faces and annotated view
    last_frame: float = 0.0  # time.monotonic() of the latest frame
    captured: tuple[int, int] | None = None  # size of the shared window before any shrinking
    message: str | None = None  # the latest problem with a frame
    stopped: bool = True
    generation: int = -1  # the share generation of the latest frame: shown only while it is the page's
    sent_until: float = -1.0  # the lesson's time of the latest frame this session sent (its own frames)


def leave_class() -> None:
    """The page went to another mode: sharing stops, and the class page says so when it is back."""
    if not st.session_state.pop("class_on_page", False):
        return
    share = st.session_state.get("class_share")
    if share is not None:
        share.stopped, share.latest = True, None
    # A new share generation: the share button, shown again, ends the browser's capture.
    st.session_state["share_generation"] = st.session_state.get("share_generation", 0) + 1


def ask_before_switch(chosen: str) -> bool:
    """Whether a switch to ``chosen`` is only asked for: while the call is shared, it is, and
    :func:`mode_switch_question` asks the teacher first."""
    share = st.session_state.get("class_share")
    if chosen != CLASS_MODE and st.session_state.get("class_on_page") and share is not None and not share.stopped:
        st.session_state["mode_asked"] = chosen
        return True
    return False


def mode_switch_question() -> None:
    """Asks before a mode switch stops the share: switch (sharing stops, the lesson is kept) or keep sharing.

    Drawn by the share panel, whose runs come every few seconds and with every frame: drawn only by the
    page's run, which such a run races, it failed to show now and then (a click in 15, in a browser).
    Either answer runs the whole page once more (:func:`page_run_asked`)."""
    chosen = st.session_state.get("mode_asked")
    if not chosen:
        return

    def switch() -> None:
        go_to(st.session_state.pop("mode_asked"), afresh=True)
        st.session_state["page_run_asked"] = True

    def keep() -> None:
        st.session_state.pop("mode_asked", None)
        st.session_state["page_run_asked"] = True

    with st.container(border=True):
        st.warning(
            f"Switching to **{chosen}** stops sharing the call. The lesson is kept: come back to **Class** "
            "and press **Share the call** to go on with it."
        )
        yes, no = st.columns(2)
        yes.button(f"Stop sharing and switch to {chosen}", on_click=switch, key="switch_mode")
        no.button("Keep sharing", on_click=keep, key="keep_sharing")


def page_run_asked() -> bool:
    """Whether a button in the share panel asked for a run of the whole page (once)."""
    return bool(st.session_state.pop("page_run_asked", False))


def share_state(files: ModelFiles | None, detector: DetectorConfig, presence: bool = False) -> Share:
    """This session's share; ``presence``: presence only, its call made without the model."""
    if "class_share" not in st.session_state:
        st.session_state["class_share"] = Share(SharedCall.from_model(files, detector, expressions=not presence))
    share = st.session_state["class_share"]
    share.call.use_detector(detector)
    return share


def current_lesson(store: LessonStore) -> tuple[str | None, Lesson | None]:
    code = st.query_params.get("lesson")
    return code, store.get(code)


def start_lesson(store: LessonStore, utc_offset_min: int, presence: bool = False) -> Lesson | None:
    """The lesson this share adds to: the one in the address if the server holds it; else, if the
    database holds it (a restarted server, another server's lesson), that one going on; else a new one."""
    code, lesson = current_lesson(store)
    if lesson is not None:
        return lesson
    stored = lesson_storage().load(code)
    try:
        if stored is not None:
            lesson = store.adopt(code, Lesson.resume(stored, expressions=not presence))  # the server's mode
        else:
            code, lesson = store.create(utc_offset_min=utc_offset_min, expressions=not presence)
    except StoreFull as err:
        st.session_state["class_error"] = f"Cannot start a lesson: {err}."
        return None
    save_lesson(code, lesson)
    st.query_params["lesson"] = code
    st.session_state["lesson_on_page"] = code
    st.session_state.pop("class_ended", None)  # a new share, a new lesson: the old one's end is told no more
    return lesson


def current_frame(payload: object, generation: int) -> dict | None:
    """The frame the browser sent, if it belongs to this share of the page.

    A frame sent by a share that ended when the page went to another mode (a newer generation
    since) may still reach the server once the page is back: it is dropped, so the page does not
    show a view of a share that has stopped.
    """
    if not isinstance(payload, dict) or payload.get("generation") != generation:
        return None
    return payload


def take_frame(share: Share, lesson: Lesson, payload: dict) -> None:
    """Analyse one frame of the shared call into the lesson and the session's view."""
    try:
        share.latest = share.call.take(payload.get("jpeg"), lesson)
        share.sent_until = lesson.latest_s
    except MediaError as err:
        share.message = f"Skipped a frame: {err}."
        return
    share.generation = payload.get("generation", -1)
    captured = payload.get("captured")
    share.captured = tuple(captured) if isinstance(captured, list) and len(captured) == 2 else None
    share.last_frame = time.monotonic()
    share.message = None
    share.stopped = False


def class_page(files: ModelFiles | None, detector: DetectorConfig, fps: float, presence: bool = False) -> None:
    """The class page; ``presence``: presence only (the operator's setting), ``files`` then unused."""
    st.session_state["class_on_page"] = True
    st.caption(
        "Share the call's window (Zoom, Meet or Teams in gallery view): every student gets a seat like "
        + (
            "**B3**; faces on camera and each seat's time on camera are kept for the lesson's report "
            "(presence only: no expression is estimated)."
            if presence
            else "**B3** and an estimated expression; the class's mood is kept for the lesson's report."
        )
    )
    class_notices(presence)
    # What comes and goes above the share panel (a warning, the lesson's link kept in the browser)
    # is drawn in one container: the panel keeps its place on the page, so the browser does not draw its
    # share button afresh (a new element) when a lesson starts.
    with st.container():
        store, code, lesson, stored = lesson_of_the_page()
    share_panel(files, detector, fps, presence)
    if lesson is not None or stored is not None:  # outside the refreshing panel: a download is not cut short
        downloads(lesson, code, stored)


def lesson_of_the_page() -> tuple[LessonStore, str | None, Lesson | None, LessonSnapshot | None]:
    """The lesson store, the page's lesson code, its lesson on this server and its stored copy; says what is
    wrong with them, and keeps the link in this browser's list."""
    store = lesson_store()
    storage = lesson_storage()
    if storage.error:
        st.warning(storage.error)
    code, lesson = current_lesson(store)
    stored, unreadable = storage.find(code) if code and lesson is None else (None, None)
    if code and lesson is None and (unreadable or storage.database is None):
        # Not "no lesson": the database failed or cannot be reached, and the lesson may well be there.
        why = f" ({unreadable})" if unreadable else ""
        st.warning(
            f"The lesson of this link cannot be read from the lessons database now{why}. Reload the page in a "
            "while to see it; sharing the call now starts a new lesson."
        )
    elif code and lesson is None and stored is None:
        st.warning(
            "No lesson is stored under that link (it was ended, or deleted after the retention period). "
            "Sharing the call starts a new one."
        )
    if lesson is not None or stored is not None:
        st.session_state["lesson_on_page"] = code  # should another page delete it, this one is told
        lesson_links(add=code)  # this browser's list of its lessons (the Lessons page)
    if lesson is not None and st.session_state.get("downloads_for") != code:
        # This run shows the lesson's downloads, below the panel, the first time: draw them again later.
        st.session_state.update(downloads_for=code, downloads_redraw_at=time.monotonic() + REDRAW_S)
    return store, code, lesson, stored


@st.fragment(run_every=2.0)
def share_panel(files: ModelFiles | None, detector: DetectorConfig, fps: float, presence: bool = False) -> None:
    if page_run_asked():
        st.rerun()
    if current_mode(CLASS_MODE) != CLASS_MODE:
        # A timed rerun of this fragment after the page went to another mode: draw nothing, so
        # that the share button leaves the page and the browser stops sharing.
        return
    with st.container():  # always drawn, empty but for a question: the share button below keeps its place
        mode_switch_question()
    store = lesson_store()
    share = share_state(files, detector, presence)
    end_if_deleted_elsewhere(share, current_lesson(store)[0])  # before a frame could start a new lesson
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
        share.message = f"The browser did not share a window: {event.get('message', 'no reason given')}."
    if event.get("kind") == "stopped":
        share.stopped = True
    frame = current_frame(result.frame, generation)
    if frame is not None:
        lesson = start_lesson(store, int(frame.get("tz", 0)), presence)
        if lesson is not None and not store.admit(current_lesson(store)[0]):
            share.message = (
                f"This server is analysing {store.max_sharing} shared calls already, as many as it can "
                "without slowing them down: this frame was skipped. Try again in a while."
            )
        elif lesson is not None:
            take_frame(share, lesson, frame)
    if time.monotonic() - share.last_frame > max(STALE_FRAMES / fps, STALE_S):
        share.stopped = True
    code, lesson = current_lesson(store)
    snapshot = lesson.snapshot() if lesson is not None else lesson_storage().load(code)
    show_share(share, code, snapshot, fps, generation)
    if lesson is not None and downloads_need_drawing(code, sharing=not share.stopped):
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


def show_share(share: Share, code: str | None, snapshot: LessonSnapshot | None, fps: float, generation: int) -> None:
    if "class_error" in st.session_state:
        st.error(st.session_state.pop("class_error"))
    if "class_ended" in st.session_state:
        st.warning(st.session_state["class_ended"])
    if share.message:
        st.warning(share.message)
    saving = lesson_storage().writer.status(code) if code and lesson_storage().writer else None
    if saving is not None and not saving.ok:
        st.warning(
            f"This lesson is {saving.line}. It goes on in this server's memory and is saved when the database is back."
        )
    # A frame of an earlier share (one the page left for another mode, analysed as it left) is not shown.
    frame = None if share.stopped or share.generation != generation else share.latest
    # The lesson shared from another tab or window (a second tab on the lesson's link): live, without its view.
    elsewhere = (
        frame is None
        and snapshot is not None
        and snapshot.latest_s > share.sent_until  # frames this session did not send
        and shared_lately(snapshot, fps)
    )
    live = frame is not None or elsewhere
    # One screen beside the call (a 1280x720 window): the view, and beside it the line, the count and
    # who may want a check-in; the timeline and the seats below.
    view, side = st.columns([3, 2], gap="medium")
    with side:
        st.subheader(call_headline(frame, snapshot) if frame else snapshot.line if elsewhere else "Stopped")
        # The line's own count (the lesson's seats with a face seen lately); while the seats are being
        # learnt, the line says what was found, and so does this.
        learning = snapshot is None or (not snapshot.seats and frame is not None and frame.faces)
        st.metric("Faces in view", (len(frame.faces) if learning else snapshot.faces) if live else 0)
        if snapshot is not None:
            attention_list(snapshot, live=live)
            if snapshot.expressions:
                shares = snapshot.shares_now if live else np.zeros(len(LABELS))
                distribution_chart(shares, "share of the faces in view", height=150)
    with view:
        if frame:
            st.image(frame.view, width="stretch", caption=received_caption(frame, share.captured, fps))
            small = small_faces_warning(frame)
            if small:
                st.warning(small)
        elif elsewhere:
            st.info(
                "This lesson is being shared from another tab or window: its numbers show here as they come; "
                "the annotated view shows only where the call is shared."
            )
        else:
            st.info(stopped_text(snapshot))
    if snapshot is None:
        return
    reflow_notes(snapshot, latest_only=True)
    clock_timeline(snapshot)
    seats_table(snapshot, live=live)


def shared_lately(lesson: LessonSnapshot, fps: float) -> bool:
    """Whether a frame of ``lesson`` (a live one, not a recording's) arrived lately, from any tab."""
    if lesson.source is not None or not lesson.frames:
        return False
    age = (datetime.now(UTC) - lesson.started).total_seconds() - lesson.latest_s
    return age <= max(STALE_FRAMES / fps, STALE_S)


def stopped_text(lesson: LessonSnapshot | None) -> str:
    """What the view says while nothing is shared: how to start, or how to go on with the lesson."""
    if lesson is None or not lesson.frames:
        return "Stopped: no faces in view. Press **Share the call** and pick the call's window."
    return (
        f"Sharing stopped at {lesson.clock(lesson.latest_s):%H:%M} (the page was reloaded, another mode was "
        "chosen, or the browser stopped sharing). Press **Share the call** and pick the call's window to go on "
        "with this lesson; the time in between counts as a pause."
    )


def received_caption(frame: CallFrame, captured: tuple[int, int] | None, fps: float) -> str:
    width, height = frame.size
    shrunk = captured not in (None, frame.size)
    before = f" (shrunk from {captured[0]}x{captured[1]})" if shrunk else ""
    return (
        f"Receiving {width}x{height}{before}, {fps:g} frame{'s' * (fps != 1)} a second; "
        f"the latest analysed in {frame.analyse_ms:.0f} ms."
    )


def downloads(lesson: Lesson | None, code: str | None, stored: LessonSnapshot | None = None) -> None:
    """The names form, the report and the CSVs, and ending the lesson. ``lesson``: None for a lesson only
    the database holds (a restarted server, another server's lesson): its downloads from ``stored``, the
    lesson as the page read it, each made from the database when its button is pressed."""
    if lesson is not None:
        with_names = seat_names(lesson)
        keep = st.session_state.get("keep_names", False)
        writer = lesson_storage().writer
        if writer is not None and code:
            writer.keep_names(code, bool(keep))
        lesson_downloads(lesson.snapshot, f"{lesson.snapshot().clock(0):%Y-%m-%d-%H%M}", with_names)
    else:
        snapshot = stored
        if snapshot is None:
            return
        with_names = bool(snapshot.names) and st.checkbox(
            "Put the kept names in the downloads", key="names_in_downloads"
        )
        lesson_downloads(
            lambda: lesson_storage().load(code) or snapshot, f"{snapshot.clock(0):%Y-%m-%d-%H%M}", with_names
        )
    if code:
        end_lesson(code)


def end_lesson(code: str) -> None:
    """ "End this lesson", asked first: its record goes from this server and from the database."""
    if st.button(
        "End this lesson",
        help="Delete the lesson's record (download the report first); the next share starts a new lesson.",
    ):
        st.session_state["end_asked"] = code
    if st.session_state.get("end_asked") != code:
        return
    with st.container(border=True):
        st.warning("End this lesson? Its record is deleted from this server and from the lessons database, for good.")
        yes, no = st.columns(2)
        if no.button("Keep the lesson", key="end_no"):
            st.session_state.pop("end_asked", None)
            st.rerun()
        if yes.button("Delete the lesson", key="end_yes", type="primary"):
            st.session_state.pop("end_asked", None)
            error = delete_lesson(code)
            if error:
                st.session_state["class_error"] = (
                    f"The lesson was let go by this server, but the lessons database did not delete it ({error}): "
                    "delete it from the **Lessons** page once the database is back."
                )
            st.query_params.pop("lesson", None)
            st.rerun()
