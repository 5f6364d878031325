"""Time the peer, the PyPI package ``fer`` 25.10.3, analysing a recording with its own ``Video`` class.

Run it with the peer's own venv (``bash scripts/bench/peer_env.sh`` makes ``.peer-venv``), in isolated
mode so that the project's own ``fer/`` can never shadow the peer; it imports nothing from the
project, and runs from a scratch folder (the peer makes an output folder where it runs):

    .peer-venv/bin/python -I scripts/bench/peer_video.py --video lesson.mp4 --frequency 12

``Video(path).analyze(FER(mtcnn=False), frequency=N)`` runs the peer's detector on every Nth
frame, as its users run it to sample a video, with nothing saved (no frames, no video, no zip)
and no display (its calls to OpenCV's window functions, which headless OpenCV refuses, are
made no-ops). The last stdout line is one JSON object: ``{"peer", "seconds", "rows", "faces"}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
import warnings


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--video", required=True)
    parser.add_argument("--frequency", type=int, required=True, help="analyse every Nth frame")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import cv2

    # The peer calls cv2.waitKey(1) on every analysed frame and cv2.destroyAllWindows() when done,
    # which headless OpenCV (the only OpenCV on a server) refuses: both are made no-ops, which
    # takes nothing from the analysis it times.
    cv2.waitKey = lambda *args: -1
    cv2.destroyAllWindows = lambda: None
    import fer
    from fer.classes import Video
    from fer.fer import FER

    detector = FER(mtcnn=False)
    started = time.perf_counter()
    video = Video(args.video, outdir="peer-output")
    data = video.analyze(
        detector,
        display=False,
        frequency=args.frequency,
        save_frames=False,
        save_video=False,
        annotate_frames=False,
        zip_images=False,
        output="pandas",
    )
    seconds = time.perf_counter() - started
    faces = int(data.filter(like="box").notna().sum().sum()) if len(data) else 0
    print(json.dumps({"peer": fer.__version__, "seconds": round(seconds, 2), "rows": len(data), "faces": faces}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
