"""Benchmark the class page's server work on galleries of real faces, and a lesson's memory.

* Per shared frame, through the class page's own path (:class:`fer.classroom.call.SharedCall`): decode the
  browser's JPEG, read the tiles, find (follow) and classify every face, seat them and add them to the
  lesson, draw and encode the view. On a 1280x720 gallery of 25 faces and a 1920x1080 gallery of 49
  (tests/fixtures/galleries.py): the median and 90th percentile over the frames, the first (searched
  whole, each face in every view) included, wall and CPU time (all of the process's threads).
* A 2-core server's load: ``--calls`` shared 1920x1080 calls at once (standard 7x7 galleries,
  tests/fixtures/call_galleries.py, each frame a little different as a call's video is), each with its own
  SharedCall and Lesson on its own thread, the browser sending a frame every 1/``--fps`` s for
  ``--seconds`` s. As the page does (a new frame replaces the one it has not started), a call analyses the
  newest frame that has arrived once the frame before is done: a frame is *on time* when its analysis
  ends within one frame period of its arrival, *late* when later, *dropped* when a newer one replaced it.
* Faces found on the same galleries by the live camera's path at the sizes its WebRTC video
  arrives at (640x360 at first, 960x540 later), against the class page's.
* A lesson's memory after 60 minutes at 2 frames a second with 49 seats, above an idle process.
* With ``--first-view N`` (root, Chromium): N times per gallery, seconds from the click on "Share
  the call" to the first annotated view, in the browser test's session (tests/class_session.py).

    python -m scripts.bench.class_page [--json out.json] [--calls 8 --fps 2 --seconds 60]
    python -m scripts.bench.class_page --first-view 3
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from fer.classroom.call import SharedCall
from fer.classroom.lesson import Lesson
from fer.config import GALLERY_DETECTOR, DetectorConfig, StreamConfig
from fer.video.stream import StreamAnalyzer
from scripts.bench.sessions import browser_session, rss_mb
from scripts.training.common import finish, machine
from tests.fixtures.call_galleries import standard
from tests.fixtures.galleries import compose

# The class page's own detection settings, at their defaults (the sidebar starts at the gallery's smallest face).
CLASS_DETECTOR = DetectorConfig(min_face_px=GALLERY_DETECTOR.min_face_px)
STEADY_S = 10.0  # the sustained share is also given without the first seconds of the calls
GALLERIES = {"1280x720, 25 faces": (5, 5, 1280, 720), "1920x1080, 49 faces": (7, 7, 1920, 1080)}


def as_sent(bgr: np.ndarray) -> dict:
    """The frame as the browser sends it: a JPEG data URL at quality 0.85."""
    jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()
    return {"jpeg": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()}


def time_frames(gallery: np.ndarray, frames: int) -> dict:
    """Milliseconds per shared frame through the class page's path, and what the last frame found."""
    call, lesson = SharedCall.from_model(detector=CLASS_DETECTOR), Lesson()
    jpeg = as_sent(gallery)["jpeg"]
    totals, cpu, whole = [], [], 0
    for n in range(frames):
        started, cpu_started = time.perf_counter(), time.process_time()
        frame = call.take(jpeg, lesson, n * 0.5)
        totals.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - cpu_started))
        whole += call.follower.searched_whole
    return {
        "faces_found": len(frame.faces),
        "seats": frame.seated,
        "total_ms_median": round(float(np.median(totals)), 1),
        "total_ms_p90": round(float(np.percentile(totals, 90)), 1),
        "cpu_ms_median": round(float(np.median(cpu)), 1),
        "frames": frames,
        "searched_whole": whole,
    }


def video_frames(bgr: np.ndarray, count: int, rng: np.random.Generator) -> list[str]:
    """``count`` frames of a call showing ``bgr`` as the browser sends them: each with its own sensor
    noise and brightness, a JPEG data URL at quality 0.85."""
    frames = []
    for _ in range(count):
        noisy = bgr.astype(np.float32) * rng.uniform(0.95, 1.05) + rng.normal(0, 2.0, bgr.shape).astype(np.float32)
        frames.append(as_sent(np.clip(noisy, 0, 255).astype(np.uint8))["jpeg"])
    return frames


def busy_cores() -> float:
    """CPU seconds the whole machine has spent busy since boot (every process, every core); Linux only."""
    fields = [float(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def sustain(calls: int, fps: float, seconds: float) -> dict:
    """``calls`` shared 1920x1080 calls served at once for ``seconds``, frames sent at ``fps``: how many
    frames were analysed on time, late and dropped (see the module's doc), and each frame's time."""
    rng = np.random.default_rng(0)
    videos = [video_frames(standard("7x7", seed).bgr, 4, rng) for seed in range(calls)]
    period, sent = 1 / fps, int(seconds * fps)
    outcome: list[list[str]] = [["dropped"] * sent for _ in range(calls)]  # each call's frames, in order
    analyse_ms: list[float] = []
    start = [0.0]  # when the first frame is sent: set once every call is ready
    ready = threading.Barrier(calls + 1, action=lambda: start.__setitem__(0, time.perf_counter() + 0.5))

    def serve(i: int) -> None:
        call, lesson, video = SharedCall.from_model(detector=CLASS_DETECTOR), Lesson(), videos[i]
        ready.wait()
        first = start[0] + i * period / calls  # the calls' frames arrive spread over the period
        n = 0
        while n < sent:
            now = time.perf_counter()
            if now < first + n * period:
                time.sleep(first + n * period - now)
            newest = min(sent - 1, int((time.perf_counter() - first) / period))  # the frames before it: dropped
            frame = call.take(video[newest % len(video)], lesson, newest * period)
            late = time.perf_counter() - (first + newest * period) > period
            outcome[i][newest] = "late" if late else "on_time"
            analyse_ms.append(frame.analyse_ms)  # list.append is atomic
            n = newest + 1

    threads = [threading.Thread(target=serve, args=(i,)) for i in range(calls)]
    for thread in threads:
        thread.start()
    ready.wait()
    cpu_started, machine_started = time.process_time(), busy_cores()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start[0]
    busy, machine_busy = (time.process_time() - cpu_started) / wall, (busy_cores() - machine_started) / wall
    frames = [o for call in outcome for o in call]
    steady = [o for call in outcome for o in call[round(STEADY_S * fps) :]]
    return {
        "calls": calls,
        "fps": fps,
        "seconds": seconds,
        "frames_sent": len(frames),
        **{kind: frames.count(kind) for kind in ("on_time", "late", "dropped")},
        "on_time_share": round(frames.count("on_time") / len(frames), 3),
        # Without the first seconds, in which every call searches its first frame whole at once.
        f"on_time_share_after_{STEADY_S:g}s": round(steady.count("on_time") / max(1, len(steady)), 3),
        "analyse_ms_median": round(float(np.median(analyse_ms)), 1),
        "analyse_ms_p90": round(float(np.percentile(analyse_ms, 90)), 1),
        "cores_busy": round(busy, 2),  # this process's, on average
        "others_busy": round(max(0.0, machine_busy - busy), 2),  # every other process's: then the figures suffer
    }


def live_path_faces(gallery: np.ndarray, size: tuple[int, int], frames: int = 12) -> int:
    """Faces the live camera's stream reports on ``gallery`` shrunk to ``size``, as WebRTC delivers it."""
    stream = StreamAnalyzer.from_model(stream=StreamConfig())
    small = cv2.resize(gallery, size, interpolation=cv2.INTER_AREA)
    return max(len(stream.analyze(small)) for _ in range(frames))


def lesson_memory(minutes: int = 60, fps: float = 2.0, seats: int = 49) -> dict:
    """Resident memory a lesson adds, fed ``minutes`` of frames of a ``seats``-face gallery."""
    from fer.faces import Face
    from tests.fixtures.galleries import tile_size

    rows = cols = int(np.ceil(np.sqrt(seats)))
    tile_w, tile_h = tile_size(rows, cols, 1920, 1080)
    boxes = [
        (c * tile_w + tile_w // 2 - 40, r * tile_h + tile_h // 2 - 40, 80, 80) for r in range(rows) for c in range(cols)
    ][:seats]
    rng = np.random.default_rng(0)
    gc.collect()
    before = rss_mb()
    lesson = Lesson()
    started = time.perf_counter()
    for n in range(int(minutes * 60 * fps)):
        probs = rng.dirichlet(np.ones(7), size=len(boxes)).astype(np.float32)
        lesson.add([Face(b, p) for b, p in zip(boxes, probs, strict=True)], n / fps)
    gc.collect()
    return {
        "minutes": minutes,
        "frames": lesson.frames,
        "seats": len(lesson.snapshot().seats),
        "lesson_mb": round(rss_mb() - before, 1),
        "feed_s": round(time.perf_counter() - started, 1),
    }


def first_view(rows: int, cols: int, width: int, height: int, runs: int) -> dict:
    """Seconds from "Share the call" to the first annotated view, ``runs`` times, in Chromium."""
    size = ["--rows", str(rows), "--cols", str(cols), "--width", str(width), "--height", str(height)]
    seconds = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            # The session ends with the lesson's downloads, clicked after the page's one redraw of
            # them (ui.classroom.REDRAW_S), which would lose a click that met it.
            result = browser_session(
                "class_session.py", *size, "--still", "1", "--settle", "8", "--faces-only", "--out", folder
            )
        if "error" in result:
            return result
        seconds.append(result["seconds_to_first_view"])
    return {"seconds_to_first_view": seconds, "median_s": round(float(np.median(seconds)), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=12, help="shared frames to time per gallery")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--first-view", type=int, default=0, metavar="N", help="time sharing to the first view N times")
    parser.add_argument("--calls", type=int, default=8, help="shared 1920x1080 calls served at once (0: skip)")
    parser.add_argument("--fps", type=float, default=2.0, help="frames a second each call sends")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the calls are served")
    args = parser.parse_args(argv)
    figures: dict = {"machine": machine()}
    if args.first_view:
        for name, size in GALLERIES.items():
            figures[name] = {"first_view": first_view(*size, args.first_view)}
        return finish("\n".join(f"{k}: {json.dumps(v)}" for k, v in figures.items()), figures, args.json)
    for name, (rows, cols, width, height) in GALLERIES.items():
        gallery = compose(rows, cols, width, height)
        figures[name] = time_frames(gallery, args.frames)
        figures[name]["live_path_faces"] = {
            f"{w}x{h}": live_path_faces(gallery, (w, h)) for w, h in ((640, 360), (960, 540))
        }
        print(f"{name}: {json.dumps(figures[name])}", flush=True)
    if args.calls:
        figures["sustain"] = sustain(args.calls, args.fps, args.seconds)
        print(f"sustain: {json.dumps(figures['sustain'])}", flush=True)
    figures["lesson_memory"] = lesson_memory()
    return finish(f"lesson memory: {json.dumps(figures['lesson_memory'])}", figures, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
