"""The benchmark's peer figures: the PyPI package ``fer`` on the same frames, in its own environment."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np

from scripts.bench.frames import stats
from scripts.training.common import ROOT

PEER_PYTHON = ROOT / ".peer-venv" / "bin" / "python"


def bench_peer(python: Path, video: Path, gallery: np.ndarray | None, rounds: int, repeats: int) -> dict:
    """``scripts/bench/peer_fer.py`` run by the peer's interpreter in isolated mode (the project's ``fer``
    must not shadow the peer's), from a scratch folder; its timings summarised as ours are."""
    if not python.exists():
        return {"error": f"no peer environment at {python.parent.parent}: run bash scripts/bench/peer_env.sh"}
    with tempfile.TemporaryDirectory() as folder:
        command = [
            str(python),
            "-I",
            str(ROOT / "bench" / "peer_fer.py"),
            "--video",
            str(video.resolve()),
            "--rounds",
            str(rounds),
        ]
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
