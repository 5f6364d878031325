"""Join two trained nets into the served pair: one model, one call, the mean of both nets' probabilities.

Both nets have the designed shape (:func:`fer.training.model.build_model`) and were trained apart: the
first is the one the app served alone (``--first``: a model folder of one net, its card and history),
the second a run of ``scripts.training.fit`` (``--second``), trained with video-call degradations. The
pair takes what one net takes (``[N,48,48,1]`` raw gray 0..255) and returns what one net returns
(``[N,7]`` probabilities, the two nets' mean), so the app's crop, views and serving code stay as they
are; each view of a face costs two nets' time, and the app shows a photo's face in fewer views
(:data:`fer.config.AnalyzerConfig.zooms`).

Writes ``emotion_cnn.keras`` (float32, both nets inside), a float ``emotion_cnn.tflite``, the card
(both nets' training records under ``training["nets"]``, Keras/TFLite parity) and beside it
``history.json``, each run's epochs under its name. ``scripts.training.quantize``, ``evaluate`` and
``calibrate`` then make and measure the served int8 file, as for one net.

    python -m scripts.training.pair --first model --second runs/videocall-tune \
        --second-started-from runs/videocall --out runs/pair
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from fer.labels import INPUT_SHAPE
from fer.recognition.model_card import HISTORY_NAME, KERAS_NAME, ModelCard
from scripts.training.export import float_net, training_record, write_model

PAIR = "the mean of the probabilities of two nets of the designed shape, trained apart, in one model"


def build_pair(first, second):
    """A ``keras.Model`` ``face_gray -> probabilities``: the mean of ``first``'s and ``second``'s outputs."""
    import keras

    faces = keras.Input(INPUT_SHAPE, name="face_gray")
    probs = keras.layers.Average(name="probabilities")([first(faces), second(faces)])
    return keras.Model(faces, probs, name="emotion_pair")


def first_net(folder: Path) -> tuple[dict, list[dict]]:
    """The training record and history of the one net a model folder serves."""
    card = ModelCard.read(folder)
    if "nets" in card.training:
        raise SystemExit(f"--first {folder}: it serves a pair already; give the folder of one net")
    return card.training, json.loads((folder / HISTORY_NAME).read_text())


def run_record(run: Path, progress: dict) -> tuple[dict, list[dict]]:
    """The training record of a run folder (``config.json``, ``history.json``, ``summary.json`` if it ended)
    and its history; ``progress`` (a card's ``training_in_progress``) lends the sittings a checkpoint
    recorded, if it is this run's."""
    config = json.loads((run / "config.json").read_text())
    history = json.loads((run / "history.json").read_text())
    summary_path = run / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    return {"run": run.name, **training_record(config, history, summary, progress)}, history


def second_net(run: Path, started_from: Path | None, progress: dict) -> tuple[dict, dict[str, list[dict]]]:
    """The training record of the second net's run, with that of the run whose weights it started from (a
    fine-tuning run's), and their histories by run name."""
    record, history = run_record(run, progress)
    histories = {run.name: history}
    if started_from is not None:
        record["started_from"], histories[started_from.name] = run_record(started_from, progress)
    return record, histories


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--first", required=True, type=Path, help="model folder of the net served alone")
    parser.add_argument("--second", required=True, type=Path, help="training run folder of the second net")
    parser.add_argument(
        "--second-started-from", type=Path, help="the run folder whose weights the second run started from"
    )
    parser.add_argument("--out", required=True, type=Path, help="where to write the pair's files")
    parser.add_argument("--data", help="FER2013 for the parity check (default: the second run's training data)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads

    import keras

    keras.mixed_precision.set_global_policy("float32")
    first_record, first_history = first_net(args.first)
    # The first net's card records the sittings of a second net trained across sessions.
    progress = ModelCard.read(args.first).training_in_progress or {}
    second_record, histories = second_net(args.second, args.second_started_from, progress)
    second_config = json.loads((args.second / "config.json").read_text())
    with tempfile.TemporaryDirectory() as scratch:  # --first may be --out: read it before writing
        first_keras = Path(scratch) / KERAS_NAME
        shutil.copy2(args.first / KERAS_NAME, first_keras)
        first = float_net(first_record["model"], first_keras, "first")
    second = float_net(second_config["model"], args.second / "best.keras", "second")
    nets = [{"role": "first", **first_record}, {"role": "second", **second_record}]
    return write_model(
        build_pair(first, second),
        args.out,
        args.data or second_config["train"]["data"],
        {"served": PAIR, "nets": nets},
        {"first": first_history, **histories},
    )


if __name__ == "__main__":
    raise SystemExit(main())
