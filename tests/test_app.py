"""app.py through Streamlit's AppTest: what the page says when something is wrong."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import pytest
from helpers import ROOT
from streamlit.testing.v1 import AppTest

from fer.labels import LABELS
from fer.recognition.model_card import MODEL_DIR

APP = str(ROOT / "app.py")


def run_app(monkeypatch, **env) -> AppTest:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("damage", ["missing", "tampered"])
def test_broken_model_gives_a_clear_error_not_a_traceback(monkeypatch, tmp_path, damage):
    for name in ("emotion_cnn.tflite", "metadata.json"):
        shutil.copy(MODEL_DIR / name, tmp_path / name)
    target = tmp_path / "emotion_cnn.tflite"
    if damage == "missing":
        target.unlink()
    else:
        target.write_bytes(target.read_bytes()[:-100])
    at = run_app(monkeypatch, FER_MODEL_DIR=str(tmp_path))
    assert len(at.error) == 1
    message = at.error[0].value
    assert message.startswith("The emotion model cannot be loaded")
    assert ("model file not found" if damage == "missing" else "does not match the sha256") in message


def live_page(monkeypatch, env: str | None = None, secret=None) -> tuple[list[str], dict | None]:
    """The live page's warnings and the RTC configuration it streams with, given FER_ICE_SERVERS
    in the environment and/or in Streamlit secrets."""
    import ui.webcam

    # AppTest's mock runtime cannot host the streaming component: record what the page asks of it.
    asked = {}

    def fake_streamer(**kwargs):
        asked.update(kwargs)
        return SimpleNamespace(state=SimpleNamespace(playing=False))

    monkeypatch.setattr(ui.webcam, "webrtc_streamer", fake_streamer)
    monkeypatch.delenv("FER_ICE_SERVERS", raising=False)
    if env is not None:
        monkeypatch.setenv("FER_ICE_SERVERS", env)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["mode"] = "Live camera"
    if secret is not None:
        at.secrets["FER_ICE_SERVERS"] = secret
    at.run()
    assert not at.exception, at.exception
    assert asked, "the live page did not reach the streaming component"
    return [w.value for w in at.warning], asked["rtc_configuration"]


def test_ice_servers_from_secrets_are_checked_like_the_environment(monkeypatch):
    broken = '[{"urls": "stun:stun.example.org:3478"}'
    from_env = live_page(monkeypatch, env=broken)
    assert len(from_env[0]) == 1 and from_env[0][0].startswith("FER_ICE_SERVERS is not valid JSON")
    assert live_page(monkeypatch, secret=broken) == from_env == ([from_env[0][0]], None)
    # A TOML table, not an array of tables: the same warning whichever way it came in.
    table = {"urls": "stun:stun.example.org:3478"}
    from_secrets = live_page(monkeypatch, secret=table)
    assert from_secrets == live_page(monkeypatch, env=json.dumps(table)) and len(from_secrets[0]) == 1


STUN = {"urls": "stun:stun.example.org:3478"}
TURN = {"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}


@pytest.mark.parametrize(
    "env, secret, servers",
    [
        (None, json.dumps([STUN]), [STUN]),  # JSON text in secrets.toml
        (None, [TURN], [TURN]),  # an array of TOML tables
        ("[]", "not json", []),  # the environment wins over secrets
        (None, None, None),  # neither: the streaming library's defaults
    ],
)
def test_valid_ice_servers_from_secrets_give_no_warning(monkeypatch, env, secret, servers):
    expected = None if servers is None else {"iceServers": servers}
    assert live_page(monkeypatch, env=env, secret=secret) == ([], expected)


def mode_selector(at: AppTest):
    """The sidebar's mode selector (drawn afresh, under a new key, when the server changes the mode)."""
    (selector,) = [r for r in at.sidebar.radio if r.label == "Mode"]
    return selector


def app_in_mode(mode: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["mode"] = mode
    at.run()
    assert not at.exception, at.exception
    return at


def test_photo_mode_on_a_real_photo(astronaut_bgr):
    import cv2

    at = app_in_mode("Photo")
    jpeg = cv2.imencode(".jpg", astronaut_bgr)[1].tobytes()
    at.file_uploader[0].set_value(("astronaut.jpg", jpeg, "image/jpeg")).run()
    assert not at.exception and not at.error, (at.exception, at.error)
    assert at.metric[0].label == "Faces found" and at.metric[0].value == "1"
    table = at.dataframe[0].value
    assert list(table["face_id"]) == [1] and table["label"].iloc[0] in LABELS
    assert {"x", "y", "w", "h", "score", *(f"p_{k}" for k in LABELS)} <= set(table.columns)
    assert len(at.image) == 1 and list(at.image[0].captions) == ["astronaut.jpg: 1 face"]


def test_photo_mode_rejects_a_broken_file_in_one_line():
    at = app_in_mode("Photo")
    at.file_uploader[0].set_value(("broken.png", b"\x89PNG\r\n\x1a\nnot really", "image/png")).run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("broken.png: damaged or unsupported image")
    assert "\n" not in at.error[0].value


def test_video_mode_on_the_real_video(video_path):
    at = app_in_mode("Video")
    at.file_uploader[0].set_value(("clip.mp4", video_path.read_bytes(), "video/mp4"))
    at.number_input[0].set_value(1.0)
    at.run()
    at.button[0].click().run()
    assert not at.exception and not at.error, (at.exception, at.error)
    assert at.subheader[0].value.startswith("clip.mp4: ")
    assert any(c.value.startswith("10 frames analysed, one every 1 s") for c in at.caption)
    downloads = {b.label for b in at.get("download_button")}
    assert downloads == {"Download the lesson report (HTML)", "Class per second (CSV)", "Seats per minute (CSV)"}
    assert "Moment" in [s.label for s in at.select_slider]


@pytest.mark.parametrize(
    "mode, shown, hidden",
    [
        ("Class", {"Frames a second from the shared call"}, {"Look for new faces every N frames", "Camera resolution"}),
        ("Photo", set(), {"Frames a second from the shared call", "Look for new faces every N frames"}),
        ("Video", set(), {"Frames a second from the shared call", "Look for new faces every N frames"}),
    ],
)
def test_sidebar_settings_appear_only_in_the_modes_they_affect(mode, shown, hidden):
    at = app_in_mode(mode)
    labels = {w.label for kind in ("slider", "select_slider", "selectbox", "checkbox") for w in at.sidebar.get(kind)}
    assert {"Smallest face (pixels)", "Sensitivity"} <= labels
    assert shown <= labels and not hidden & labels
    assert (mode == "Photo") == ("Show the three likeliest emotions per face" in labels)


def test_class_mode_is_first_and_starts_stopped():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    assert mode_selector(at).value == "Class"
    assert at.subheader[0].value == "Stopped" and at.metric[0].value == "0"
    assert any("Stopped: no faces in view" in i.value for i in at.info)
    assert any("nothing is sent anywhere else" in m.value for m in at.markdown)


def test_a_frame_counts_only_for_the_share_that_sent_it():
    from ui.classroom import current_frame

    frame = {"jpeg": "data:image/jpeg;base64,", "generation": 2, "tz": 60}
    assert current_frame(frame, 2) is frame
    # Sent before the page went to another mode and back (generation 2 -> 3): not shown.
    assert current_frame(frame, 3) is None
    assert current_frame({"jpeg": "data:image/jpeg;base64,"}, 0) is None
    assert current_frame(None, 0) is None and current_frame("frame", 0) is None


def test_a_lessons_downloads_are_drawn_when_it_begins_and_once_more_while_sharing(monkeypatch):
    import streamlit as st

    from ui import classroom

    state: dict = {}
    monkeypatch.setattr(st, "session_state", state)
    now = [100.0]
    monkeypatch.setattr(classroom.time, "monotonic", lambda: now[0])
    assert classroom.downloads_need_drawing("abc", sharing=True)  # the lesson just began
    state.update(downloads_for="abc", downloads_redraw_at=100.0 + classroom.REDRAW_S)  # the page's run drew them
    assert not classroom.downloads_need_drawing("abc", sharing=True)
    now[0] += classroom.REDRAW_S + 0.1
    assert not classroom.downloads_need_drawing("abc", sharing=False)  # no frames: nothing races the page
    assert classroom.downloads_need_drawing("abc", sharing=True)
    assert not classroom.downloads_need_drawing("abc", sharing=True)  # only once
    assert classroom.downloads_need_drawing("xyz", sharing=False)  # another lesson


def test_the_class_page_says_what_it_estimates_and_where_it_may_be_used_until_read():
    at = AppTest.from_file(APP, default_timeout=120).run()
    notice = [i.value for i in at.info if "Article 5(1)(f)" in i.value]
    assert notice and "not a feeling" in notice[0] and "Consent" in notice[0]
    assert any("turn your camera off" in c.value for c in at.code)  # the message for the call's chat
    at.button(key="notice_button").click().run()
    assert not any("Article 5(1)(f)" in i.value for i in at.info)
    at.run()  # and it stays read for the browser session
    assert not any("Article 5(1)(f)" in i.value for i in at.info) and not at.exception


def test_switching_mode_while_sharing_asks_first_and_keeps_the_lesson():
    import time

    at = AppTest.from_file(APP, default_timeout=120).run()
    share = at.session_state["class_share"]
    share.stopped, share.last_frame = False, time.monotonic()  # as if frames were arriving
    mode_selector(at).set_value("Photo").run()
    assert not at.exception, at.exception
    assert mode_selector(at).value == "Class"  # not switched yet: asked
    assert any("Switching to **Photo** stops sharing the call" in w.value for w in at.warning)
    at.button(key="keep_sharing").click().run()
    assert mode_selector(at).value == "Class" and not any("Switching to" in w.value for w in at.warning)
    share.stopped, share.last_frame = False, time.monotonic()
    mode_selector(at).set_value("Photo").run()
    at.button(key="switch_mode").click().run()
    assert mode_selector(at).value == "Photo" and not at.exception
    # Not sharing: a switch is taken at once.
    mode_selector(at).set_value("Class").run()
    mode_selector(at).set_value("Video").run()
    assert mode_selector(at).value == "Video"


def test_a_second_tab_sees_the_lesson_live_and_a_stopped_one_says_how_to_go_on():
    from datetime import UTC, datetime, timedelta

    from helpers import grid_boxes, make_face

    from fer.classroom.lesson import Lesson
    from ui.classroom import shared_lately, stopped_text

    lesson = Lesson(datetime.now(UTC) - timedelta(seconds=60))
    assert not shared_lately(lesson.snapshot(), 2.0) and "Press **Share the call**" in stopped_text(None)
    lesson.add([make_face(b, "happy", 0.8) for b in grid_boxes(2, 2)], 59.0)
    assert shared_lately(lesson.snapshot(), 2.0)  # a frame a second ago, from another tab
    old = Lesson(datetime.now(UTC) - timedelta(minutes=30))
    old.add([make_face(b, "happy", 0.8) for b in grid_boxes(2, 2)], 60.0)
    assert not shared_lately(old.snapshot(), 2.0)
    assert "Sharing stopped at" in stopped_text(old.snapshot()) and "go on with this lesson" in stopped_text(
        old.snapshot()
    )


def test_presence_only_offers_no_page_that_estimates_expressions(monkeypatch):
    at = run_app(monkeypatch, FER_PRESENCE_ONLY="1")
    assert not at.exception, at.exception
    assert mode_selector(at).options == ["Class", "Lessons"]
    notice = [i.value for i in at.info if "presence-only mode" in i.value]
    assert notice and "It estimates **no\nexpression or emotion**" in notice[0]
    assert any("presence-only mode" in c.value and "No expression or emotion is estimated" in c.value for c in at.code)
    assert not any("Article 5(1)(f)" in i.value for i in at.info)  # the notice on inferring emotions is not needed
    mode_selector(at).set_value("Lessons").run()
    assert not at.exception and mode_selector(at).value == "Lessons"


def test_a_lesson_ended_elsewhere_is_told_to_the_tab_that_showed_it_and_a_fresh_link_finds_none(monkeypatch):
    from ui.classroom import lesson_store

    monkeypatch.delenv("DATABASE_URL", raising=False)
    code, _ = lesson_store().create()
    shown = AppTest.from_file(APP, default_timeout=120)
    shown.query_params["lesson"] = code
    shown.run()
    assert not shown.exception and not any("No lesson is stored" in w.value for w in shown.warning)
    lesson_store().end(code)  # "End this lesson" in another tab of this server
    fresh = AppTest.from_file(APP, default_timeout=120)
    fresh.query_params["lesson"] = code
    fresh.run()
    assert not fresh.exception, fresh.exception
    assert [w.value for w in fresh.warning if "No lesson is stored under that link" in w.value]
    assert not any("ended on another page" in w.value for w in fresh.warning)
    assert fresh.query_params["lesson"] == code
    shown.run()  # the tab that showed it, not sharing: told, and the link leaves its address
    told = [w.value for w in shown.warning if "This lesson was ended on another page" in w.value]
    assert told and "stopped sharing" not in told[0], told
    assert "lesson" not in shown.query_params and not any("No lesson is stored" in w.value for w in shown.warning)
    # A lesson ended on its own page: nothing to tell, and the page is back to a new share.
    own_code, _ = lesson_store().create()
    own = AppTest.from_file(APP, default_timeout=120)
    own.query_params["lesson"] = own_code
    own.run()
    next(b for b in own.button if b.label == "End this lesson").click().run()
    own.button(key="end_yes").click().run()
    assert not own.exception, own.exception
    assert "lesson" not in own.query_params and lesson_store().ended(own_code)
    assert not any("ended on another page" in w.value or "No lesson is stored" in w.value for w in own.warning)
