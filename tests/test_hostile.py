"""Bad and odd input through Analyzer, the command line and the app: a result or one clear line."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest
from helpers import ROOT
from hostile import BAD_FILES, GOOD_PHOTOS, large_jpeg, write_corpus
from streamlit.testing.v1 import AppTest

from fer.classroom.recorded import RecordedLesson
from fer.images import read_image
from fer.labels import LABELS
from fer.media import MediaError, VideoReader
from tests.fixtures.lesson_video import remux


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, astronaut_bgr, video_path):
    return write_corpus(tmp_path_factory.mktemp("hostile"), astronaut_bgr, video_path)


def test_corpus_is_complete(corpus):
    assert set(corpus) == GOOD_PHOTOS | BAD_FILES


@pytest.mark.parametrize("name", sorted(GOOD_PHOTOS))
def test_odd_photos_are_read_and_their_face_found(corpus, analyzer, name):
    bgr = read_image(corpus[name])
    assert bgr.shape == (512, 512, 3) and bgr.dtype == np.uint8
    assert len(analyzer.analyze(bgr)) == 1


@pytest.mark.parametrize(
    "name, message",
    [
        ("zero-byte.jpg", "not a readable image"),
        ("truncated.jpg", "damaged or unsupported image"),
        ("truncated.png", "damaged or unsupported image"),
        ("text.jpg", "not a readable image"),
        ("huge-header.png", "too many pixels"),
        ("huge-header.jpg", "too many pixels"),
        ("over-limit.jpg", "over-limit.jpg: 8000x6400 pixels is over the limit of 50,000,000"),
    ],
)
def test_bad_photos_give_one_line(corpus, name, message):
    with pytest.raises(MediaError) as err:
        read_image(corpus[name])
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "name, message",
    [
        ("truncated.mp4", "has no index (moov atom)"),  # its first 100 kB: the index is at the end
        ("no-video-stream.mp4", "has no video stream"),
        ("zero-frames.mp4", "has no video"),  # no stream, or a stream without frames
    ],
)
def test_bad_videos_give_one_line(corpus, name, message):
    with pytest.raises(MediaError) as err:
        with VideoReader(corpus[name]) as reader:
            list(reader)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("shape", [(1, 1, 3), (3, 7, 3), (2160, 3840, 3), (360, 640), (360, 640, 4)])
def test_odd_frames(analyzer, shape):
    assert analyzer.analyze(np.zeros(shape, np.uint8)) == []


def test_non_contiguous_and_4k_frames_with_a_face(analyzer, astronaut_bgr):
    import cv2

    frame_4k = np.zeros((2160, 3840, 3), np.uint8)
    frame_4k[56 : 56 + 2048, 896 : 896 + 2048] = cv2.resize(astronaut_bgr, (2048, 2048))
    centres = [(x + w / 2, y + h / 2) for x, y, w, h in (f.box for f in analyzer.analyze(frame_4k))]
    assert any(abs(cx - (896 + 226 * 4)) < 100 and abs(cy - (56 + 113 * 4)) < 100 for cx, cy in centres)
    assert len(analyzer.analyze(astronaut_bgr[:, ::-1])) == 1  # negative stride
    assert len(analyzer.analyze(np.asfortranarray(astronaut_bgr))) == 1


def test_cli_over_the_corpus(corpus):
    done = subprocess.run(
        [sys.executable, "-m", "fer", "analyze", str(next(iter(corpus.values())).parent)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert sorted(line.split(": ")[1].rsplit("/", 1)[-1] for line in errors) == sorted(BAD_FILES)
    assert "Traceback" not in done.stderr
    sources = {line.split(",")[0].rsplit("/", 1)[-1] for line in done.stdout.splitlines()[1:]}
    assert sources == GOOD_PHOTOS


@pytest.mark.parametrize(
    "mode, names",
    [
        (
            "Photo",
            sorted(
                n
                for n in GOOD_PHOTOS | BAD_FILES  # what it accepts
                if n.rsplit(".", 1)[1] in ("jpg", "png")
            ),
        ),
        ("Video", ["truncated.mp4", "no-video-stream.mp4", "zero-frames.mp4"]),
    ],
)
def test_app_upload_modes_over_the_corpus(corpus, mode, names):
    for name in names:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["mode"] = mode
        at.run()
        at.file_uploader[0].set_value((name, corpus[name].read_bytes(), "application/octet-stream")).run()
        if mode == "Video":
            at.button[0].click().run()
        assert not at.exception, (name, at.exception)
        if name in GOOD_PHOTOS:
            assert not at.error and at.metric[0].value == "1", name
            assert_photo_table(at.dataframe[0])
        else:
            assert len(at.error) == 1 and at.error[0].value.startswith(f"{name}: "), (name, at.error)
            assert "\n" not in at.error[0].value
            assert not cancel_buttons(at), name


def cancel_buttons(at: AppTest) -> list:
    return [b for b in at.button if b.label == "Cancel"]


def assert_photo_table(table) -> None:
    """A photo's faces in whole percent, with no column that means nothing for one photo."""
    frame = table.value
    percent = ["score", *(f"p_{label}" for label in LABELS)]
    assert not {"source", "frame", "time_s", "seat"} & set(frame.columns)
    assert list(frame.columns) == ["face_id", "x", "y", "w", "h", "label", *percent]
    values = frame[percent].to_numpy()
    assert values.dtype.kind == "i" and values.min() >= 0 and values.max() <= 100
    assert (values[:, 0] >= 1).all() and (abs(values[:, 1:].sum(axis=1) - 100) <= len(LABELS)).all()
    shown = json.loads(table.proto.columns)
    assert all(shown[column]["type_config"]["format"] == "%d%%" for column in percent)


def video_page_on(recording: bytes, name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["mode"] = "Video"
    at.run()
    at.file_uploader[0].set_value((name, recording, "video/x-matroska")).run()
    next(b for b in at.button if b.label == "Analyse the video").click().run()
    assert not at.exception, at.exception
    return at


def test_a_recording_that_breaks_off_shows_what_was_read_and_one_error(video_path, tmp_path):
    whole = remux(video_path, tmp_path / "clip.mkv").read_bytes()
    at = video_page_on(whole[: len(whole) * 6 // 10], "cut.mkv")
    assert not cancel_buttons(at)
    assert len(at.error) == 1 and "\n" not in at.error[0].value
    assert re.fullmatch(
        r"cut\.mkv: could not be read to its end: ends at \d\.\d s of its stated 10\.0 s \(the file is cut short\); "
        r"what is shown covers its first \d s\.",
        at.error[0].value,
    ), at.error[0].value
    assert at.subheader[0].value.startswith("cut.mkv: ")  # what was read is shown


def test_an_analysis_that_fails_ends_in_one_line_with_no_cancel(video_path, monkeypatch):
    def fails(self, on_sample=None):
        yield from ()
        raise RuntimeError("the model's interpreter broke\nTraceback line")

    monkeypatch.setattr(RecordedLesson, "frames", fails)
    at = video_page_on(video_path.read_bytes(), "clip.mp4")
    assert not cancel_buttons(at) and not at.subheader
    assert [e.value for e in at.error] == [
        "clip.mp4: the analysis failed (RuntimeError: the model's interpreter broke); nothing of it was kept."
    ]
    assert at.session_state["video_analysis"][1] is None


def test_a_large_photo_on_the_page_is_shown_reduced_with_its_boxes_in_its_own_pixels(astronaut_bgr, analyzer):
    """A 30.7 MP photo: analysed at its working size (2000x1500), its table in the file's pixels."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["mode"] = "Photo"
    at.run()
    at.file_uploader[0].set_value(("big.jpg", large_jpeg(astronaut_bgr), "image/jpeg")).run()
    assert not at.exception and not at.error, (at.exception, at.error)
    [caption] = at.image[0].captions
    assert re.fullmatch(r"big\.jpg: \d+ faces? \(analysed at 2000x1500 of its 6400x4800\)", caption), caption
    table = at.dataframe[0].value
    box = table[table["face_id"] == 1][["x", "y", "w", "h"]].to_numpy()[0]  # the largest face
    # The face of the 512x512 original, scaled 9.375 times and 800 px from the left.
    expected = np.array(analyzer.analyze(astronaut_bgr)[0].box) * 9.375 + (800, 0, 0, 0)
    assert np.abs(box - expected).max() < 0.08 * expected[2], (box, expected)
