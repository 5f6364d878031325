"""Quantise the serving file: ``model/emotion_cnn.keras`` -> an int8 ``model/emotion_cnn.tflite``.

Full-integer quantisation (int8 weights and activations; float32 input and output, so the
serving contract is unchanged), calibrated on ``--calibration`` FER2013 Training faces picked
with a fixed seed. Each live session's interpreter then holds a quarter of the float weights'
memory. Updates ``metadata.json`` (checksum, size, how it was quantised, agreement with the float
Keras model on PublicTest faces); ``scripts/evaluate.py`` then measures the served accuracy.

    python scripts/quantize.py && python scripts/evaluate.py
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from fer.classifier import METADATA_NAME, MODEL_DIR, TFLITE_NAME, EmotionClassifier, ModelFiles, sha256  # noqa: E402
from fer.data import load_fer2013  # noqa: E402
from scripts.common import DEFAULT_DATA  # noqa: E402

KERAS_NAME = "emotion_cnn.keras"
AGREEMENT_FACES = 512


def quantize(model, calibration: np.ndarray) -> bytes:
    """An int8 TFLite flatbuffer of ``model`` with float32 input and output (batch left variable)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([calibration[i:i + 1]] for i in range(len(calibration)))
    with contextlib.redirect_stdout(io.StringIO()):  # the converter lists every captured variable
        return converter.convert()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--calibration", type=int, default=500, help="Training faces to calibrate on")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import keras

    model = keras.models.load_model(args.model_dir / KERAS_NAME, compile=False)
    data = load_fer2013(args.data)
    train = data.split("Training").faces
    picks = np.random.default_rng(args.seed).choice(len(train), args.calibration, replace=False)
    tflite = quantize(model, train[picks][..., None].astype(np.float32))

    faces = data.split("PublicTest").faces[:AGREEMENT_FACES][..., None].astype(np.float32)
    float_probs = model.predict(faces, batch_size=256, verbose=0)
    int8_probs = EmotionClassifier(ModelFiles(tflite, {}), flip_tta=False)(faces)
    agreement = {"faces": len(faces), "split": "PublicTest",
                 "same_label": round(float((float_probs.argmax(1) == int8_probs.argmax(1)).mean()), 4),
                 "max_abs_diff": round(float(np.abs(float_probs - int8_probs).max()), 4)}
    print(f"int8 vs float Keras on {len(faces)} PublicTest faces: same label {agreement['same_label']:.1%}, "
          f"max |diff| {agreement['max_abs_diff']:.3f}")

    tflite_path = args.model_dir / TFLITE_NAME
    tflite_path.write_bytes(tflite)
    metadata_path = args.model_dir / METADATA_NAME
    metadata = json.loads(metadata_path.read_text())
    metadata["files"][TFLITE_NAME] = {"sha256": sha256(tflite), "bytes": len(tflite)}
    metadata["quantization"] = {
        "scheme": "full integer: int8 weights and activations, float32 input and output",
        "calibration": {"split": "Training", "faces": args.calibration, "seed": args.seed},
        "agreement_with_float_keras": agreement,
        "by": "scripts/quantize.py",
    }
    metadata.pop("parity", None)  # the float file's parity no longer describes the served file
    metadata_path.write_text(json.dumps(metadata, indent=1) + "\n")
    print(f"wrote {tflite_path} ({len(tflite):,} B) and {metadata_path}; now run scripts/evaluate.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
