"""Score a model on ../shared/data/faces_wild/ through the whole pipeline, as a user runs it.

Runs ``python -m fer analyze`` (Haar cascade, crop, the int8 TFLite file, each face's views averaged) on
the 311 real 350x350 photos and takes each photo's largest face (``face_id`` 1) as its label. A
photo where no face is found counts as wrong. The photos' labels are noisy (see the data's README):
the figure compares models and pipelines, it is not an absolute accuracy.

    python -m scripts.training.faces_wild                       # the served model
    python -m scripts.training.faces_wild --model-dir some/dir  # another model's files
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from fer.labels import LABELS
from fer.recognition.model_card import MODEL_DIR
from fer.training.metrics import classification_report
from scripts.training.common import ROOT, SHARED

WILD = SHARED / "faces_wild"


def wild_labels(folder: Path = WILD) -> dict[str, str]:
    """Image path (as the CLI names its source) -> label, from the folder's ``labels.csv``."""
    with (folder / "labels.csv").open(newline="", encoding="utf-8") as f:
        return {str(folder / row["file"]): row["label"] for row in csv.DictReader(f)}


def score_faces_wild(model_dir: Path = MODEL_DIR, folder: Path = WILD) -> dict:
    """Accuracy over every photo, faces found, and recall per class (classes with photos only)."""
    truth = wild_labels(folder)
    done = subprocess.run(
        [sys.executable, "-m", "fer", "analyze", "--format", "json", "--model-dir", str(model_dir), *truth],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    largest = {row["source"]: row["label"] for row in json.loads(done.stdout) if row["face_id"] == 1}
    true = np.array([LABELS.index(label) for label in truth.values()])
    # A photo without a face gets -1, which matches no label.
    predicted = np.array([LABELS.index(largest[path]) if path in largest else -1 for path in truth])
    found = predicted >= 0
    report = classification_report(true[found], predicted[found])
    present = sorted({LABELS[i] for i in true})
    recall = {
        label: round(float((predicted[true == LABELS.index(label)] == LABELS.index(label)).mean()), 3)
        for label in present
    }
    return {
        "by": "scripts.training.faces_wild",
        "photos": len(truth),
        "faces_found": int(found.sum()),
        "accuracy": round(float((predicted == true).mean()), 4),
        "accuracy_faces_found": round(report.accuracy, 4),
        "recall": recall,
        "confusion_faces_found": report.confusion.tolist(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    scores = score_faces_wild(args.model_dir.resolve())
    print(json.dumps({k: v for k, v in scores.items() if k != "confusion_faces_found"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
