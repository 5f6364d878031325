"""Measure the product as its users run it, beside the peer (the PyPI package ``fer``), in one table.

* frames: ms per frame (median, p90, mean) of the whole per-frame path (analyse, track, mood,
  overlay) on every frame of the shared face video (640x360, one face) and on a 1280x720 gallery
  of 25 real FER2013 faces (``scripts/gallery.py --frontal``), both cold (``Analyzer.analyze``:
  every frame searched and classified from scratch, each face with its mirror image) and as a
  stream (``LiveSession``: what the live page runs, see ``fer/stream.py``); and the Haar search
  alone, the floor of the cold path;
* classifier: ms per face at batch 1, 8 and 32 (one view, and the face with its mirror image), with
  the analyzer's LiteRT thread count;
* sessions: the most simultaneous 640x480 15 fps sessions with at least 90% of offered frames
  analysed. Each session is a ``LiveSession`` (its own analyzer, tracker and mood) fed real video
  frames as ``av.VideoFrame`` s the way streamlit-webrtc's async processing does: a frame that
  arrives while the previous one is still being analysed replaces it, unanalysed;
* memory: resident memory of a process holding the serving stack (streamlit, streamlit-webrtc,
  aiortc, fer) after start-up, with one session streaming, and with the most sessions;
* browser (``--browser``, root only): the end-to-end test's session (``tests/browser_session.py``):
  seconds from START to the first annotated frame in Chromium on a server whose page is loaded,
  and the real serving process's resident memory while it streams;
* peer: the same video frames and gallery through ``FER(mtcnn=False).detect_emotions`` in its own
  virtual environment (``bash scripts/peer_env.sh`` makes ``.peer-venv``), and the ratios.

    python scripts/benchmark.py                            # everything but the browser
    python scripts/benchmark.py --browser --json bench.json
    python scripts/benchmark.py --only classifier frames
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import streamlit_webrtc  # noqa: E402, F401  # the serving stack, loaded as the app loads it (and measured)

from fer.classifier import EmotionClassifier, shipped_model_files  # noqa: E402
from fer.config import AnalyzerConfig  # noqa: E402
from fer.data import load_fer2013  # noqa: E402
from fer.live import LiveSession  # noqa: E402
from fer.mood import MoodTimeline  # noqa: E402
from fer.overlay import draw_faces  # noqa: E402
from fer.pipeline import Analyzer  # noqa: E402
from fer.tracking import FaceTracker  # noqa: E402
from scripts.common import DEFAULT_DATA, DEFAULT_VIDEO, machine  # noqa: E402
from scripts.gallery import build_gallery  # noqa: E402

SECTIONS = ("frames", "classifier", "sessions", "peer")
PEER_PYTHON = ROOT / ".peer-venv" / "bin" / "python"
SESSION_FPS = 15
SESSION_SIZE = (640, 480)
SUSTAINED = 0.9  # share of offered frames a session must analyse


def rss_mb() -> float:
    """This process's resident memory now, MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stats(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {"median_ms": round(float(np.median(a)), 2), "p90_ms": round(float(np.percentile(a, 90)), 2),
            "mean_ms": round(float(a.mean()), 2), "frames": len(a)}


def video_frames(video: Path) -> list[np.ndarray]:
    import av

    with av.open(str(video)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def time_cold(frames: list[np.ndarray], rounds: int) -> dict:
    """The plain path, every frame from scratch: search, classify (with mirror), track, mood, overlay."""
    analyzer, times, counts = Analyzer(), [], []
    analyzer.analyze(frames[0])
    for _ in range(rounds):
        tracker, mood = FaceTracker(), MoodTimeline()
        for bgr in frames:
            work = bgr.copy()  # each frame arrives as a fresh array; keep the copy out of the timing
            start = time.perf_counter()
            faces = tracker.update(analyzer.analyze(work))
            mood.update(faces)
            draw_faces(work, faces)
            times.append((time.perf_counter() - start) * 1000)
            counts.append(len(faces))
    return {**stats(times), **face_counts(counts, rounds)}


def time_search(frames: list[np.ndarray], rounds: int) -> dict:
    """The whole-frame Haar search alone (gray frame in, boxes out): the floor of the cold path."""
    from fer.detection import FaceDetector
    from fer.pipeline import as_gray

    detector, times = FaceDetector(), []
    for _ in range(rounds):
        for bgr in frames:
            gray = as_gray(bgr)
            start = time.perf_counter()
            detector.detect(gray)
            times.append((time.perf_counter() - start) * 1000)
    return stats(times)


def time_stream(frames: list[np.ndarray], rounds: int) -> dict:
    """The live path (``LiveSession.annotate``) over consecutive frames, a fresh session per round."""
    times, counts = [], []
    analyzer = Analyzer()
    for _ in range(rounds):
        session = LiveSession(analyzer)
        for bgr in frames:
            work = bgr.copy()
            start = time.perf_counter()
            _, faces = session.annotate(work)
            times.append((time.perf_counter() - start) * 1000)
            counts.append(len(faces))
    return {**stats(times), **face_counts(counts, rounds)}


def face_counts(counts: list[int], rounds: int) -> dict:
    first = counts[:len(counts) // rounds]
    return {"frames_with_faces": sum(c > 0 for c in first), "faces": sum(first), "min_faces": min(first)}


def bench_frames(video: Path, data: Path, rounds: int, gallery_frames: int) -> dict:
    frames = video_frames(video)
    faces = load_fer2013(data).split("PrivateTest").faces
    gallery = build_gallery(faces, frontal=True)
    return {
        "video": {"source": f"{video.name} ({frames[0].shape[1]}x{frames[0].shape[0]}, {len(frames)} frames)",
                  "cold": time_cold(frames, rounds), "stream": time_stream(frames, rounds),
                  "search": time_search(frames, rounds)},
        "gallery": {"source": "25 FER2013 PrivateTest faces, 1280x720 (scripts/gallery.py --frontal)",
                    "cold": time_cold([gallery] * gallery_frames, 1),
                    "stream": time_stream([gallery] * gallery_frames, 1),
                    "search": time_search([gallery] * 10, 1)},
        "_gallery": gallery,
    }


def bench_classifier(data: Path, batches: list[int], repeats: int) -> dict:
    faces = load_fer2013(data).split("PrivateTest").faces[..., None].astype(np.float32)
    out = {}
    for tta in (False, True):
        classifier = EmotionClassifier(shipped_model_files(), flip_tta=tta, num_threads=AnalyzerConfig().num_threads)
        for n in batches:
            classifier(faces[:n])  # sizes the interpreter's tensors
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                classifier(faces[:n])
                times.append(time.perf_counter() - start)
            out[f"{'face+mirror' if tta else 'one view'} batch {n}"] = round(float(np.median(times)) * 1000 / n, 3)
    return out


def letterbox(bgr: np.ndarray, width: int, height: int) -> np.ndarray:
    """``bgr`` scaled to fit ``width`` x ``height``, centred on black: a 4:3 camera's picture."""
    scale = min(width / bgr.shape[1], height / bgr.shape[0])
    inner = cv2.resize(bgr, (round(bgr.shape[1] * scale), round(bgr.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    out = np.zeros((height, width, 3), np.uint8)
    top, left = (height - inner.shape[0]) // 2, (width - inner.shape[1]) // 2
    out[top:top + inner.shape[0], left:left + inner.shape[1]] = inner
    return out


class SimulatedStream:
    """One viewer's stream: frames offered at a fixed rate, analysed by the session's own worker
    thread; a frame offered while the last one waits replaces it (streamlit-webrtc's async mode)."""

    def __init__(self, session: LiveSession) -> None:
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


def run_sessions(count: int, frames: list, seconds: float, files) -> tuple[float, float]:
    """Share of offered frames analysed by ``count`` simultaneous sessions, and the RSS at the end."""
    streams = [SimulatedStream(LiveSession(Analyzer(model_files=files))) for _ in range(count)]
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
        print(f"  {count} sessions: {share:.1%} of offered frames analysed, serving memory {serving:.0f} MB",
              file=sys.stderr, flush=True)
        if count == 1:
            memory["one_session_mb"] = round(serving)
        if share < SUSTAINED:
            break
        best = count
        memory["most_sessions_mb"] = round(serving)
    return {"sustained": best, "share_analysed": results, "seconds_each": seconds,
            "size": f"{SESSION_SIZE[0]}x{SESSION_SIZE[1]}", "fps": SESSION_FPS}, memory


def bench_browser(video_mjpeg: Path) -> dict:
    """The end-to-end test's live session: START to the first annotated frame in Chromium."""
    if os.geteuid() != 0:
        return {"error": "needs root (a private network namespace)"}
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(["unshare", "-n", sys.executable, str(ROOT / "tests" / "browser_session.py"),
                               str(video_mjpeg), str(Path(folder) / "shot.png")],
                              capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {k: result.get(k) for k in ("seconds_to_playing", "seconds_to_first_annotated_frame", "analysed_fps",
                                       "server_rss_mb_streaming")}


def bench_peer(python: Path, video: Path, gallery: np.ndarray | None, rounds: int, repeats: int) -> dict:
    if not python.exists():
        return {"error": f"no peer environment at {python.parent.parent}: run bash scripts/peer_env.sh"}
    with tempfile.TemporaryDirectory() as folder:
        command = [str(python), "-I", str(ROOT / "scripts" / "peer_fer.py"), "--video", str(video),
                   "--rounds", str(rounds)]
        if gallery is not None:  # a benchmark image of FER2013 faces, not anyone's camera
            image = Path(folder) / "gallery.png"
            cv2.imwrite(str(image), gallery)
            command += ["--image", str(image), "--repeat", str(repeats)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=folder, timeout=1800)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    out = {"peer": result["peer"]}
    for name in ("video", "image"):
        if result.get(name):
            part = result[name]
            out[name] = {**stats(part["ms"]), "frames_with_faces": part["frames_with_face"], "faces": part["faces"]}
    return out


def table(results: dict) -> str:
    rows = [("what", "figure")]
    for name in ("video", "gallery"):
        part = results.get("frames", {}).get(name)
        if part:
            for mode in ("cold", "stream"):
                s = part[mode]
                rows.append((f"{name} {mode}", f"median {s['median_ms']} ms, p90 {s['p90_ms']} ms, mean "
                             f"{s['mean_ms']} ms; {s['frames_with_faces']} frames with faces, {s['faces']} faces, "
                             f"at least {s['min_faces']} per frame"))
            s = part["search"]
            rows.append((f"{name} Haar search alone", f"median {s['median_ms']} ms, p90 {s['p90_ms']} ms"))
    peer = results.get("peer", {})
    for name, ours in (("video", "video"), ("image", "gallery")):
        if name in peer:
            s = peer[name]
            rows.append((f"peer {ours}", f"median {s['median_ms']} ms, p90 {s['p90_ms']} ms, mean {s['mean_ms']} ms; "
                         f"{s['frames_with_faces']} frames with faces, {s['faces']} faces"))
            mine = results.get("frames", {}).get(ours)
            if mine:
                rows.append((f"peer / ours, {ours}", f"cold {s['median_ms'] / mine['cold']['median_ms']:.1f}x "
                             f"(medians), stream {s['mean_ms'] / mine['stream']['mean_ms']:.1f}x (means)"))
    if "error" in peer:
        rows.append(("peer", peer["error"]))
    for key, value in results.get("classifier", {}).items():
        rows.append((f"classifier ms/face, {key}", str(value)))
    sessions = results.get("sessions")
    if sessions:
        rows.append((f"sessions {sessions['size']} {sessions['fps']} fps", f"{sessions['sustained']} sustained "
                     f"(>= {SUSTAINED:.0%} analysed); shares {sessions['share_analysed']}"))
    for key, value in results.get("memory", {}).items():
        rows.append((f"memory {key.replace('_', ' ')}", str(value)))
    for key, value in results.get("browser", {}).items():
        rows.append((f"browser {key.replace('_', ' ')}", str(value)))
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b}" for a, b in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--browser", action="store_true", help="also run the end-to-end browser session (root)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--rounds", type=int, default=2, help="passes over the video")
    parser.add_argument("--gallery-frames", type=int, default=60)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--repeats", type=int, default=50, help="classifier calls per batch size")
    parser.add_argument("--session-seconds", type=float, default=8.0)
    parser.add_argument("--max-sessions", type=int, default=16)
    parser.add_argument("--peer-python", type=Path, default=PEER_PYTHON)
    parser.add_argument("--sessions-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sections = {"sessions"} if args.sessions_child else set(args.only or SECTIONS)
    results: dict = {"machine": f"{machine()}, Python {platform.python_version()}", "memory": {}}
    print(results["machine"], flush=True)
    gallery = None
    if "frames" in sections:
        results["frames"] = bench_frames(args.video, args.data, args.rounds, args.gallery_frames)
        gallery = results["frames"].pop("_gallery")
    if "classifier" in sections:
        results["classifier"] = bench_classifier(args.data, args.batches, args.repeats)
    if args.sessions_child:
        results["sessions"], results["memory"] = bench_sessions(args.video, args.session_seconds, args.max_sessions)
    elif "sessions" in sections:
        # In a fresh process, so that its memory holds only the serving stack, with glibc's malloc
        # arenas capped as the Procfile caps them in the serving process.
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "sessions.json"
            subprocess.run([sys.executable, __file__, "--sessions-child", "--json", str(out), "--video",
                            str(args.video), "--session-seconds", str(args.session_seconds),
                            "--max-sessions", str(args.max_sessions)], check=True, stdout=subprocess.DEVNULL,
                           env={"MALLOC_ARENA_MAX": "2", **os.environ})
            child = json.loads(out.read_text())
        results["sessions"], results["memory"] = child["sessions"], child["memory"]
    if "peer" in sections:
        results["peer"] = bench_peer(args.peer_python, args.video, gallery, args.rounds, args.gallery_frames)
    if args.browser:
        results["browser"] = bench_browser(args.video.with_name("short_hamilton_clip_640x360_15fps.mjpeg"))
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
