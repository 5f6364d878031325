"""Export a training run's chosen checkpoint into ``model/``.

Writes ``emotion_cnn.keras`` (float32), ``emotion_cnn.tflite`` (the serving file: float32
``[N,48,48,1]`` raw 0..255 in, ``[N,7]`` probabilities out, N variable) and ``metadata.json``
(labels, input contract, crop convention, training config and history, hardware, wall time,
checksums, Keras/TFLite parity on real FER2013 faces). ``scripts/evaluate.py`` adds the metrics.

    python scripts/export.py --run runs/main
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from fer.classifier import METADATA_NAME, TFLITE_NAME, EmotionClassifier, ModelFiles, sha256  # noqa: E402
from fer.data import load_fer2013  # noqa: E402
from fer.labels import LABELS  # noqa: E402
from fer.model import ModelConfig, build_model  # noqa: E402

KERAS_NAME = "emotion_cnn.keras"
PARITY_FACES = 512
PARITY_TOLERANCE = 1e-4

# How the app must crop a face for this model, measured by scripts/crop_convention.py: on FER2013
# faces the frontal-face Haar cascade's box covers the whole 48x48 image (median side 0.98 of it),
# so the crop is the detector's square box itself, without margin.
CROP_CONVENTION = {
    "detector": "OpenCV haarcascade_frontalface_default.xml",
    "crop": "square, centred on the detector box, side = box side * (1 + 2 * margin), clipped at the image edges",
    "margin": 0.0,
    "color": "grayscale (OpenCV BGR2GRAY)",
    "resize": "48x48, cv2.INTER_AREA",
}


def to_tflite(model) -> bytes:
    """Convert a float32 Keras model to a TFLite flatbuffer (batch dimension left variable)."""
    import contextlib
    import io

    import tensorflow as tf

    with contextlib.redirect_stdout(io.StringIO()):  # the converter lists every captured variable
        return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def parity(model, tflite: bytes, faces: np.ndarray) -> float:
    """Largest absolute difference between Keras and LiteRT probabilities on ``faces``."""
    keras_probs = model.predict(faces, batch_size=256, verbose=0)
    lite = EmotionClassifier(ModelFiles(tflite, {}), flip_tta=False)
    return float(np.abs(keras_probs - lite(faces)).max())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, type=Path, help="training run folder (from scripts/train.py)")
    parser.add_argument("--out", type=Path, default=ROOT / "model", help="where to write the model files")
    parser.add_argument("--data", help="FER2013 for the parity check (default: the run's training data)")
    args = parser.parse_args(argv)

    import keras

    keras.mixed_precision.set_global_policy("float32")
    config = json.loads((args.run / "config.json").read_text())
    history = json.loads((args.run / "history.json").read_text())
    summary_path = args.run / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}

    model_cfg = ModelConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in config["model"].items()})
    model = build_model(model_cfg)
    model.set_weights(keras.models.load_model(args.run / "best.keras", compile=False).get_weights())

    args.out.mkdir(parents=True, exist_ok=True)
    keras_path, tflite_path = args.out / KERAS_NAME, args.out / TFLITE_NAME
    model.save(keras_path)
    tflite = to_tflite(model)
    tflite_path.write_bytes(tflite)

    faces = load_fer2013(args.data or config["train"]["data"]).split("PublicTest").faces[:PARITY_FACES]
    max_diff = parity(model, tflite, faces[..., None].astype(np.float32))
    print(f"Keras vs TFLite on {len(faces)} PublicTest faces: max |diff| {max_diff:.2e}", flush=True)
    if not max_diff <= PARITY_TOLERANCE:  # NaN fails too
        print(f"error: parity {max_diff:.2e} exceeds {PARITY_TOLERANCE:.0e}", file=sys.stderr)
        return 1

    best = max(history, key=lambda h: h["val_accuracy"])
    metadata = {
        "name": "emotion_cnn",
        "labels": list(LABELS),
        "input": {"name": "face_gray", "shape": [None, 48, 48, 1], "dtype": "float32",
                  "range": [0, 255], "normalisation": "inside the model (x / 255)"},
        "output": {"shape": [None, len(LABELS)], "dtype": "float32",
                   "meaning": "softmax probabilities in 'labels' order"},
        "face_crop": CROP_CONVENTION,
        "test_time_augmentation": "mean of the probabilities of the face and its horizontal mirror",
        "parameters": model.count_params(),
        "training": {
            **{k: config[k] for k in ("train", "model", "augment", "precision", "backend", "keras",
                                     "hardware", "train_faces")},
            "epochs_run": len(history),
            "best_epoch": best["epoch"],
            "public_accuracy_at_best_epoch_keras": round(best["val_accuracy"], 4),
            "wall_time_s": history[-1]["wall_s"],
            "private_accuracy_keras_single_crop": summary.get("private_accuracy"),
            "history": history,
        },
        "parity": {"faces": len(faces), "split": "PublicTest", "max_abs_diff": max_diff,
                   "tolerance": PARITY_TOLERANCE},
        "files": {
            KERAS_NAME: {"sha256": sha256(keras_path.read_bytes()), "bytes": keras_path.stat().st_size},
            TFLITE_NAME: {"sha256": sha256(tflite), "bytes": len(tflite)},
        },
        "exported": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (args.out / METADATA_NAME).write_text(json.dumps(metadata, indent=1) + "\n")
    print(f"wrote {keras_path} ({keras_path.stat().st_size:,} B), {tflite_path} ({len(tflite):,} B), "
          f"{args.out / METADATA_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
