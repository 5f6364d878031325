"""The benchmark's serving figures: simultaneous live sessions, the server's memory, and the real browser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from fer.recognition.model_card import ModelFiles, shipped_model_files
from fer.video.live_annotator import LiveAnnotator
from fer.video.stream import StreamAnalyzer
from scripts.training.common import ROOT
from tests.fixtures import video_frames

SESSION_FPS = 15
SESSION_SIZE = (640, 480)
SUSTAINED = 0.9  # share of offered frames a session must analyse


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of process ``pid`` (default: this one) now, MB; Linux only."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def letterbox(bgr: np.ndarray, width: int, height: int) -> np.ndarray:
    """``bgr`` scaled to fit ``width`` x ``height``, centred on black: a 4:3 camera's picture."""
    scale = min(width / bgr.shape[1], height / bgr.shape[0])
    inner = cv2.resize(bgr, (round(bgr.shape[1] * scale), round(bgr.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    out = np.zeros((height, width, 3), np.uint8)
    top, left = (height - inner.shape[0]) // 2, (width - inner.shape[1]) // 2
    out[top : top + inner.shape[0], left : left + inner.shape[1]] = inner
    return out


class SimulatedStream:
    """One viewer's stream: frames offered at a fixed rate, analysed by the session's own worker
    thread; a frame offered while the last one waits replaces it (streamlit-webrtc's async mode)."""

    def __init__(self, session: LiveAnnotator) -> None:
        self.session = session
        self.offered = self.analysed = 0
        self._pending = None
        self._ready = threading.Condition()
        self._stop = False
        self._worker = threading.Thread(target=self._work, daemon=True)
        self._worker.start()

    def offer(self, frame) -> None:
        with self._ready:
            self._pending = frame
            self.offered += 1
            self._ready.notify()

    def _work(self) -> None:
        while True:
            with self._ready:
                while self._pending is None and not self._stop:
                    self._ready.wait()
                if self._stop:
                    return
                frame, self._pending = self._pending, None
            self.session(frame)
            self.analysed += 1

    def close(self) -> None:
        with self._ready:
            self._stop = True
            self._ready.notify()
        self._worker.join()


def run_sessions(count: int, frames: list, seconds: float, files: ModelFiles) -> tuple[float, float]:
    """Share of offered frames analysed by ``count`` simultaneous sessions, and the RSS at the end."""
    streams = [SimulatedStream(LiveAnnotator(StreamAnalyzer.from_model(files))) for _ in range(count)]
    period, start = 1 / SESSION_FPS, time.perf_counter()
    tick = 0
    while time.perf_counter() - start < seconds:
        for i, stream in enumerate(streams):
            stream.offer(frames[(tick + 37 * i) % len(frames)])  # each viewer at its own point of the video
        tick += 1
        time.sleep(max(0.0, start + tick * period - time.perf_counter()))
    time.sleep(period)
    memory = rss_mb()
    for stream in streams:
        stream.close()
    offered = sum(s.offered for s in streams)
    return sum(s.analysed for s in streams) / offered, memory


def bench_sessions(video: Path, seconds: float, max_sessions: int) -> tuple[dict, dict]:
    """Sessions sustained, and the serving memory: after start-up (the serving stack imported and the
    model read), then with sessions streaming. The harness's own copy of the video frames is left
    out of the latter: what the sessions add is measured from the RSS once the frames are ready."""
    import av

    files = shipped_model_files()
    start_up = rss_mb()
    memory = {"after_start_up_mb": round(start_up)}
    frames = []
    for bgr in video_frames(video):
        frame = av.VideoFrame.from_ndarray(letterbox(bgr, *SESSION_SIZE), format="bgr24").reformat(format="yuv420p")
        frame.pts = len(frames)
        frames.append(frame)
    harness = rss_mb()
    results, best = {}, 0
    for count in range(1, max_sessions + 1):
        share, rss = run_sessions(count, frames, seconds, files)
        serving = start_up + rss - harness
        results[count] = round(share, 3)
        print(
            f"  {count} sessions: {share:.1%} of offered frames analysed, serving memory {serving:.0f} MB",
            file=sys.stderr,
            flush=True,
        )
        if count == 1:
            memory["one_session_mb"] = round(serving)
        if share < SUSTAINED:
            break
        best = count
        memory["most_sessions_mb"] = round(serving)
    return {
        "sustained": best,
        "share_analysed": results,
        "seconds_each": seconds,
        "size": f"{SESSION_SIZE[0]}x{SESSION_SIZE[1]}",
        "fps": SESSION_FPS,
    }, memory


def sessions_in_child(video: Path, seconds: float, max_sessions: int) -> tuple[dict, dict]:
    """:func:`bench_sessions` in a fresh process, so that its memory holds only the serving stack, with
    glibc's malloc arenas capped as the Procfile caps them in the serving process."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "sessions.json"
        command = [
            sys.executable,
            "-m",
            "bench",
            "--sessions-child",
            "--json",
            str(out),
            "--video",
            str(video.resolve()),
            "--session-seconds",
            str(seconds),
            "--max-sessions",
            str(max_sessions),
        ]
        subprocess.run(
            command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env={"MALLOC_ARENA_MAX": "2", **os.environ}
        )
        child = json.loads(out.read_text())
    return child["sessions"], child["memory"]


def browser_session(script: str, *args: str) -> dict:
    """The JSON object that ``tests/SCRIPT`` (a session in Chromium) prints last, run in a private
    network namespace (root only); ``{"error": ...}`` if it cannot run or fails."""
    if os.geteuid() != 0:
        return {"error": "needs root (a private network namespace)"}
    done = subprocess.run(
        ["unshare", "-n", sys.executable, str(ROOT / "tests" / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # sessions build their pages with tests.fixtures
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_browser(video_mjpeg: Path) -> dict:
    """The end-to-end test's live session: START to the first annotated frame in Chromium."""
    with tempfile.TemporaryDirectory() as folder:
        result = browser_session("browser_session.py", str(video_mjpeg), str(Path(folder) / "shot.png"))
    if "error" in result:
        return result
    return {
        k: result.get(k)
        for k in ("seconds_to_playing", "seconds_to_first_annotated_frame", "analysed_fps", "server_rss_mb_streaming")
    }
