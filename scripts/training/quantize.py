"""Quantise the serving file: ``model/emotion_cnn.keras`` -> an int8 ``model/emotion_cnn.tflite``.

Full-integer quantisation (int8 weights and activations; float32 input and output, so the
serving contract is unchanged), calibrated on ``--calibration`` FER2013 Training faces picked
with a fixed seed. Each live session's interpreter then holds a quarter of the float weights'
memory. Sets the card's ``quantization`` section (how it was quantised, agreement with the float
Keras model on PublicTest faces) and the served file's checksum; ``scripts.training.evaluate`` then
measures the served accuracy.

    python -m scripts.training.quantize && python -m scripts.training.evaluate
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from fer.recognition.emotion_model import EmotionModel
from fer.recognition.model_card import KERAS_NAME, METRICS_NAME, MODEL_DIR, TFLITE_NAME, ModelCard, ModelFiles
from fer.recognition.preprocessing import model_input
from fer.training.data import load_fer2013
from scripts.training.common import DEFAULT_DATA

AGREEMENT_FACES = 512


def quantize(model, calibration: np.ndarray) -> bytes:
    """An int8 TFLite flatbuffer of ``model`` with float32 input and output (batch left variable)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([calibration[i : i + 1]] for i in range(len(calibration)))
    with contextlib.redirect_stdout(io.StringIO()):  # the converter lists every captured variable
        return converter.convert()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--calibration", type=int, default=500, help="Training faces to calibrate on")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads

    import keras

    card = ModelCard.read(args.model_dir)
    model = keras.models.load_model(args.model_dir / KERAS_NAME, compile=False)
    data = load_fer2013(args.data)
    train = data.split("Training").faces
    picks = np.random.default_rng(args.seed).choice(len(train), args.calibration, replace=False)
    tflite = quantize(model, model_input(train[picks]))

    faces = model_input(data.split("PublicTest").faces[:AGREEMENT_FACES])
    float_probs = model.predict(faces, batch_size=256, verbose=0)
    int8_probs = EmotionModel(ModelFiles(tflite, card))(faces)
    agreement = {
        "faces": len(faces),
        "split": "PublicTest",
        "same_label": round(float((float_probs.argmax(1) == int8_probs.argmax(1)).mean()), 4),
        "max_abs_diff": round(float(np.abs(float_probs - int8_probs).max()), 4),
    }
    print(
        f"int8 vs float Keras on {len(faces)} PublicTest faces: same label {agreement['same_label']:.1%}, "
        f"max |diff| {agreement['max_abs_diff']:.3f}"
    )

    tflite_path = args.model_dir / TFLITE_NAME
    tflite_path.write_bytes(tflite)
    quantization = {
        "scheme": "full integer: int8 weights and activations, float32 input and output",
        "calibration": {"split": "Training", "faces": args.calibration, "seed": args.seed},
        "agreement_with_float_keras": agreement,
        "by": "scripts.training.quantize",
    }
    # The float file's parity and any metrics measured on it no longer describe the served file.
    card = replace(card, quantization=quantization, parity={}, metrics={}).with_file(TFLITE_NAME, tflite)
    card_path = card.write(args.model_dir)
    (args.model_dir / METRICS_NAME).unlink(missing_ok=True)
    print(f"wrote {tflite_path} ({len(tflite):,} B) and {card_path}; now run python -m scripts.training.evaluate")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
