"""Calibrate the served model's confidence: one temperature, fitted on PublicTest, checked on PrivateTest.

The served probabilities (the TFLite file through LiteRT, each face's six views averaged, as the app
runs it) are scaled as softmax(log(p) / T). T is the one that minimises the negative log-likelihood of
the FER+ majority labels of PublicTest; the expected calibration error (15 bins of the top emotion's
probability) is reported on PrivateTest before and after, and both go onto the card, where the app
reads T. The likeliest emotion of a face never changes, so no accuracy figure does.

    python -m scripts.training.calibrate
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from fer.recognition.emotion_model import EmotionModel
from fer.recognition.face_classifier import FaceClassifier, temper
from fer.recognition.model_card import MODEL_DIR, read_model_files
from fer.training.data import load_fer2013
from fer.training.ferplus import load_votes, majority_labels
from fer.training.metrics import expected_calibration_error
from scripts.training.common import DEFAULT_DATA, DEFAULT_VOTES, finish
from scripts.training.evaluate import view_probabilities

BINS = 15
TEMPERATURES = np.exp(np.linspace(np.log(0.25), np.log(4.0), 401))  # the search grid, 0.7% apart


def negative_log_likelihood(probs: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    return float(-np.log(np.clip(temper(probs, temperature)[np.arange(len(labels)), labels], 1e-7, 1.0)).mean())


def fit_temperature(probs: np.ndarray, labels: np.ndarray) -> float:
    """The temperature of :data:`TEMPERATURES` with the least negative log-likelihood of ``labels``."""
    return float(min(TEMPERATURES, key=lambda t: negative_log_likelihood(probs, labels, t)))


def rated(data, votes, split: str, classifier: FaceClassifier) -> tuple[np.ndarray, np.ndarray]:
    """Served probabilities and FER+ majority labels of ``split``'s faces that have one."""
    faces = data.split(split)
    labels = majority_labels(votes.aligned(faces.names))
    keep = labels >= 0
    return view_probabilities(classifier, faces.faces[keep]), labels[keep]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--votes", type=Path, default=DEFAULT_VOTES)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    files = read_model_files(args.model_dir)
    data, votes = load_fer2013(args.data), load_votes(args.votes)
    classifier = FaceClassifier(EmotionModel(files))  # as served, before any calibration
    public, public_labels = rated(data, votes, "PublicTest", classifier)
    private, private_labels = rated(data, votes, "PrivateTest", classifier)
    temperature = fit_temperature(public, public_labels)
    calibration = {
        "by": "scripts.training.calibrate",
        "temperature": round(temperature, 4),
        "fitted_on": f"PublicTest, FER+ majority labels ({len(public_labels)} faces), least negative log-likelihood",
        "ece_bins": BINS,
        "private_faces": len(private_labels),
        "private_ece_before": round(expected_calibration_error(private, private_labels, BINS), 4),
        "private_ece_after": round(expected_calibration_error(temper(private, temperature), private_labels, BINS), 4),
        "private_nll_before": round(negative_log_likelihood(private, private_labels, 1.0), 4),
        "private_nll_after": round(negative_log_likelihood(private, private_labels, temperature), 4),
    }
    assert (temper(private, temperature).argmax(1) == private.argmax(1)).all()  # no label changes
    replace(files.card, calibration=calibration).write(args.model_dir)
    return finish(f"calibration: {json.dumps(calibration)}", calibration, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
