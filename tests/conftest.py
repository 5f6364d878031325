"""Shared fixtures: paths to the real data beside the checkout, and small real-face samples.

A test that needs the data skips on a fresh clone, where ``../shared/data`` is absent, and fails
where the folder is there without the file (``helpers.shared_data``).
"""

from __future__ import annotations

# Import WebRTC's SRTP bindings before anything can import TensorFlow: TensorFlow's bundled
# BoringSSL otherwise takes over pylibsrtp's OpenSSL symbols and the process segfaults.
import streamlit_webrtc  # noqa: F401, I001  # isort: skip

import os
import tarfile
from pathlib import Path

import numpy as np
import pytest
from helpers import SHARED, shared_data

from tests.fixtures import video_frames

FER_TAR = SHARED / "fer2013" / "fer2013-images.tar.gz"
FER_CSV = SHARED / "fer2013" / "fer2013_first1167rows.csv.gz"
WILD_LABELS = SHARED / "faces_wild" / "labels.csv"


def pytest_report_header() -> str | None:
    if not SHARED.is_dir():
        return f"no shared data at {SHARED} (a fresh clone?): the tests that need it skip"
    return None


@pytest.fixture(scope="session")
def fer_tar() -> Path:
    return shared_data(FER_TAR)


@pytest.fixture(scope="session")
def fer_csv() -> Path:
    return shared_data(FER_CSV)


@pytest.fixture(scope="session")
def fer_members(fer_tar) -> list[tuple[str, bytes]]:
    """A few real FER2013 JPEG members per class and split: ``(path inside the archive, bytes)``."""
    wanted: dict[tuple[str, str, str], int] = {}
    picked = []
    with tarfile.open(fer_tar, "r:gz") as archive:
        for member in archive:
            if not member.isfile():
                continue
            part, label, name = member.name.split("/")[-3:]
            key = (part, label, name.split("_")[0])
            if wanted.get(key, 0) < 3:
                wanted[key] = wanted.get(key, 0) + 1
                picked.append((member.name, archive.extractfile(member).read()))
    return picked


@pytest.fixture(scope="session")
def fer_faces(fer_tar) -> dict[str, object]:
    """All of FER2013, loaded once for the session."""
    from fer.training.data import load_fer2013

    return load_fer2013(fer_tar)


VIDEO_MP4 = SHARED / "video" / "short_hamilton_clip.mp4"


@pytest.fixture(scope="session")
def video_path() -> Path:
    return shared_data(VIDEO_MP4)


@pytest.fixture(scope="session")
def lesson_recording(tmp_path_factory) -> Path:
    """A 75 s 1280x720 recording of a call (10 frames a second): a 5x5 gallery of real faces, B2's
    camera off from 20 s, a reflow to 4x4 at 60 s (tests/fixtures/lesson_video.py TEST_LESSON)."""
    from tests.fixtures.lesson_video import TEST_LESSON, TEST_LESSON_S, write_lesson

    shared_data(VIDEO_MP4)  # the video tile
    shared_data(WILD_LABELS)  # the gallery's photos
    return write_lesson(tmp_path_factory.mktemp("lesson") / "lesson.mp4", TEST_LESSON, TEST_LESSON_S, fps=10)


@pytest.fixture(scope="session")
def wild_photo() -> Path:
    """A real 350x350 photo of ``faces_wild``, as a user has them."""
    return shared_data(SHARED / "faces_wild" / "images" / "Al_Sharpton_0003.jpg")


@pytest.fixture(scope="session")
def consecutive_frames(video_path) -> list[np.ndarray]:
    """Every frame of the real face video (275, 640x360 BGR), in order, as a stream delivers them."""
    return video_frames(video_path)


@pytest.fixture(scope="session")
def av_frames(video_path) -> list:
    """Every 5th frame of the real face video as the ``av.VideoFrame``s a WebRTC callback receives."""
    import av

    with av.open(str(video_path)) as container:
        return [frame for i, frame in enumerate(container.decode(video=0)) if i % 5 == 0]


@pytest.fixture(scope="session")
def sampled_frames(consecutive_frames) -> list[np.ndarray]:
    """Every 5th frame of the real face video (55 frames)."""
    return consecutive_frames[::5]


@pytest.fixture(scope="session")
def astronaut_bgr() -> np.ndarray:
    import skimage.data

    return np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])


@pytest.fixture(scope="session")
def analyzer():
    from fer import FrameAnalyzer

    return FrameAnalyzer.from_model()


# A real PostgreSQL 15 server for the storage tests (started on first use; fails in one line without its binaries).
from tests.fixtures.postgres import postgres_server  # noqa: E402, F401


@pytest.fixture(autouse=True, scope="session")
def lessons_database_folder(tmp_path_factory):
    """The app's lessons database (SQLite, the default) in a folder of the test session's own, not in the
    home folder; the servers the browser tests start inherit it."""
    os.environ.setdefault("FER_DATA_DIR", str(tmp_path_factory.mktemp("lessons")))
