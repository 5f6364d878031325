"""A teacher's answers on the training faces, for a net distilled from it (``fit --teacher``).

Runs a model folder exactly as the app serves it (the TFLite file through LiteRT, the app's views of
each face averaged, no calibration) on every Training face of FER2013 and writes the probabilities,
keyed by each face's name, to a ``.npz`` file: ``names`` ``(N,)``, ``probs`` ``(N, 7)`` float32 and
``teacher`` (what answered: the folder, its card's training summary and the views). A pair's folder
(``scripts.training.pair``) gives the pair's averaged answers, which a single net then learns.

    python -m scripts.training.teach --model-dir runs/pair --out runs/pair/teacher.npz
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from fer.recognition.emotion_model import EmotionModel
from fer.recognition.face_classifier import FaceClassifier
from fer.recognition.model_card import VIEWS, ModelError, read_model_files
from fer.training.data import DataError, FerData, load_fer2013
from scripts.training.common import DEFAULT_DATA
from scripts.training.evaluate import view_probabilities


def teacher_probabilities(classifier: FaceClassifier, data: FerData, limit: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The names and ``(N, 7)`` served-view probabilities of ``data``'s Training faces (the first ``limit``)."""
    training = data.split("Training")
    if limit:
        training = training.select(slice(0, limit))
    return training.names, view_probabilities(classifier, training.faces).astype(np.float32)


def load_teacher(path: Path | str, names: np.ndarray) -> tuple[np.ndarray, dict]:
    """The teacher's ``(N, 7)`` probabilities of the faces ``names``, in their order, and what the teacher was;
    a face the file does not hold, or a file that is not a teacher's, is refused."""
    with np.load(path, allow_pickle=False) as saved:
        if "names" not in saved or "probs" not in saved:
            raise ValueError(f"{path}: not a teacher's file (no names or probs)")
        taught, probs = saved["names"], saved["probs"]
        teacher = json.loads(str(saved["teacher"])) if "teacher" in saved else {}
    if probs.ndim != 2 or probs.shape != (len(taught), 7) or not np.all(np.isfinite(probs)):
        raise ValueError(f"{path}: its probabilities are not (faces, 7) finite numbers")
    index = {name: i for i, name in enumerate(taught.tolist())}
    missing = [name for name in names.tolist() if name not in index]
    if missing:
        raise ValueError(f"{path}: no answer for {len(missing)} of the faces, e.g. {missing[0]}")
    return probs[[index[name] for name in names.tolist()]], teacher


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", required=True, type=Path, help="the teacher: a model folder, served as the app")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="FER2013 image release (folder or tar)")
    parser.add_argument("--out", required=True, type=Path, help="the .npz file to write")
    parser.add_argument("--limit", type=int, default=0, help="only the first N Training faces (as fit's --limit)")
    args = parser.parse_args(argv)
    try:
        files = read_model_files(args.model_dir)
        data = load_fer2013(args.data)
    except (ModelError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    start = time.perf_counter()
    names, probs = teacher_probabilities(FaceClassifier(EmotionModel(files)), data, args.limit)
    teacher = {"model_dir": str(args.model_dir), "training": files.card.training.get("served", "one net")}
    teacher |= {"views": VIEWS, "faces": len(names)}
    np.savez_compressed(args.out, names=names, probs=probs, teacher=json.dumps(teacher))
    print(f"{len(names)} Training faces answered in {time.perf_counter() - start:.0f} s; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
