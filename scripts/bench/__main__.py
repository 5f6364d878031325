"""Measure the product as its users run it, beside the peer (the PyPI package ``fer``), in one table.

* frames: ms per frame (median, p90, mean) of the whole per-frame path (analyse, track, mood,
  overlay) on every frame of the shared face video (640x360, one face) and on a 1280x720 gallery
  of 25 real FER2013 faces (``scripts/bench/gallery.py --frontal``), both cold (``FrameAnalyzer.analyze``:
  every frame searched and classified from scratch, each face in its six views) and as a
  stream (``LiveAnnotator``: what the live page runs, see ``fer/video/stream.py``); and the Haar search
  alone, the floor of the cold path;
* classifier: ms per face at batch 1, 8 and 32 (one view, and the six views of a photo's face), with
  the analyzer's LiteRT thread count; with ``--widths``, the same for wider nets (untrained, int8);
* sessions: the most simultaneous 640x480 15 fps sessions with at least 90% of offered frames
  analysed. Each session is a ``LiveAnnotator`` (its own stream analyzer, tracker and mood) fed real video
  frames as ``av.VideoFrame`` s the way streamlit-webrtc's async processing does: a frame that
  arrives while the previous one is still being analysed replaces it, unanalysed;
* memory: resident memory of a process holding the serving stack (streamlit, streamlit-webrtc,
  aiortc, fer) after start-up, with one session streaming, and with the most sessions;
* browser (``--browser``, root only): the end-to-end test's session (``tests/browser_session.py``):
  seconds from START to the first annotated frame in Chromium on a server whose page is loaded,
  and the real serving process's resident memory while it streams;
* peer: the same video frames and gallery through ``FER(mtcnn=False).detect_emotions`` in its own
  virtual environment (``bash scripts/bench/peer_env.sh`` makes ``.peer-venv``), and the ratios.

    python -m scripts.bench                            # everything but the browser
    python -m scripts.bench --browser --json bench.json
    python -m scripts.bench --only classifier frames

The sections live in ``scripts/bench/frames.py``, ``sessions.py`` and ``peer.py``; the class page's figures
are ``scripts.bench.class_page``'s, the recorded lessons' ``scripts.bench.recorded``'s, the Heroku slug's
``scripts.bench.deploy_size``'s, the lessons database's ``scripts.bench.database``'s.
A huge photo's memory on the photo page and in the CLI: ``python -m scripts.bench.photo_memory``. The
labelled call galleries' seats and labels: ``python -m scripts.bench.galleries``; the check-ins' precision,
recall and false alarms on them: ``python -m scripts.bench.alerts``.
"""

from __future__ import annotations

# The serving stack, loaded first as the app loads it (and counted in the sessions' memory).
import streamlit_webrtc  # noqa: F401, I001  # isort: skip

import argparse
import platform
from pathlib import Path

from scripts.bench.frames import bench_classifier, bench_frames
from scripts.bench.peer import PEER_PYTHON, bench_peer
from scripts.bench.sessions import SUSTAINED, bench_browser, bench_sessions, sessions_in_child
from scripts.training.common import DEFAULT_DATA, DEFAULT_VIDEO, finish, machine

SECTIONS = ("frames", "classifier", "sessions", "peer")


def table(results: dict) -> str:
    rows = [("what", "figure")]
    for name in ("video", "gallery"):
        part = results.get("frames", {}).get(name)
        if part:
            for mode in ("cold", "stream"):
                s = part[mode]
                rows.append(
                    (
                        f"{name} {mode}",
                        f"median {s['median_ms']} ms, p90 {s['p90_ms']} ms, mean "
                        f"{s['mean_ms']} ms; {s['frames_with_faces']} frames with faces, {s['faces']} faces, "
                        f"at least {s['min_faces']} per frame",
                    )
                )
            s = part["search"]
            rows.append((f"{name} Haar search alone", f"median {s['median_ms']} ms, p90 {s['p90_ms']} ms"))
    peer = results.get("peer", {})
    for name, ours in (("video", "video"), ("image", "gallery")):
        if name in peer:
            s = peer[name]
            rows.append(
                (
                    f"peer {ours}",
                    f"median {s['median_ms']} ms, p90 {s['p90_ms']} ms, mean {s['mean_ms']} ms; "
                    f"{s['frames_with_faces']} frames with faces, {s['faces']} faces",
                )
            )
            mine = results.get("frames", {}).get(ours)
            if mine:
                rows.append(
                    (
                        f"peer / ours, {ours}",
                        f"cold {s['median_ms'] / mine['cold']['median_ms']:.1f}x "
                        f"(medians), stream {s['mean_ms'] / mine['stream']['mean_ms']:.1f}x (means)",
                    )
                )
    if "error" in peer:
        rows.append(("peer", peer["error"]))
    for key, value in results.get("classifier", {}).items():
        rows.append((f"classifier ms/face, {key}", str(value)))
    sessions = results.get("sessions")
    if sessions:
        rows.append(
            (
                f"sessions {sessions['size']} {sessions['fps']} fps",
                f"{sessions['sustained']} sustained (>= {SUSTAINED:.0%} analysed); shares {sessions['share_analysed']}",
            )
        )
    for key, value in results.get("memory", {}).items():
        rows.append((f"memory {key.replace('_', ' ')}", str(value)))
    for key, value in results.get("browser", {}).items():
        rows.append((f"browser {key.replace('_', ' ')}", str(value)))
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b}" for a, b in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--browser", action="store_true", help="also run the end-to-end browser session (root)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--rounds", type=int, default=2, help="passes over the video")
    parser.add_argument("--gallery-frames", type=int, default=60)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--repeats", type=int, default=50, help="classifier calls per batch size")
    parser.add_argument(
        "--widths", nargs="*", default=[], help='also time nets of these filters, e.g. "64,128,256,512" (classifier)'
    )
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
        results["frames"], gallery = bench_frames(args.video, args.data, args.rounds, args.gallery_frames)
    if "classifier" in sections:
        results["classifier"] = bench_classifier(args.data, args.batches, args.repeats, args.widths)
    if args.sessions_child:
        results["sessions"], results["memory"] = bench_sessions(args.video, args.session_seconds, args.max_sessions)
    elif "sessions" in sections:
        results["sessions"], results["memory"] = sessions_in_child(args.video, args.session_seconds, args.max_sessions)
    if "peer" in sections:
        results["peer"] = bench_peer(args.peer_python, args.video, gallery, args.rounds, args.gallery_frames)
    if args.browser:
        results["browser"] = bench_browser(args.video.with_name("short_hamilton_clip_640x360_15fps.mjpeg"))
    return finish(table(results), results, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
