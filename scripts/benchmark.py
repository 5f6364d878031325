"""Time the product's hot paths on this machine and print the figures.

* classifier: the served TFLite model through LiteRT, ms per call and per face at several
  batch sizes, with and without the app's flip test-time augmentation (one call either way);
* frames: ``Analyzer.analyze`` plus ``draw_faces`` on every frame of the shared face video
  (640x360), median and p90 ms per frame;
* video: video mode's throughput (decode, sample every ``--every`` s, analyse, track, mood),
  in analysed frames per second.

    python scripts/benchmark.py                 # both
    python scripts/benchmark.py --only classifier --batches 1 8 32
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from fer.classifier import EmotionClassifier, shipped_model_files  # noqa: E402
from fer.data import load_fer2013  # noqa: E402
from fer.overlay import draw_faces  # noqa: E402
from fer.pipeline import Analyzer  # noqa: E402
from scripts.common import DEFAULT_DATA, DEFAULT_VIDEO, machine  # noqa: E402


def bench_classifier(data: Path, batches: list[int], threads: int, repeats: int) -> None:
    faces = load_fer2013(data).split("PrivateTest").faces[..., None].astype(np.float32)
    print(f"\nclassifier (LiteRT, {threads} thread{'s' * (threads > 1)}, median of {repeats} calls)")
    print(f"{'batch':>5}  {'TTA':>4}  {'ms/call':>8}  {'ms/face':>8}")
    for tta in (False, True):
        classifier = EmotionClassifier(shipped_model_files(), flip_tta=tta, num_threads=threads)
        for n in batches:
            batch = faces[:n]
            classifier(batch)  # warm-up: sizes the interpreter's tensors
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                classifier(batch)
                times.append(time.perf_counter() - start)
            ms = float(np.median(times)) * 1000
            print(f"{n:5d}  {'flip' if tta else 'none':>4}  {ms:8.2f}  {ms / n:8.3f}")


def bench_frames(video: Path, rounds: int) -> None:
    import av

    with av.open(str(video)) as container:
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    analyzer = Analyzer()
    analyzer.analyze(frames[0])
    times, faces_found = [], 0
    for _ in range(rounds):
        for bgr in frames:
            work = bgr.copy()  # the live path owns a fresh array per frame; keep the copy out of the timing
            start = time.perf_counter()
            faces = analyzer.analyze(work)
            draw_faces(work, faces)
            times.append(time.perf_counter() - start)
            faces_found += bool(faces)
    ms = np.array(times) * 1000
    h, w = frames[0].shape[:2]
    print(f"\nframes: Analyzer.analyze + draw_faces, {len(frames)} frames of {video.name} ({w}x{h}) x {rounds}")
    print(f"median {np.median(ms):.1f} ms, p90 {np.percentile(ms, 90):.1f} ms, mean {ms.mean():.1f} ms; "
          f"frames with a face: {faces_found // rounds} of {len(frames)}")


def bench_video(video: Path, every_s: float, rounds: int) -> None:
    from fer.batch import analyze_video
    from fer.media import VideoReader
    from fer.mood import MoodTimeline

    analyzer = Analyzer()
    samples, start = 0, time.perf_counter()
    for _ in range(rounds):
        with VideoReader(video, every_s) as reader:
            samples += sum(1 for _ in analyze_video(analyzer, reader, mood=MoodTimeline()))
    seconds = time.perf_counter() - start
    print(f"\nvideo mode: {video.name}, one frame every {every_s} s, x {rounds}: {samples} frames analysed "
          f"in {seconds:.2f} s = {samples / seconds:.1f} analysed frames per second")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["classifier", "frames", "video"])
    parser.add_argument("--every", type=float, default=0.1, help="video mode's sampling interval, seconds")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--threads", type=int, default=1, help="LiteRT interpreter threads")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the video")
    args = parser.parse_args(argv)
    print(f"{machine()}, Python {platform.python_version()}")
    if args.only in (None, "classifier"):
        bench_classifier(args.data, args.batches, args.threads, args.repeats)
    if args.only in (None, "frames"):
        bench_frames(args.video, args.rounds)
    if args.only in (None, "video"):
        bench_video(args.video, args.every, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
