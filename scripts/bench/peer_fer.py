"""Time the peer, the PyPI package ``fer`` 25.10.3, on a video and optionally an image.

Run it with the peer's own venv (``bash scripts/bench/peer_env.sh`` makes ``.peer-venv``), in
isolated mode so neither the script's folder nor the cwd is on ``sys.path`` and the project's
own ``fer/`` can never shadow the peer; it imports nothing from the project:

    .peer-venv/bin/python -I scripts/bench/peer_fer.py --video ../shared/data/video/short_hamilton_clip.mp4
    .peer-venv/bin/python -I scripts/bench/peer_fer.py --video clip.mp4 --image gallery.png --repeat 50

``FER(mtcnn=False)`` (Haar cascade + the peer's default quantized TFLite model) is built once;
each ``detector.detect_emotions(frame)`` call is timed with ``time.perf_counter``. The video is
decoded with ``cv2.VideoCapture`` up front (decoding is not timed), ``--warmup`` untimed calls
on its first frames come first, then ``--rounds`` timed passes over every frame; the image is
timed ``--repeat`` times after the same warm-up. Faces are counted on the first pass.

Threading is left at the peer's defaults, as its users run it: TensorFlow's intra/inter-op pools
at 0 (= TF decides), the ``tf.lite.Interpreter`` built without ``num_threads`` (TFLite's
default; ``null`` in the JSON), OpenCV's own pool (``cv2.getNumThreads()``, all cores) for the cascade.

The last stdout line is one JSON object: ``{"peer", "video": {"frames", "rounds", "ms",
"median_ms", "p90_ms", "frames_with_face", "faces"}, "image": {...} or null, "tensorflow",
"threads"}``; ``ms`` holds every timed call, ``frames * rounds`` of them (``rounds`` is
``--repeat`` for the image, whose ``frames`` is 1).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import cv2
import numpy as np

PEER_VERSION = "25.10.3"


def load_peer():
    """The peer's ``FER`` class and TensorFlow; fails unless ``fer`` is the PyPI package."""
    import tensorflow as tf

    import fer
    from fer.fer import FER

    version = getattr(fer, "__version__", None)
    if version != PEER_VERSION:
        raise SystemExit(
            f"expected the PyPI fer {PEER_VERSION}, found {version} at {fer.__file__}: "
            "run with the peer venv's python and -I"
        )
    return FER, tf


def read_video(path: Path) -> list[np.ndarray]:
    """Every frame of ``path`` as BGR arrays, decoded by OpenCV."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(frame)
    finally:
        capture.release()
    if not frames:
        raise SystemExit(f"no frames decoded from {path}")
    return frames


def time_frames(detector, frames: list[np.ndarray], rounds: int, warmup: int) -> dict:
    """Per-call ms of ``detect_emotions`` over ``rounds`` passes, and the faces of the first pass."""
    for i in range(warmup):
        detector.detect_emotions(frames[i % len(frames)])
    ms, with_face, faces = [], 0, 0
    for round_ in range(rounds):
        for frame in frames:
            start = time.perf_counter()
            found = detector.detect_emotions(frame)
            ms.append((time.perf_counter() - start) * 1000)
            if round_ == 0:
                with_face += bool(found)
                faces += len(found)
    return {
        "frames": len(frames),
        "rounds": rounds,
        "ms": [round(m, 3) for m in ms],
        "median_ms": round(float(np.median(ms)), 3),
        "p90_ms": round(float(np.percentile(ms, 90)), 3),
        "frames_with_face": with_face,
        "faces": faces,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, required=True, help="video file, decoded by cv2.VideoCapture")
    parser.add_argument("--image", type=Path, help="one image (e.g. a 1280x720 class gallery) to time too")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls on --image")
    parser.add_argument("--rounds", type=int, default=1, help="timed passes over the video")
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls before timing")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.repeat < 1 or args.warmup < 0:
        parser.error("--rounds and --repeat must be at least 1, --warmup at least 0")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow loads: keep stdout clean
    warnings.filterwarnings("ignore", message=r"(?s).*(tf\.lite\.Interpreter is deprecated|pkg_resources)")
    FER, tf = load_peer()
    frames = read_video(args.video)
    image = None
    if args.image is not None:
        image = cv2.imread(str(args.image), cv2.IMREAD_COLOR)
        if image is None:
            parser.error(f"cannot read image {args.image}")

    detector = FER(mtcnn=False)
    result = {
        "peer": f"fer {PEER_VERSION}",
        "video": time_frames(detector, frames, args.rounds, args.warmup),
        "image": None if image is None else time_frames(detector, [image], args.repeat, args.warmup),
        "tensorflow": tf.__version__,
        "threads": {
            "opencv": cv2.getNumThreads(),
            "tf_intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
            "tf_inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
            "tflite_num_threads": None,
            "cpu_count": os.cpu_count(),
        },
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
