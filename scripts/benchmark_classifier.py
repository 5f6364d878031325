"""Time the served classifier (TFLite through LiteRT) per face at several batch sizes.

Prints the median ms per call and per face over real FER2013 faces, with and without the app's
flip test-time augmentation (which doubles the batch inside one call).

    python scripts/benchmark_classifier.py --batches 1 8 32 --threads 1
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from fer.classifier import MODEL_DIR, EmotionClassifier, read_model_files  # noqa: E402
from fer.data import load_fer2013  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared/data/fer2013/fer2013-images.tar.gz"


def time_calls(classifier: EmotionClassifier, faces: np.ndarray, repeats: int) -> list[float]:
    classifier(faces)  # warm-up: resizes and allocates the interpreter's tensors
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        classifier(faces)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--threads", type=int, default=1, help="LiteRT interpreter threads")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)

    files = read_model_files(args.model_dir)
    faces = load_fer2013(args.data).split("PrivateTest").faces[..., None].astype(np.float32)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"LiteRT threads {args.threads}; {args.repeats} calls per row")
    print(f"{'batch':>5}  {'TTA':>4}  {'ms/call':>8}  {'ms/face':>8}")
    for tta in (False, True):
        classifier = EmotionClassifier(files, flip_tta=tta, num_threads=args.threads)
        for n in args.batches:
            median = float(np.median(time_calls(classifier, faces[:n], args.repeats))) * 1000
            print(f"{n:5d}  {'flip' if tta else 'none':>4}  {median:8.2f}  {median / n:8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
