"""Benchmark recorded lessons: how many times faster than real time, on recordings of real faces.

Builds its recordings with tests/fixtures/lesson_video.py (H.264, 25 frames a second, a keyframe every
4 s, B-frames, as call apps record) and times, for each:

* ``decode``: decoding alone, as the analysis decodes (codec threads, unreferenced frames between
  samples skipped, only the samples converted);
* ``library``: :func:`fer.classroom.recorded.analyze_recording` into a lesson, with the video page's previews;
* ``cli``: ``python -m fer analyze FILE --seats --report R`` as a user runs it, start-up included;
* ``page``: the video page itself (Streamlit's AppTest: upload, "Analyse the video"), read from
  the speed the page reports;
* ``faces``: on the same samples, the plain search of every sample (the cascade on each) against
  the stream: faces found per sample, and the faces the plain search finds in two consecutive
  samples (of a gallery face's size) that the stream does not report: at once, or even by its
  next search.

The recordings: 1280x720 with 25 faces and 1920x1080 with 49, sampled at 2 frames a second, and
the shared single-face 640x360 video (played over and over for as long) with every frame analysed.

* ``peer_video`` (with ``--peer``): the PyPI peer ``fer``'s own ``Video`` analysis of the same
  gallery recordings at the same sampling (scripts/bench/peer_video.py, in the environment
  scripts/bench/peer_env.sh builds), and how many times faster the library is.

    python -m scripts.bench.recorded [--seconds 120] [--skip-page] [--peer] [--only 1280] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from fer.classroom.layout import MAX_SIDE
from fer.classroom.lesson import Lesson
from fer.classroom.recorded import Previews, analyze_recording, recording_analyzer
from fer.config import GALLERY_DETECTOR
from fer.media import VideoReader
from fer.recognition.detection import FaceDetector
from fer.video.tracking import iou_matrix
from scripts.bench.peer import PEER_PYTHON
from scripts.training.common import ROOT, finish, machine
from tests.fixtures import EVERY_FRAME
from tests.fixtures.lesson_video import Scene, write_lesson, write_looped

RECORDINGS = {  # name: (layout, size, sample every s)
    "1280x720, 25 faces, 2 fps": ((5, 5), (1280, 720), 0.5),
    "1920x1080, 49 faces, 2 fps": ((7, 7), (1920, 1080), 0.5),
}


def time_decode(path: Path, every_s: float) -> float:
    started = time.perf_counter()
    with VideoReader(path, every_s) as reader:
        for sample in reader:
            sample.gray  # noqa: B018 - the conversion the analysis asks for
    return time.perf_counter() - started


def time_library(path: Path, every_s: float) -> dict:
    lesson = Lesson.of_recording(path.name)
    previews = Previews(max(every_s, 10.0))
    started = time.perf_counter()
    with VideoReader(path, every_s) as reader:
        analyzer = recording_analyzer(every_s=every_s)
        samples = sum(1 for _ in analyze_recording(analyzer, reader, lesson, on_sample=previews.keep))
        decode_s = reader.decode_s
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "decode_in_it_s": round(decode_s, 2), "samples": samples}


def time_cli(path: Path, every_s: float) -> float:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "fer", "analyze", str(path), "--every", str(every_s), "--seats"]
        command += ["-o", f"{folder}/seats.csv", "--report", f"{folder}/report.html"]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        return time.perf_counter() - started


def page_speed(path: Path, every_s: float) -> float | None:
    """The real-time factor the video page reports for ``path``."""
    import re

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1800)
    at.session_state["mode"] = "Video"
    at.run()
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "video/mp4"))
    at.number_input[0].set_value(every_s)
    at.run()
    next(b for b in at.button if b.label == "Analyse the video").click().run()
    caption = next((c.value for c in at.caption if "real time" in c.value), "")
    found = re.search(r"\(([\d.]+)x real time", caption)
    return float(found[1]) if found else None


def faces_against_plain_search(path: Path, every_s: float) -> dict:
    """The stream's faces against a plain search of every sample."""
    detector = FaceDetector(GALLERY_DETECTOR)
    analyzer = recording_analyzer(every_s=every_s)
    search_every = analyzer.config.detect_every
    plain, stream = [], []
    with VideoReader(path, every_s) as reader:
        lesson = Lesson.of_recording(path.name)
        on_sample = lambda result, sample: plain.append(detector.detect(sample.gray))  # noqa: E731
        for result in analyze_recording(analyzer, reader, lesson, on_sample=on_sample):
            stream.append([f.box for f in result.faces])
    missed = late = total = 0
    for n in range(1, len(plain)):
        if not plain[n]:
            continue
        # Faces of sample n the plain search also found in sample n - 1, of a gallery face's size
        # (not the cascade's false faces across several tiles, which the seats ignore too).
        side = np.median([b[2] for b in plain[n]])
        steady = [
            b
            for b, row in zip(plain[n], iou_matrix(plain[n], plain[n - 1]) >= 0.3, strict=True)
            if row.any() and b[2] <= MAX_SIDE * side
        ]
        total += len(steady)
        for box in steady:
            if stream[n] and (iou_matrix([box], stream[n]) >= 0.3).any():
                continue
            # Not reported now: reported at the latest by the stream's next search?
            ahead = stream[n + 1 : n + 1 + search_every]
            if any(boxes and (iou_matrix([box], boxes) >= 0.3).any() for boxes in ahead):
                late += 1
            else:
                missed += 1
    return {
        "samples": len(plain),
        "plain_faces_median": float(np.median([len(b) for b in plain])),
        "stream_faces_median": float(np.median([len(b) for b in stream])),
        "steady_faces": total,
        "steady_faces_reported_late": late,
        "steady_faces_missed": missed,
        "search_every_samples": search_every,
    }


def peer_video(path: Path, every_s: float, fps: int) -> dict:
    """The peer's own ``Video`` analysis of ``path``, every ``fps * every_s``-th frame
    (scripts/bench/peer_video.py in the peer's environment, from a scratch folder)."""
    if not PEER_PYTHON.exists():
        return {"error": f"no peer environment at {PEER_PYTHON.parent.parent}: run bash scripts/bench/peer_env.sh"}
    frequency = max(1, round(fps * every_s))
    with tempfile.TemporaryDirectory() as folder:
        command = [str(PEER_PYTHON), "-I", str(ROOT / "bench" / "peer_video.py"), "--video", str(path.resolve())]
        done = subprocess.run(
            [*command, "--frequency", str(frequency)], capture_output=True, text=True, cwd=folder, timeout=3600
        )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    return {"frequency": frequency, **json.loads(done.stdout.strip().splitlines()[-1])}


def bench(path: Path, every_s: float, duration_s: float, page: bool) -> dict:
    decode = time_decode(path, every_s)
    library = time_library(path, every_s)
    cli = time_cli(path, every_s)
    figures = {
        "seconds_of_video": round(duration_s, 1),
        "decode_s": round(decode, 2),
        "decode_x_real_time": round(duration_s / decode, 1),
        "library": library,
        "library_x_real_time": round(duration_s / library["seconds"], 1),
        "cli_s": round(cli, 2),
        "cli_x_real_time": round(duration_s / cli, 1),
    }
    if page:
        figures["page_x_real_time"] = page_speed(path, every_s)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120, help="length of the built recordings")
    parser.add_argument("--skip-page", action="store_true", help="leave out the page's own figure")
    parser.add_argument(
        "--peer", action="store_true", help="also time the peer's Video analysis (scripts/bench/peer_env.sh)"
    )
    parser.add_argument("--only", help="run only the recordings whose name starts with this")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    figures: dict = {"machine": machine()}
    with tempfile.TemporaryDirectory() as folder:
        for name, ((rows, cols), (width, height), every_s) in RECORDINGS.items():
            if args.only and not name.startswith(args.only):
                continue
            path = Path(folder) / f"lesson-{width}x{height}.mp4"
            started = time.perf_counter()
            write_lesson(path, [Scene(0, rows, cols)], args.seconds, width=width, height=height, fps=25)
            print(f"{name}: built {args.seconds:.0f} s in {time.perf_counter() - started:.0f} s", flush=True)
            figures[name] = bench(path, every_s, args.seconds, not args.skip_page)
            figures[name]["faces"] = faces_against_plain_search(path, every_s)
            if args.peer:
                peer = peer_video(path, every_s, fps=25)
                if "seconds" in peer:
                    peer["x_real_time"] = round(args.seconds / peer["seconds"], 2)
                    peer["ours_over_peer"] = round(peer["seconds"] / figures[name]["library"]["seconds"], 1)
                figures[name]["peer_video"] = peer
            print(f"{name}: {json.dumps(figures[name])}", flush=True)
        # The page samples at most ten frames a second: this one is the library's and the CLI's.
        name = "640x360, 1 face, every frame"
        if args.only and not name.startswith(args.only):
            return finish("done", figures, args.json)
        path = write_looped(Path(folder) / "singer.mp4", args.seconds)
        figures[name] = bench(path, EVERY_FRAME, args.seconds, page=False)
        print(f"{name}: {json.dumps(figures[name])}", flush=True)
    return finish("done", figures, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
