"""End to end: a real Chromium streams a real face video to the app's live page over real WebRTC.

Runs tests/browser_session.py inside a private network namespace (needs root, Chromium at
/usr/bin/chromium and playwright: .ci/run installs them). Saves docs/live-page.png, the
screenshot the README shows, and prints the measured figures (see them with ``pytest -s``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from helpers import ROOT, SHARED

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VIDEO = SHARED / "video" / "short_hamilton_clip_640x360_15fps.mjpeg"
CYCLES = 20  # START/STOP cycles of one browser session at the end of the run


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    assert os.geteuid() == 0, "the browser test makes a network namespace and must run as root"
    assert shutil.which("unshare") and shutil.which("ip"), "needs util-linux unshare and iproute2 ip"
    assert os.path.exists("/usr/bin/chromium"), "needs Debian's chromium (apt-get install chromium)"
    assert VIDEO.exists(), f"missing {VIDEO}"
    shot = tmp_path_factory.mktemp("browser") / "live-page.png"
    session_py = ROOT / "tests" / "browser_session.py"
    done = subprocess.run(
        ["unshare", "-n", sys.executable, str(session_py), str(VIDEO), str(shot), "--cycles", str(CYCLES)],
        capture_output=True,
        text=True,
        timeout=480,
    )
    assert done.returncode == 0, f"browser session failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["screenshot_taken"]:
        shutil.copy(shot, ROOT / "docs" / "live-page.png")
    figures = {
        k: result[k]
        for k in (
            "seconds_to_playing",
            "seconds_to_first_annotated_frame",
            "analysed_fps",
            "frames_analysed",
            "frames_with_faces",
            "video_size",
            "emotions_shown",
        )
    }
    print("\nbrowser figures:", json.dumps(figures))
    print("start/stop cycles:", json.dumps(result["start_stop"]))
    return result


def test_video_comes_back_with_the_servers_overlay(session):
    assert session["seconds_to_playing"] is not None, session["server_log_tail"]
    # The source video has at most 0.02% of its pixels near an emotion colour; the overlay
    # (boxes and filled label tags) puts several tenths of a percent there.
    assert session["seconds_to_first_annotated_frame"] is not None, session
    assert session["max_overlay_share"] >= 0.003


def test_server_analysed_frames_with_faces(session):
    assert session["frames_analysed"] >= 20
    assert session["frames_with_faces"] >= 5
    assert session["analysed_fps"] > 0


def test_panel_shows_faces_and_emotions(session):
    assert session["faces_in_view_shown"]
    assert session["emotions_shown"], session["panel_text"]
    assert session["screenshot_taken"], "no moment with a face both boxed in the video and listed"


def test_a_denied_camera_gets_a_clear_message(session):
    # The streaming component says what happened; the page says what to do about it.
    assert "NotAllowedError: Permission denied" in session["denied"]["component"]
    assert "Traceback" not in session["denied"]["component"] + session["denied"]["page"]
    assert "The browser needs camera permission" in session["denied"]["page"]


def test_start_stop_cycles_release_resources(session):
    # Each START makes a peer connection and worker threads; STOP must end them. The first cycle
    # may keep what stays for the session (the LiveAnnotator and its mood survive STOP by design).
    cycles = session["start_stop"]
    first, last = cycles["after_first"], cycles["after_last"]
    assert cycles["cycles"] == CYCLES and len(cycles["threads_per_cycle"]) == CYCLES
    assert last["threads"] <= first["threads"] + 4, cycles
    assert last["rss_mb"] - first["rss_mb"] <= 60, cycles
