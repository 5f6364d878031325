"""No frame, photo, video or face crop is written anywhere: live path, photo and video modes, CLI.

Runs each path in a child process whose home, temp (``TMPDIR``) and working directories are empty
folders of its own, and checks that afterwards nothing new holds image or video data there or in
the repository. Only the CSV that the user asks for may appear. The system's temp directory is not
watched: every other process on the machine writes there too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import ROOT

MAGIC = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG": "PNG",
    b"RIFF": "WebP/AVI",
    b"GIF8": "GIF",
    b"\x1aE\xdf\xa3": "WebM",
    b"BM": "BMP",
}

CHILD = r"""
import os, sys, tempfile
assert tempfile.gettempdir() == os.environ["TMPDIR"]  # the temp folder watched is the one used
sys.path.insert(0, sys.argv[1])
import streamlit_webrtc  # noqa: F401  (the SRTP bindings first, as in the app)
from pathlib import Path
import av, cv2
from streamlit.testing.v1 import AppTest
from fer.video.live_annotator import LiveAnnotator
from fer.video.stream import StreamAnalyzer

video = Path(sys.argv[2])
# Live path: the frame callback on real frames.
session = LiveAnnotator(StreamAnalyzer.from_model())
with av.open(str(video)) as container:
    for i, frame in enumerate(container.decode(video=0)):
        session(frame)
        if i == 60:
            break
# Photo and video modes, through the app.
import skimage.data
jpeg = cv2.imencode(".jpg", skimage.data.astronaut()[:, :, ::-1])[1].tobytes()
for mode, upload in (("Photo", ("a.jpg", jpeg, "image/jpeg")), ("Video", ("v.mp4", video.read_bytes(), "video/mp4"))):
    at = AppTest.from_file(sys.argv[1] + "/app.py", default_timeout=120)
    at.session_state["mode"] = mode
    at.run()
    at.file_uploader[0].set_value(upload).run()
    if mode == "Video":
        at.button[0].click().run()
    assert not at.exception and not at.error, (at.exception, at.error)
print("ok", session.snapshot().frames)
"""


def files_under(*roots: Path) -> dict[Path, float]:
    found = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in (".git", "__pycache__", ".pytest_cache", ".ruff_cache")]
            for name in filenames:
                path = Path(dirpath) / name
                try:
                    found[path] = path.stat().st_mtime
                except OSError:
                    pass
    return found


def media_kind(path: Path) -> str | None:
    try:
        head = path.read_bytes()[:16]
    except OSError:
        return None
    if head[4:8] == b"ftyp":
        return "MP4/MOV"
    return next((kind for magic, kind in MAGIC.items() if head.startswith(magic)), None)


def test_nothing_but_the_requested_csv_is_written(tmp_path, video_path):
    home, temp, work = tmp_path / "home", tmp_path / "tmp", tmp_path / "work"
    for folder in (home, temp, work):
        folder.mkdir()
    before = files_under(ROOT)
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(temp), "TMP": str(temp), "TEMP": str(temp)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT), str(video_path)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert child.returncode == 0 and "ok 61" in child.stdout, child.stderr[-3000:]
    csv_out = work / "faces.csv"
    cli = subprocess.run(
        [sys.executable, "-m", "fer", "analyze", str(video_path), "--output", str(csv_out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr
    after = files_under(home, temp, work, ROOT)
    new = [p for p, mtime in after.items() if p not in before or mtime != before[p]]
    written_media = {str(p): kind for p in new if (kind := media_kind(p))}
    assert written_media == {}
    assert csv_out in new and csv_out.read_text().startswith("source,frame,time_s,face_id")
    assert not [p for p in files_under(home, temp) if p.suffix.lower() in (".jpg", ".png", ".mp4", ".webm")]
